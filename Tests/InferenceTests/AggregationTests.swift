import Foundation
import Inference
import Models
import Numerics
import Testing

@Suite("Aggregation of per-view scores")
struct AggregationTests {
    /// Two views; verb head of 2 classes, noun head of 3.
    let probabilities = ViewProbabilities(logits: [
        HeadLogits(name: "verb", logits: Tensor(shape: [2, 2], storage: [2, 0, -1, 1])),
        HeadLogits(name: "noun", logits: Tensor(shape: [2, 3], storage: [0, 1, 2, 3, 0, 0])),
    ])

    private func softmax(_ values: [Float]) -> [Float] {
        let exps = values.map { Foundation.exp(Double($0)) }
        let sum = exps.reduce(0, +)
        return exps.map { Float($0 / sum) }
    }

    @Test("Heads are softmaxed per view and averaged over views")
    func headMeans() {
        let verbs = [softmax([2, 0]), softmax([-1, 1])]
        #expect(probabilities.viewCount == 2)
        #expect(maxDifference(probabilities.view(1, head: "verb"), verbs[1]) < 1e-6)
        #expect(maxDifference(probabilities.mean(head: "verb"), zip(verbs[0], verbs[1]).map { ($0 + $1) / 2 }) < 1e-6)
    }

    @Test("per_view is the mean of per-view outer products; marginal the outer product of means")
    func actionRules() {
        let verbs = [softmax([2, 0]), softmax([-1, 1])], nouns = [softmax([0, 1, 2]), softmax([3, 0, 0])]
        let outer = { (v: [Float], n: [Float]) in v.flatMap { a in n.map { a * $0 } } }
        let perView = zip(outer(verbs[0], nouns[0]), outer(verbs[1], nouns[1])).map { ($0 + $1) / 2 }
        let marginal = outer(zip(verbs[0], verbs[1]).map { ($0 + $1) / 2 }, zip(nouns[0], nouns[1]).map { ($0 + $1) / 2 })
        #expect(maxDifference(probabilities.actions(method: .perView), perView) < 1e-6)
        #expect(maxDifference(probabilities.actions(method: .marginal), marginal) < 1e-6)
        #expect(maxDifference(perView, marginal) > 1e-3, "the two rules differ on disagreeing views")
        #expect(abs(probabilities.actions(method: .perView).reduce(0, +) - 1) < 1e-5)
        #expect(probabilities.hasActions)
    }

    @Test("Top indices: best first, ties to the lower index, k clamped")
    func top() {
        #expect(topIndices([0.1, 0.5, 0.2, 0.5, 0.05], k: 3) == [1, 3, 2])
        #expect(topIndices([3, 1], k: 5) == [0, 1])
        #expect(topIndices([], k: 2) == [])
    }

    @Test("Views appended clip by clip are the same as all at once")
    func appending() {
        var first = ViewProbabilities(logits: [HeadLogits(name: "verb", logits: Tensor(shape: [1, 2], storage: [2, 0]))])
        first.append(ViewProbabilities(logits: [HeadLogits(name: "verb", logits: Tensor(shape: [1, 2], storage: [-1, 1]))]))
        #expect(maxDifference(first.mean(head: "verb"), probabilities.mean(head: "verb")) < 1e-7)
    }

    private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }
}
