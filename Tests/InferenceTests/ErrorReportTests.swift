import ClipSampling
import Inference
import Models
import Testing
import VideoDecoding

@Suite("ErrorReport: the one mapping from errors to API codes and statuses")
struct ErrorReportTests {
    struct Unexpected: Error {}

    @Test("Each error reports DESIGN §5's code and status, with its message",
          arguments: [
              (DecodeError.unsupportedMedia("a playlist") as any Error, "UNSUPPORTED_MEDIA", 415, "a playlist"),
              (DecodeError.noVideoStream("audio only"), "NO_VIDEO_STREAM", 422, "audio only"),
              (DecodeError.undecodable("broken"), "UNDECODABLE", 422, "broken"),
              (DecodeError.videoTooLarge("8K"), "VIDEO_TOO_LARGE", 422, "8K"),
              (SamplingError.invalidSegment("after the end"), "INVALID_PARAMETER", 400, "after the end"),
              (ModelError.invalidInput("wrong shape"), "INVALID_PARAMETER", 400, "invalid model input: wrong shape"),
              (WeightError.missing(key: "head/bias"), "INVALID_MODEL", 500, "the weights have no tensor 'head/bias'"),
              (Unexpected(), "INTERNAL", 500, "Unexpected()"),
          ])
    func reports(error: any Error, code: String, status: Int, message: String) {
        #expect(ErrorReport(error) == ErrorReport(code: code, status: status, message: message))
        #expect(ErrorReport(error).isInternal == (code == "INTERNAL"))
    }
}
