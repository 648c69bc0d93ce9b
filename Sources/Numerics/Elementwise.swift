/// Vectorised elementwise arithmetic on rows.
public enum Elementwise {
    /// Adds `vector` (width,) to each of `rows` rows of `matrix` (rows, width), as a bias or an embedding.
    public static func addRows(_ vector: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        Parallel.forEachRange(count: rows, cost: width) { range in
            for row in range { add(vector, to: matrix + row * width, count: width) }
        }
    }

    /// target[i] += source[i] for `count` values.
    @inline(__always)
    public static func add(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        typealias Vector = VectorMath.Vector
        let lanes = VectorMath.width, blocks = count / lanes
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        for block in 0..<blocks {
            let offset = block * lanes * 4
            let sum = to.loadUnaligned(fromByteOffset: offset, as: Vector.self) + from.loadUnaligned(fromByteOffset: offset, as: Vector.self)
            to.storeBytes(of: sum, toByteOffset: offset, as: Vector.self)
        }
        for index in (blocks * lanes)..<count { target[index] += source[index] }
    }

    /// target[i] = max(0, target[i] + source[i]) for `count` values: a residual sum and its ReLU in one pass.
    public static func addReLU(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        typealias Vector = VectorMath.Vector
        let lanes = VectorMath.width, blocks = count / lanes
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        let zero = Vector(repeating: 0)
        Parallel.forEachRange(count: blocks, cost: lanes) { range in
            for block in range {
                let offset = block * lanes * 4
                let sum = to.loadUnaligned(fromByteOffset: offset, as: Vector.self) + from.loadUnaligned(fromByteOffset: offset, as: Vector.self)
                to.storeBytes(of: sum.replacing(with: zero, where: sum .< zero), toByteOffset: offset, as: Vector.self)
            }
        }
        for index in (blocks * lanes)..<count { target[index] = max(0, target[index] + source[index]) }
    }
}
