import Foundation

/// A request body received to a private file: the video's bytes and what the client said of them.
public struct Upload: Sendable {
    public var path: String
    public var size: Int
    public var contentType: String?
    public var filename: String?

    public init(path: String, size: Int, contentType: String? = nil, filename: String? = nil) {
        self.path = path
        self.size = size
        self.contentType = contentType
        self.filename = filename
    }
}

/// The server's private folder of uploads: each received part is one file named by its request, removed when
/// the request ends. Files sit directly in the folder (no folder per request), which spares every request a
/// `mkdir` and a recursive removal.
///
/// The folder holds a lock file that its process keeps locked (`flock`) while it lives: a process killed
/// without cleaning up (`kill -9`, a crash) leaves a folder whose lock anyone can take, and the next store made
/// under the same parent removes it.
public final class UploadStore: Sendable {
    public let root: URL
    private let rootPath: String
    private let lockDescriptor: Int32
    /// Folders of processes that are gone, removed when this store was made.
    public let removedAtStart: [String]

    static let folderPrefix = "vivid-uploads-"
    static let lockName = ".owner"

    /// Creates a new folder, readable by this user only, under `parent` (default: the system's temp folder),
    /// after removing the folders there that earlier processes of this user abandoned.
    public init(parent: URL = FileManager.default.temporaryDirectory) throws {
        removedAtStart = Self.removeAbandoned(in: parent)
        var template = Array(parent.appendingPathComponent(Self.folderPrefix + "XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw APIError.internal("cannot create an upload folder under \(parent.path): \(String(cString: strerror(errno)))")
        }
        rootPath = String(cString: made)
        root = URL(fileURLWithPath: rootPath, isDirectory: true)
        lockDescriptor = open("\(rootPath)/\(Self.lockName)", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockDescriptor >= 0, flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw APIError.internal("cannot lock the upload folder \(rootPath): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(lockDescriptor) }

    /// Removes each `vivid-uploads-*` folder of this user under `parent` whose lock can be taken (its process
    /// is gone); folders without a lock file (another version's, or one being made) are left alone.
    private static func removeAbandoned(in parent: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix(folderPrefix) {
            let folder = parent.appendingPathComponent(name).path
            var status = stat()
            guard lstat(folder, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, status.st_uid == getuid() else { continue }
            let descriptor = open("\(folder)/\(lockName)", O_RDWR | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            if (try? FileManager.default.removeItem(atPath: folder)) != nil { removed.append(folder) }
        }
        return removed
    }

    /// The path of part `part` of request `requestID`'s body (request ids are hexadecimal, so never a path).
    func path(requestID: String, part: Int) -> String {
        "\(rootPath)/\(requestID)-\(part)"
    }

    /// Moves a request's upload out of the request's keeping (its files go when the request ends) into a
    /// job's: the job removes it when it ends.
    func keep(_ upload: Upload, forJob id: String) throws(APIError) -> Upload {
        var kept = upload
        kept.path = "\(rootPath)/job-\(id)"
        guard rename(upload.path, kept.path) == 0 else { throw .internal("cannot keep the upload for job \(id): errno \(errno)") }
        return kept
    }

    /// Files left in the store (its lock file aside): zero whenever no request or job is in flight.
    public var entryCount: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: rootPath).filter { $0 != Self.lockName }.count) ?? 0
    }

    /// Removes the whole store (at shutdown).
    public func removeAll() {
        try? FileManager.default.removeItem(at: root)
    }
}

/// Receives one request body as it arrives, raw or `multipart/form-data`, into the request's files in the
/// upload store, counting bytes against the upload limit, and removes them. Not thread-safe: one connection
/// feeds it.
final class UploadReceiver {
    private enum Format {
        case raw
        case multipart(MultipartParser)
    }

    /// A file part being written or written.
    private struct Part {
        var headers: MultipartPartHeaders
        var path: String
        var size = 0
    }

    let store: UploadStore
    let requestID: String
    let limit: Int
    /// Most parts a multipart body may have: each costs parsing, and a file part a file.
    let partLimit: Int
    private var partCount = 0
    private let contentType: String?
    private var format: Format
    private var parts: [Part] = []
    private var descriptor: Int32 = -1
    /// Bytes not yet written: libmicrohttpd hands the body over in pieces of up to 16 KiB, and the filesystem
    /// takes fewer, larger writes faster (Benchmarks/RESULTS.md).
    private var pending: [UInt8] = []
    private static let writeSize = 256 << 10
    private(set) var received = 0

    /// Accepts the declared content type or refuses it before any byte is read.
    init(store: UploadStore, requestID: String, limit: Int, partLimit: Int, contentType: String?) throws(APIError) {
        self.store = store
        self.requestID = requestID
        self.limit = limit
        self.partLimit = partLimit
        self.contentType = contentType
        pending.reserveCapacity(Self.writeSize)
        let mediaType = (contentType?.prefix { $0 != ";" }.trimmingSpaces).map { $0.lowercased() } ?? ""
        if mediaType == "multipart/form-data" {
            guard let boundary = MultipartParser.boundary(contentType: contentType ?? "") else {
                throw .badRequest("multipart/form-data without a valid boundary parameter")
            }
            format = .multipart(MultipartParser(boundary: boundary))
        } else if mediaType.isEmpty || mediaType.hasPrefix("video/") || mediaType == "application/octet-stream" {
            format = .raw
        } else {
            throw .unsupportedMedia("a video is sent as multipart/form-data (curl -F video=@FILE) or as a raw body "
                                    + "with Content-Type video/* or application/octet-stream, not \(mediaType)")
        }
        if case .raw = format { try openPart(MultipartPartHeaders(name: "video", filename: nil, contentType: mediaType)) }
    }

    deinit { abandonFile() }

    /// Deletes every file received so far (once the request has ended, or its body was refused).
    func removeFiles() {
        abandonFile()
        for part in parts { unlink(part.path) }
        parts.removeAll()
    }

    /// Stores `bytes`; throws `uploadTooLarge` as soon as the limit is passed.
    func receive(_ bytes: UnsafeRawBufferPointer) throws(APIError) {
        received += bytes.count
        guard received <= limit else { throw .uploadTooLarge(limit: limit) }
        switch format {
        case .raw:
            try write(bytes)
        case .multipart(var parser):
            try parser.feed(bytes) { event throws(APIError) in
                switch event {
                case .partBegin(let headers):
                    partCount += 1
                    guard partCount <= partLimit else {
                        throw .invalidParameter("the form has more than \(partLimit) parts; send the video as the field `video`")
                    }
                    // Only file parts and a `video` field are kept; other form fields are ignored.
                    if headers.filename != nil || headers.name == "video" { try openPart(headers) }
                case .partData(let data):
                    if descriptor >= 0 { try write(data) }
                case .partEnd:
                    try closeFile()
                }
            }
            format = .multipart(parser)
        }
    }

    /// The video: the raw body, or the file part named `video`, or the only file part. Two parts named `video`
    /// are refused rather than one taken silently, and so is a `video` field sent as text (no filename).
    func finish() throws(APIError) -> Upload {
        try closeFile()
        if case .multipart(let parser) = format { try parser.finish() }
        let named = parts.filter { $0.headers.name == "video" }
        if named.count > 1 { throw .invalidParameter("one video per request: the form has \(named.count) parts named `video`") }
        if let field = named.first, field.headers.filename == nil, case .multipart = format {
            throw .missingVideo("the field `video` is text; send the video as a file part (with a filename, as curl -F video=@FILE does)")
        }
        let chosen = named.first ?? (parts.count == 1 ? parts[0] : nil)
        guard let part = chosen else {
            throw .missingVideo(parts.isEmpty ? "the form has no file part; send the video as the field `video`"
                                              : "the form has \(parts.count) file parts and none is named `video`")
        }
        guard part.size > 0 else { throw .missingVideo("the uploaded video is empty") }
        return Upload(path: part.path, size: part.size, contentType: part.headers.contentType, filename: part.headers.filename)
    }

    private func openPart(_ headers: MultipartPartHeaders) throws(APIError) {
        try closeFile()
        let path = store.path(requestID: requestID, part: parts.count)
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .internal("cannot create \(path): \(String(cString: strerror(errno)))") }
        parts.append(Part(headers: headers, path: path))
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(APIError) {
        if pending.count + bytes.count > Self.writeSize { try flush() }
        pending.append(contentsOf: bytes)
        parts[parts.count - 1].size += bytes.count
    }

    private func flush() throws(APIError) {
        var offset = 0
        while offset < pending.count {
            let written = pending.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .internal("writing the upload failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes what is pending and closes the file.
    private func closeFile() throws(APIError) {
        guard descriptor >= 0 else { return }
        defer { abandonFile() }
        try flush()
    }

    /// Closes the file without writing what is pending (its request has ended).
    private func abandonFile() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        pending.removeAll(keepingCapacity: true)
    }
}

private extension Substring {
    /// Without leading and trailing spaces and tabs. Foundation's `trimmingCharacters` bridges to `NSString`,
    /// which showed in profiles of the polling thread, where every upload's headers are read.
    var trimmingSpaces: Substring {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
