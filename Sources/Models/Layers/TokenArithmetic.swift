import Numerics

/// Copies a (1, 1, D) class token into a row.
func copy(_ token: Tensor, to row: UnsafeMutablePointer<Float>) {
    token.storage.withUnsafeBufferPointer { row.update(from: $0.baseAddress!, count: $0.count) }
}

/// Adds a (1, rows, D) position embedding to `rows` token rows.
func add(_ positions: Tensor, to tokens: UnsafeMutablePointer<Float>, rows: Int) {
    positions.storage.withUnsafeBufferPointer { Elementwise.add($0.baseAddress!, to: tokens, count: rows * positions.shape[2]) }
}

/// Writes the (columns, rows) transpose of the row-major (rows, columns) `source`: token rows to channel
/// planes, for the convolutions that run on a token grid, and back.
func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into target: UnsafeMutablePointer<Float>) {
    // Tiles keep both sides' lines in cache.
    let tile = 32
    for rowStart in stride(from: 0, to: rows, by: tile) {
        for columnStart in stride(from: 0, to: columns, by: tile) {
            for row in rowStart..<min(rowStart + tile, rows) {
                for column in columnStart..<min(columnStart + tile, columns) {
                    target[column * rows + row] = source[row * columns + column]
                }
            }
        }
    }
}
