import Models
import Numerics

/// Class probabilities per view for each head, and what follows from them: head means and action scores.
public struct ViewProbabilities: Sendable {
    /// Head name → (views, classes) softmax probabilities.
    public private(set) var heads: [String: Tensor]
    public let headOrder: [String]

    /// Softmax of each view's logits, per head.
    public init(logits: [HeadLogits]) {
        var heads: [String: Tensor] = [:]
        for head in logits {
            var probabilities = head.logits
            probabilities.storage.withUnsafeMutableBufferPointer {
                Softmax.rows($0.baseAddress!, rows: head.logits.shape[0], columns: head.logits.shape[1])
            }
            heads[head.name] = probabilities
        }
        self.heads = heads
        headOrder = logits.map(\.name)
    }

    /// Appends the views of `other` (the same heads), as clips arrive one temporal clip at a time.
    public mutating func append(_ other: ViewProbabilities) {
        for (name, tensor) in other.heads {
            guard let existing = heads[name] else { heads[name] = tensor; continue }
            heads[name] = Tensor(shape: [existing.shape[0] + tensor.shape[0], existing.shape[1]], storage: existing.storage + tensor.storage)
        }
    }

    public var viewCount: Int { heads.values.first?.shape[0] ?? 0 }

    /// One view's probabilities for `head`.
    public func view(_ index: Int, head: String) -> [Float] {
        let tensor = heads[head]!
        let classes = tensor.shape[1]
        return Array(tensor.storage[(index * classes)..<((index + 1) * classes)])
    }

    /// The mean over views of `head`'s probabilities.
    public func mean(head: String) -> [Float] {
        let tensor = heads[head]!
        let (views, classes) = (tensor.shape[0], tensor.shape[1])
        var sums = [Float](repeating: 0, count: classes)
        for view in 0..<views {
            for index in 0..<classes { sums[index] += tensor.storage[view * classes + index] }
        }
        return sums.map { $0 / Float(views) }
    }

    /// Whether the model has the verb and noun heads that make actions.
    public var hasActions: Bool { heads[Head.verb] != nil && heads[Head.noun] != nil }

    /// Action scores, flat index verb × nouns + noun, by `method` over all views.
    public func actions(method: AggregationMethod) -> [Float] {
        switch method {
        case .marginal:
            return outer(mean(head: Head.verb), mean(head: Head.noun))
        case .perView:
            var sums = [Float](repeating: 0, count: heads[Head.verb]!.shape[1] * heads[Head.noun]!.shape[1])
            for view in 0..<viewCount {
                let product = outer(self.view(view, head: Head.verb), self.view(view, head: Head.noun))
                for index in sums.indices { sums[index] += product[index] }
            }
            return sums.map { $0 / Float(viewCount) }
        }
    }

    /// Action scores of one view: p_verb ⊗ p_noun.
    public func actions(view: Int) -> [Float] {
        outer(self.view(view, head: Head.verb), self.view(view, head: Head.noun))
    }

    private func outer(_ verbs: [Float], _ nouns: [Float]) -> [Float] {
        verbs.flatMap { verb in nouns.map { verb * $0 } }
    }
}

/// The indices of the `k` largest scores, best first (ties by lower index).
public func topIndices(_ scores: [Float], k: Int) -> [Int] {
    let k = min(k, scores.count)
    var best: [(score: Float, index: Int)] = []
    best.reserveCapacity(k + 1)
    for (index, score) in scores.enumerated() where best.count < k || score > best[best.count - 1].score {
        let position = best.firstIndex { score > $0.score } ?? best.count
        best.insert((score, index), at: position)
        if best.count > k { best.removeLast() }
    }
    return best.map(\.index)
}

private typealias Head = ModelConfig.Head
