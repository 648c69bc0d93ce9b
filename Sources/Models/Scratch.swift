/// A float buffer allocated once and reused across layers and views, so that a forward pass allocates
/// its activations up front rather than per layer.
final class Scratch {
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        pointer = .allocate(capacity: max(1, count))
    }

    deinit { pointer.deallocate() }
}
