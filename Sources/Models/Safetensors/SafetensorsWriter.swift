import Foundation
import Numerics

/// Writes float32 tensors and string metadata as a safetensors file, streaming the values as they are
/// produced, so that a large tensor never has to exist whole in memory.
///
/// Values are appended, in the order the tensors were declared, into a `.partial` file beside the target,
/// after room kept for the header; `finish` writes the header there (it may name facts known only at the
/// end), padded with spaces as the format allows, and renames the file into place. A header larger than
/// the room is written to a new file followed by a copy of the data. An unfinished writer removes its
/// partial file.
public final class SafetensorsWriter {
    private let path: String
    private let partialPath: String
    private let tensors: [(name: String, shape: [Int])]
    private let headerRoom: Int
    private let file: FileHandle
    private var appended = 0
    private var finished = false

    /// Values expected in all: the declared tensors' element counts summed.
    public let expectedCount: Int

    /// Starts a file at `path` holding `tensors` (name and shape), in that order, keeping `headerRoom` bytes
    /// (rounded up to a multiple of 8) for the JSON header.
    public init(path: String, tensors: [(name: String, shape: [Int])], headerRoom: Int = 64 << 10) throws(SafetensorsError) {
        self.path = path
        self.tensors = tensors
        self.headerRoom = (headerRoom + 7) / 8 * 8
        partialPath = path + ".partial"
        expectedCount = tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
        guard FileManager.default.createFile(atPath: partialPath, contents: nil),
              let file = FileHandle(forUpdatingAtPath: partialPath)
        else { throw .unreadable("cannot create \(partialPath)") }
        self.file = file
        do {
            try file.seek(toOffset: UInt64(8 + self.headerRoom))
        } catch {
            throw .unreadable("cannot write \(partialPath): \(error.localizedDescription)")
        }
    }

    deinit {
        try? file.close()
        if !finished { try? FileManager.default.removeItem(atPath: partialPath) }
    }

    /// Appends the next `values` of the declared tensors (little-endian hosts: the bytes are written as stored).
    public func append(_ values: [Float]) throws(SafetensorsError) {
        guard appended + values.count <= expectedCount else {
            throw .malformedHeader("more values appended than the declared shapes hold")
        }
        do {
            try values.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                try file.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none))
            }
        } catch {
            throw .unreadable("cannot write \(partialPath): \(error.localizedDescription)")
        }
        appended += values.count
    }

    /// Writes the header with `metadata`, then the appended data, to the target path.
    public func finish(metadata: [String: String] = [:]) throws(SafetensorsError) {
        guard appended == expectedCount else {
            throw .malformedHeader("\(appended) values appended; the declared shapes hold \(expectedCount)")
        }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, shape) in tensors {
            let size = shape.reduce(1, *) * MemoryLayout<Float>.size
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        guard var json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) else {
            throw .malformedHeader("the header cannot be encoded as JSON")
        }
        do {
            if json.count <= headerRoom {
                json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: headerRoom - json.count))
                try file.seek(toOffset: 0)
                try file.write(contentsOf: Self.lengthPrefix(json.count) + json)
                try file.close()
            } else {
                try file.close()
                try moveData(after: json)
            }
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: partialPath, toPath: path)
        } catch {
            throw .unreadable("cannot write \(path): \(error.localizedDescription)")
        }
        finished = true
    }

    /// Rewrites the partial file as `header` (padded to 8 bytes) followed by the data, for a header that
    /// outgrew its room.
    private func moveData(after header: Data) throws {
        var header = header
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        let widePath = partialPath + ".header"
        guard FileManager.default.createFile(atPath: widePath, contents: Self.lengthPrefix(header.count) + header),
              let output = FileHandle(forWritingAtPath: widePath), let input = FileHandle(forReadingAtPath: partialPath)
        else { throw SafetensorsError.unreadable("cannot create \(widePath)") }
        defer { try? output.close(); try? input.close() }
        try output.seekToEnd()
        try input.seek(toOffset: UInt64(8 + headerRoom))
        while let chunk = try input.read(upToCount: 4 << 20), !chunk.isEmpty {
            try output.write(contentsOf: chunk)
        }
        try FileManager.default.removeItem(atPath: partialPath)
        try FileManager.default.moveItem(atPath: widePath, toPath: partialPath)
    }

    private static func lengthPrefix(_ length: Int) -> Data {
        withUnsafeBytes(of: UInt64(length).littleEndian) { Data($0) }
    }

    /// Writes whole tensors (name, value), in order, with `metadata`, to `path`.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws(SafetensorsError) {
        let writer = try SafetensorsWriter(path: path, tensors: tensors.map { ($0.name, $0.tensor.shape) })
        for (_, tensor) in tensors { try writer.append(tensor.storage) }
        try writer.finish(metadata: metadata)
    }
}
