import ArgumentParser
import Foundation

/// Writes command results as JSON on standard output, and failures as `{"error","code"}` with exit code 1.
enum CommandOutput {
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints the error object for a failure that carries a stable code, and exits non-zero.
    static func fail(code: String, message: String) -> ExitCode {
        try? printJSON(["error": message, "code": code])
        return ExitCode.failure
    }
}
