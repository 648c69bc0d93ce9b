import Numerics

/// Copies a (1, 1, D) class token into a row.
func copy(_ token: Tensor, to row: UnsafeMutablePointer<Float>) {
    token.storage.withUnsafeBufferPointer { row.update(from: $0.baseAddress!, count: $0.count) }
}

/// Adds a (1, rows, D) position embedding to `rows` token rows.
func add(_ positions: Tensor, to tokens: UnsafeMutablePointer<Float>, rows: Int) {
    positions.storage.withUnsafeBufferPointer { Elementwise.add($0.baseAddress!, to: tokens, count: rows * positions.shape[2]) }
}
