/// `value` with `digits` decimals ("12.3"), without Foundation's `String(format:)`, which is slow for a
/// call that sits between a classification and its answer.
func decimalText(_ value: Double, digits: Int) -> String {
    precondition(digits > 0)
    let scale = (0..<digits).reduce(1) { product, _ in product * 10 }
    let scaled = Int((value * Double(scale)).rounded())
    let fraction = String(scaled.magnitude % UInt(scale))
    return "\(scaled < 0 ? "-" : "")\(scaled.magnitude / UInt(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}
