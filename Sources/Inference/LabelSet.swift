import Foundation
import Models

/// Class names per head, read from the label files a model folder names (one label per line, in index
/// order); a head without a file gets `class N`.
public struct LabelSet: Sendable, Equatable {
    /// Labels by head name.
    public let labels: [String: [String]]

    /// Reads the label files of `config`'s heads from `folder`.
    ///
    /// - Throws: `WeightError.invalidConfig` when a file is missing or its line count differs from the head's classes.
    public init(config: ModelConfig, folder: String) throws(WeightError) {
        var labels: [String: [String]] = [:]
        for head in config.heads {
            guard let file = head.labels else {
                labels[head.name] = (0..<head.classes).map { "class \($0)" }
                continue
            }
            let path = URL(fileURLWithPath: folder).appendingPathComponent(file).path
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw .invalidConfig("cannot read the label file \(path) of head '\(head.name)'")
            }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let names = Array(lines.reversed().drop { $0.isEmpty }.reversed())
            guard names.count == head.classes else {
                throw .invalidConfig("\(path) has \(names.count) labels; head '\(head.name)' has \(head.classes) classes")
            }
            labels[head.name] = names
        }
        self.labels = labels
    }

    /// The label of class `index` of `head`.
    public func label(head: String, index: Int) -> String {
        labels[head]?[index] ?? "class \(index)"
    }
}
