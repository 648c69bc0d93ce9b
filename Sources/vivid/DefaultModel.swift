import Foundation
import Inference

/// Where `Models/demo`, the model used when none is named, is found: beside the current folder (a clone's
/// root), in the installed share folder (`make install`: `PREFIX/share/vivid/Models/demo` beside
/// `PREFIX/bin/vivid`), or in the repository the binary was built in (a folder above `.build/…/release/vivid`).
enum DefaultModel {
    static let name = "Models/demo"

    /// The first of the places above that holds a model folder, or nil.
    static var folder: String? { candidates.first { FileManager.default.fileExists(atPath: "\($0)/config.json") } }

    static var candidates: [String] {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let repository = sequence(first: binary) { $0.path == "/" ? nil : $0.deletingLastPathComponent() }.dropFirst()
            .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("Package.swift").path) }
        return [name, binary.appendingPathComponent("../share/vivid/\(name)").standardizedFileURL.path]
            + (repository.map { [$0.appendingPathComponent(name).path] } ?? [])
    }

    /// `folder`, or an error naming every place looked at.
    static func resolved() throws -> String {
        guard let folder else {
            throw ModelNotFound(description: "no model folder given and none of \(candidates.joined(separator: ", ")) holds the demo model; "
                                + "pass --model DIR (a folder with config.json)")
        }
        return folder
    }

    struct ModelNotFound: Error, CustomStringConvertible, Reportable {
        var description: String

        var report: ErrorReport { ErrorReport(code: "INVALID_MODEL", status: 500, message: description) }
    }
}
