import Foundation
import Models
import Numerics
import VideoDecoding

/// Several classifiers over the same video, combined by weight, as the EPIC-KITCHENS reports combine ViViT
/// with CSN and SlowFast: each member samples and aggregates as its own config says; the ensemble's head and
/// action scores are the weighted means of the members' aggregates.
public final class Ensemble: Sendable {
    /// One model of the ensemble and its weight.
    public struct Member: Sendable {
        public let classifier: Classifier
        public let weight: Float

        public init(classifier: Classifier, weight: Float) {
            self.classifier = classifier
            self.weight = weight
        }
    }

    public let name: String
    public let members: [Member]

    /// The file's shape: `{"name": "epic-ensemble", "members": [{"model": "Models/vivit", "weight": 2}, …]}`.
    private struct File: Decodable {
        struct Entry: Decodable {
            var model: String
            var weight: Float?
        }

        var name: String
        var members: [Entry]
    }

    /// Reads an ensemble file; member folders are relative to the file's own folder.
    public convenience init(file: String, decoderOptions: DecoderOptions = .init(), precision: Precision? = nil) throws(WeightError) {
        let url = URL(fileURLWithPath: file)
        let description: File
        do {
            description = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        } catch {
            throw .invalidConfig("cannot read the ensemble file \(file): \(error)")
        }
        var members: [Member] = []
        for entry in description.members {
            let folder = entry.model.hasPrefix("/") ? entry.model : url.deletingLastPathComponent().appendingPathComponent(entry.model).path
            members.append(Member(classifier: try Classifier(folder: folder, decoderOptions: decoderOptions, precision: precision), weight: entry.weight ?? 1))
        }
        try self.init(name: description.name, members: members)
    }

    /// - Throws: `invalidConfig` unless there is a member, every weight is positive and every member has the
    ///   same heads (names and class counts, in order).
    public init(name: String, members: [Member]) throws(WeightError) {
        guard let first = members.first else { throw .invalidConfig("ensemble '\(name)' has no members") }
        guard members.allSatisfy({ $0.weight > 0 && $0.weight.isFinite }) else {
            throw .invalidConfig("ensemble '\(name)': every weight must be positive")
        }
        let heads = first.classifier.model.config.heads.map { [$0.name: $0.classes] }
        for member in members.dropFirst() where member.classifier.model.config.heads.map({ [$0.name: $0.classes] }) != heads {
            throw .invalidConfig("ensemble '\(name)': \(member.classifier.name) has other heads than \(first.classifier.name)")
        }
        self.name = name
        self.members = members
    }

    /// Classifies with every member in turn and combines their aggregates; the answer's `video`, `sampling`
    /// and `views` are the first member's, and `members` holds each member's own answer.
    public func classify(path: String, options: ClassifyOptions = .init(), isCancelled: () -> Bool = { false }) throws -> Classification {
        let evaluations = try members.map { try $0.classifier.evaluate(path: path, options: options, isCancelled: isCancelled) }
        let total = members.reduce(0) { $0 + $1.weight }
        let weights = members.map { $0.weight / total }

        func weightedMean(_ vectors: [[Float]]) -> [Float] {
            var sum = [Float](repeating: 0, count: vectors[0].count)
            for (vector, weight) in zip(vectors, weights) {
                for index in sum.indices { sum[index] += weight * vector[index] }
            }
            return sum
        }
        let method = options.aggregation ?? evaluations[0].method
        var combined = evaluations[0]
        combined.method = method
        combined.heads = combined.heads.enumerated().map { index, head in
            (head.name, weightedMean(evaluations.map { $0.heads[index].scores }))
        }
        // Each member's actions under the requested rule, so that members configured differently still agree.
        let memberActions = evaluations.map { $0.probabilities.hasActions ? $0.probabilities.actions(method: method) : nil }
        combined.actions = memberActions.allSatisfy { $0 != nil } ? weightedMean(memberActions.map { $0! }) : nil
        combined.forward = evaluations.reduce(.zero) { $0 + $1.forward }
        combined.total = evaluations.reduce(.zero) { $0 + $1.total }
        combined.warnings = Array(Set(evaluations.flatMap(\.warnings))).sorted()

        var answer = members[0].classifier.answer(combined, options: options)
        answer.model = name
        answer.members = zip(members, evaluations).map { member, evaluation in
            let own = member.classifier.answer(evaluation, options: options)
            return Classification.Member(model: member.classifier.name, weight: member.weight, sampling: own.sampling,
                                         aggregate: own.aggregate, views: own.views)
        }
        return answer
    }
}
