/// A dense float32 array with a shape, stored contiguously in row-major order; no autograd.
///
/// Shapes follow one vocabulary across Vivid: clips are `(N, C, T, H, W)`, token sequences `(B, L, D)`.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` over existing values (row-major).
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not hold \(storage.count) values")
        self.shape = shape
        self.storage = storage
    }

    /// Number of elements.
    public var count: Int { storage.count }

    /// Row-major strides in elements: the last dimension has stride 1.
    public var strides: [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }

    /// The element at a full multi-index.
    public subscript(_ index: Int...) -> Float {
        get { storage[offset(of: index)] }
        set { storage[offset(of: index)] = newValue }
    }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    private func offset(of index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var offset = 0
        for (axis, position) in index.enumerated() {
            precondition(position >= 0 && position < shape[axis], "index \(index) out of bounds for shape \(shape)")
            offset = offset * shape[axis] + position
        }
        return offset
    }
}
