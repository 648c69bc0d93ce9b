import Numerics

/// One temporal clip of a `ViewPlan`, cropped and normalised for each of its spatial crops.
public struct SampledClip: Sendable {
    /// Which temporal clip this is; its views are `temporalIndex × S ..< (temporalIndex + 1) × S` of the plan.
    public let temporalIndex: Int
    /// (S, 3, T, H, W): spatial crops × RGB × frames per clip × crop × crop, `(x / 255 − mean) / std`.
    public internal(set) var views: Tensor
    /// Presentation time of the frame at each clip position.
    public internal(set) var frameTimestamps: [Double]
}

/// Builds the temporal clips of a `ViewPlan` from frames that arrive one at a time, in any order.
///
/// Each frame is cropped for every view that shows it and written at once, then dropped; a clip is handed
/// back the moment its last frame arrives. With frames in ascending time, clips complete in temporal order
/// and only the clips that overlap the current time are held, so memory is bounded by one or two clips,
/// not by the whole (N, 3, T, H, W) input.
public struct ClipAssembler {
    public let plan: ViewPlan
    /// For each index of `plan.frameTimes`, the (clip, position) slots that show it.
    private let slots: [[(clip: Int, position: Int)]]
    /// 256-entry lookup per channel from a byte to its normalised value.
    private let normalised: [[Float]]
    /// Clips that have some but not all of their frames, and how many slots each still misses.
    private var open: [Int: SampledClip] = [:]
    private var missing: [Int]

    public init(plan: ViewPlan) {
        let settings = plan.settings
        self.plan = plan
        var slots = Array(repeating: [(clip: Int, position: Int)](), count: plan.frameTimes.count)
        for (clip, indices) in plan.clipFrameIndices.enumerated() {
            for (position, index) in indices.enumerated() { slots[index].append((clip, position)) }
        }
        self.slots = slots
        missing = Array(repeating: settings.framesPerClip, count: plan.clipFrameIndices.count)
        normalised = (0..<3).map { channel in
            (0..<256).map { (Float($0) / 255 - settings.mean[channel]) / settings.std[channel] }
        }
    }

    /// Writes `image` into every slot that shows frame `index` of `plan.frameTimes`; returns the clips it
    /// completed, in temporal order.
    ///
    /// - Precondition: the image's short side is `settings.shortSide` (the decoder scales to it).
    /// - Complexity: O(slots showing the frame × S × crop²), one table lookup per value.
    public mutating func add(_ image: some RGBImage, forFrame index: Int) -> [SampledClip] {
        let settings = plan.settings
        precondition(min(image.width, image.height) == settings.shortSide,
                     "frame \(image.width)×\(image.height) does not have short side \(settings.shortSide)")
        var completed: [Int] = []
        for (clip, position) in slots[index] {
            var sampled = open.removeValue(forKey: clip) ?? SampledClip(
                temporalIndex: clip,
                views: Tensor(shape: [settings.spatialCrops, 3, settings.framesPerClip, settings.cropSize, settings.cropSize]),
                frameTimestamps: Array(repeating: 0, count: settings.framesPerClip))
            write(image, into: &sampled.views, clip: clip, position: position)
            sampled.frameTimestamps[position] = image.timestamp
            open[clip] = sampled
            missing[clip] -= 1
            if missing[clip] == 0 { completed.append(clip) }
        }
        return completed.sorted().map { open.removeValue(forKey: $0)! }
    }

    /// Crops `image` for each spatial view of `clip` and writes it normalised at clip position `position`.
    private func write(_ image: some RGBImage, into views: inout Tensor, clip: Int, position: Int) {
        let settings = plan.settings
        let crop = settings.cropSize
        let planeSize = settings.framesPerClip * crop * crop
        image.withRGBBytes { pixels in
            views.storage.withUnsafeMutableBufferPointer { output in
                for spatial in 0..<settings.spatialCrops {
                    let view = plan.views[clip * settings.spatialCrops + spatial]
                    let origin = view.crop.origin(width: image.width, height: image.height, size: crop)
                    for channel in 0..<3 {
                        let plane = output.baseAddress! + (spatial * 3 + channel) * planeSize + position * crop * crop
                        normalised[channel].withUnsafeBufferPointer { table in
                            Self.copyChannel(channel, of: pixels.baseAddress!, imageWidth: image.width, origin: origin,
                                             size: crop, through: table.baseAddress!, into: plane)
                        }
                    }
                }
            }
        }
    }

    /// Copies one channel of a `size` × `size` window at `origin` into a plane, through the lookup `table`.
    @inline(__always)
    private static func copyChannel(
        _ channel: Int, of pixels: UnsafePointer<UInt8>, imageWidth: Int, origin: (x: Int, y: Int), size: Int,
        through table: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<size {
            let source = pixels + ((origin.y + row) * imageWidth + origin.x) * 3 + channel
            let target = plane + row * size
            for column in 0..<size { target[column] = table[Int(source[column * 3])] }
        }
    }
}
