import ClipSampling
import Numerics

/// Every view of a plan in one tensor, for tests that look at the whole model input at once (the product hands
/// clips on one by one: `ClipReader.forEachClip`).
public struct ClipBatch: Sendable {
    public let plan: ViewPlan
    /// (N, 3, T, H, W) with view n = temporal clip n / S through crop n % S.
    public private(set) var clips: Tensor
    /// Per temporal clip, the presentation time of the frame at each position.
    public private(set) var frameTimestamps: [[Double]]

    /// A batch of zeros for `plan`.
    public init(plan: ViewPlan) {
        let settings = plan.settings
        self.plan = plan
        clips = Tensor(shape: [plan.views.count, 3, settings.framesPerClip, settings.cropSize, settings.cropSize])
        frameTimestamps = Array(repeating: [], count: settings.temporalViews)
    }

    /// Copies a completed clip's views into place.
    public mutating func insert(_ clip: SampledClip) {
        let offset = clip.temporalIndex * clip.views.count
        clips.storage.replaceSubrange(offset..<(offset + clip.views.count), with: clip.views.storage)
        frameTimestamps[clip.temporalIndex] = clip.frameTimestamps
    }

    /// Whether every temporal clip has been inserted.
    public var isComplete: Bool { frameTimestamps.allSatisfy { !$0.isEmpty } }
}
