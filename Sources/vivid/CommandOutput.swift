import ArgumentParser
import Foundation
import Inference

/// Writes command results as JSON on standard output, and failures as `{"error","code"}` with exit code 1, or
/// 2 for a file that is not there (`FILE_NOT_FOUND`), as for a usage error.
enum CommandOutput {
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints the error object of `error` (its `ErrorReport`, the mapping the server answers with), its message
    /// prefixed with what failed, and exits non-zero.
    static func fail(_ error: any Error, context: String? = nil) -> ExitCode {
        let report = ErrorReport(error)
        try? printJSON(["error": context.map { "\($0): \(report.message)" } ?? report.message, "code": report.code])
        return report.code == "FILE_NOT_FOUND" ? ExitCode(2) : ExitCode.failure
    }
}
