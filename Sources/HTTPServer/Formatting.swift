/// `value` with `digits` decimals ("12.3"), without Foundation's `String(format:)`, which is slow for a
/// call that sits between a classification and its answer.
func decimalText(_ value: Double, digits: Int) -> String {
    precondition(digits > 0)
    let scale = (0..<digits).reduce(1) { product, _ in product * 10 }
    let scaled = Int((value * Double(scale)).rounded())
    let fraction = String(scaled.magnitude % UInt(scale))
    return "\(scaled < 0 ? "-" : "")\(scaled.magnitude / UInt(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}

/// A client's input as an answer or a log line repeats it: at most 64 characters, the cut marked with "…", so
/// that a 9 KB model name or path is not echoed whole.
func shortened(_ text: String) -> String {
    text.count <= 64 ? text : "\(text.prefix(63))…"
}

/// `shortened(text)` in quotes, for messages.
func quoted(_ text: String) -> String { "'\(shortened(text))'" }
