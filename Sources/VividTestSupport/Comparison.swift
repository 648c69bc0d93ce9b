import Testing

/// The largest absolute difference between two equally long sequences (infinity when lengths differ).
public func maxAbsoluteDifference(_ lhs: [Float], _ rhs: [Float]) -> Float {
    guard lhs.count == rhs.count else { return .infinity }
    return zip(lhs, rhs).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// The largest |actual − expected| / max(1, |expected|) of two equally long sequences (an absolute bound for
/// small values, a relative one for large) and where it is; a NaN counts as the worst.
public func worstScaledDifference(_ actual: [Float], _ expected: [Float]) -> (value: Float, index: Int) {
    precondition(actual.count == expected.count, "compared sequences have equal lengths")
    var worst: Float = 0, index = 0
    for (position, (value, wanted)) in zip(actual, expected).enumerated() where !worst.isNaN {
        let scaled = abs(value - wanted) / max(1, abs(wanted))
        if scaled.isNaN || scaled > worst { (worst, index) = (scaled, position) }
    }
    return (worst, index)
}

/// Expects `actual` to equal `expected` value by value within `tolerance` · max(1, |expected|), recording the
/// worst scaled difference and where it is.
public func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float, label: String = "",
                        sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(label): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    let (worst, index) = worstScaledDifference(actual, expected)
    #expect(worst <= tolerance, "\(label): worst scaled difference \(worst) at \(index) (\(actual[index]) against \(expected[index]))",
            sourceLocation: sourceLocation)
}
