import Numerics

/// The model input being assembled for a `ViewPlan`: frames arrive one at a time, are cropped for each view
/// that uses them and normalised into `clips`, then dropped, so no frame is held beyond its own call.
public struct ClipBatch: Sendable {
    public let plan: ViewPlan
    /// (N, 3, T, H, W): views × RGB × frames per clip × crop × crop, `(x / 255 − mean) / std`.
    public private(set) var clips: Tensor
    /// Presentation time of the frame that filled each of `plan.frameTimes`, nil until it arrives.
    public private(set) var frameTimestamps: [Double?]
    /// For each index of `plan.frameTimes`, the (clip, frame position) slots that show it.
    private let slots: [[(clip: Int, position: Int)]]
    /// 256-entry lookup per channel from a byte to its normalised value.
    private let normalised: [[Float]]

    /// An empty batch (zeros) for `plan`.
    public init(plan: ViewPlan) {
        let settings = plan.settings
        self.plan = plan
        clips = Tensor(shape: [plan.views.count, 3, settings.framesPerClip, settings.cropSize, settings.cropSize])
        frameTimestamps = Array(repeating: nil, count: plan.frameTimes.count)
        var slots = Array(repeating: [(clip: Int, position: Int)](), count: plan.frameTimes.count)
        for (clip, indices) in plan.clipFrameIndices.enumerated() {
            for (position, index) in indices.enumerated() { slots[index].append((clip, position)) }
        }
        self.slots = slots
        normalised = (0..<3).map { channel in
            (0..<256).map { (Float($0) / 255 - settings.mean[channel]) / settings.std[channel] }
        }
    }

    /// Whether every planned frame has arrived.
    public var isComplete: Bool { !frameTimestamps.contains(nil) }

    /// Crops `image` for every view that shows frame `index` of `plan.frameTimes` and writes it normalised.
    ///
    /// - Precondition: the image's short side is `settings.shortSide` (the decoder scales to it).
    /// - Complexity: O(views using the frame × crop²), one table lookup per value.
    public mutating func add(_ image: some RGBImage, forFrame index: Int) {
        let settings = plan.settings
        precondition(min(image.width, image.height) == settings.shortSide,
                     "frame \(image.width)×\(image.height) does not have short side \(settings.shortSide)")
        frameTimestamps[index] = image.timestamp
        let crop = settings.cropSize, frames = settings.framesPerClip
        let planeSize = frames * crop * crop
        let viewSize = 3 * planeSize
        image.withRGBBytes { pixels in
            clips.storage.withUnsafeMutableBufferPointer { output in
                for (clip, position) in slots[index] {
                    for spatial in 0..<settings.spatialCrops {
                        let view = clip * settings.spatialCrops + spatial
                        let origin = plan.views[view].crop.origin(width: image.width, height: image.height, size: crop)
                        for channel in 0..<3 {
                            let plane = output.baseAddress! + view * viewSize + channel * planeSize + position * crop * crop
                            normalised[channel].withUnsafeBufferPointer { table in
                                Self.copyChannel(
                                    channel, of: pixels.baseAddress!, imageWidth: image.width, origin: origin,
                                    size: crop, through: table.baseAddress!, into: plane)
                            }
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
