import Foundation
import Numerics

/// A closed set of words in `config.json`: any other word fails to decode, and the error lists the allowed ones.
public protocol ConfigChoice: RawRepresentable<String>, CaseIterable, Codable, Sendable {}

extension ConfigChoice {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let word = try container.decode(String.self)
        guard let value = Self(rawValue: word) else {
            let allowed = Self.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(word)' is not one of \(allowed)")
        }
        self = value
    }
}

extension GELU: ConfigChoice {}
extension Precision: ConfigChoice {}
