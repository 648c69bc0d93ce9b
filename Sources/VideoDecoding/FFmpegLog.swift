import CFFmpeg
import CVideoShim
import Foundation
import Synchronization

/// Collects the error lines FFmpeg logs for one decoder: how corrupt packets and concealed frames are reported.
///
/// FFmpeg reports most stream damage only through `av_log`, from its own decoding threads, so the log
/// callback routes each line to the `DecoderLog` whose pointer sits in the logging context's `opaque`.
final class DecoderLog: Sendable {
    /// Distinct messages kept, so that a badly broken file cannot grow the list without bound.
    static let maxMessages = 32

    private struct State {
        var messages: [String] = []
        var suppressed = 0
    }
    private let state = Mutex(State())

    /// Distinct warnings in the order first seen, and a final line counting any beyond `maxMessages`.
    var warnings: [String] {
        state.withLock { state in
            state.suppressed == 0 ? state.messages : state.messages + ["\(state.suppressed) more warnings"]
        }
    }

    func append(_ message: String) {
        state.withLock { state in
            guard !state.messages.contains(message) else { return }
            if state.messages.count < Self.maxMessages {
                state.messages.append(message)
            } else {
                state.suppressed += 1
            }
        }
    }

    /// The value to store in an `AVFormatContext` or `AVCodecContext` `opaque`; valid while `self` lives.
    var opaquePointer: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// Installs the process-wide FFmpeg log callback once, and lets FFmpeg format only the lines that are
    /// kept (errors; warnings too when echoing), since formatting every informational line costs time.
    static let installRouting: Void = {
        av_log_set_level(echoToStandardError ? AV_LOG_WARNING : warningLevel)
        vivid_ff_set_log_callback(routeLogLine)
    }()
}

/// Lines at this level or worse from a decoder's own contexts become its warnings; others are dropped, or
/// printed to standard error when `VIVID_FFMPEG_LOG` is set (for debugging FFmpeg itself).
private let warningLevel = AV_LOG_ERROR
private let echoToStandardError = ProcessInfo.processInfo.environment["VIVID_FFMPEG_LOG"] != nil

private func routeLogLine(context: UnsafeMutableRawPointer?, level: Int32, line: UnsafePointer<CChar>?) {
    guard let line else { return }
    var text = String(cString: line)
    while text.last?.isWhitespace == true { text.removeLast() }
    if echoToStandardError, level <= AV_LOG_WARNING {
        FileHandle.standardError.write(Data("ffmpeg: \(text)\n".utf8))
    }
    guard level <= warningLevel, let context, !text.isEmpty, let owner = owningLog(of: context) else { return }
    owner.append(text)
}

/// The `DecoderLog` behind a logging context, when that context is one of a decoder's own.
private func owningLog(of context: UnsafeMutableRawPointer) -> DecoderLog? {
    guard let logClass = context.load(as: UnsafePointer<AVClass>?.self) else { return nil }
    let opaque: UnsafeMutableRawPointer?
    if logClass == avcodec_get_class() {
        opaque = context.assumingMemoryBound(to: AVCodecContext.self).pointee.opaque
    } else if logClass == avformat_get_class() {
        opaque = context.assumingMemoryBound(to: AVFormatContext.self).pointee.opaque
    } else {
        return nil
    }
    return opaque.map { Unmanaged<DecoderLog>.fromOpaque($0).takeUnretainedValue() }
}
