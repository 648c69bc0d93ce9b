/// The largest absolute difference between two equally long sequences (infinity when lengths differ).
public func maxAbsoluteDifference(_ lhs: [Float], _ rhs: [Float]) -> Float {
    guard lhs.count == rhs.count else { return .infinity }
    return zip(lhs, rhs).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
