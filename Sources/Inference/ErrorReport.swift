import ClipSampling
import Models
import VideoDecoding

/// How a failure is told to whoever asked, an HTTP client or a command-line user: a stable code (DESIGN §5, and
/// `INVALID_MODEL` for a model folder that does not load), the HTTP status that goes with it, and a message.
public struct ErrorReport: Sendable, Equatable {
    public var code: String
    public var status: Int
    public var message: String

    public init(code: String, status: Int, message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    /// The report of `error`: its own when it is `Reportable`, otherwise `INTERNAL` (a bug) with its description.
    public init(_ error: any Error) {
        if let error = error as? any Reportable {
            self = error.report
        } else {
            self.init(code: "INTERNAL", status: 500, message: String(describing: error))
        }
    }

    /// Whether the failure is a bug rather than the caller's or the input's fault.
    public var isInternal: Bool { code == "INTERNAL" }
}

/// An error that says how it is reported: the one mapping from Vivid's errors to API codes.
public protocol Reportable: Error {
    var report: ErrorReport { get }
}

extension DecodeError: Reportable {
    public var report: ErrorReport {
        switch self {
        case .unsupportedMedia(let text): ErrorReport(code: "UNSUPPORTED_MEDIA", status: 415, message: text)
        case .fileNotFound(let text): ErrorReport(code: "FILE_NOT_FOUND", status: 404, message: text)
        case .noVideoStream(let text): ErrorReport(code: "NO_VIDEO_STREAM", status: 422, message: text)
        case .undecodable(let text): ErrorReport(code: "UNDECODABLE", status: 422, message: text)
        case .videoTooLarge(let text): ErrorReport(code: "VIDEO_TOO_LARGE", status: 422, message: text)
        }
    }
}

extension SamplingError: Reportable {
    /// Views, a segment or settings that cannot be met are the caller's mistake.
    public var report: ErrorReport { ErrorReport(code: "INVALID_PARAMETER", status: 400, message: message) }
}

extension ModelError: Reportable {
    /// An input tensor of the wrong shape (`vivid forward`).
    public var report: ErrorReport { ErrorReport(code: "INVALID_PARAMETER", status: 400, message: description) }
}

extension WeightError: Reportable {
    /// A model folder that does not load: a fault of the deployment, not of a request.
    public var report: ErrorReport { ErrorReport(code: "INVALID_MODEL", status: 500, message: description) }
}

extension SafetensorsError: Reportable {
    /// A tensor file given as input that cannot be read (`vivid forward --input`); a model's own file fails as
    /// `WeightError.file` instead.
    public var report: ErrorReport { ErrorReport(code: "BAD_REQUEST", status: 400, message: description) }
}
