import ArgumentParser
import Foundation

/// `TxS`, e.g. `4x3`: temporal clips × spatial crops.
struct ViewCount: ExpressibleByArgument {
    var temporal: Int
    var spatial: Int

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let temporal = Int(parts[0]), let spatial = Int(parts[1]) else { return nil }
        self.temporal = temporal
        self.spatial = spatial
    }
}

/// Three comma-separated numbers, one per RGB channel.
struct ChannelValues: ExpressibleByArgument {
    var values: [Float]

    init?(argument: String) {
        let values = argument.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 3 else { return nil }
        self.values = values
    }
}
