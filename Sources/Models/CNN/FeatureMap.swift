/// One view's activations between the layers of a 3-D CNN, in PyTorch's layout (channels, T, H, W).
struct FeatureMap {
    var channels: Int
    /// (T, H, W).
    var size: [Int]
    var values: [Float]

    /// Space for `channels` × `size` values, left for a layer to fill.
    init(channels: Int, size: [Int]) {
        self.channels = channels
        self.size = size
        let count = channels * size.reduce(1, *)
        values = [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
    }

    init(channels: Int, size: [Int], values: [Float]) {
        precondition(values.count == channels * size.reduce(1, *), "a feature map holds channels × T × H × W values")
        self.channels = channels
        self.size = size
        self.values = values
    }

    /// Positions per channel, T·H·W.
    var positions: Int { size.reduce(1, *) }
}
