import ArgumentParser
import Foundation
import Inference
import Numerics

/// `TxS`, e.g. `4x3`: temporal clips × spatial crops, within the ranges a request may ask for.
struct ViewCount: ExpressibleByArgument {
    var temporal: Int
    var spatial: Int

    init?(argument: String) {
        guard let views = ClassifyOptions.views(parsing: argument) else { return nil }
        (temporal, spatial) = views
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

/// `--precision fp32|bf16|int8|auto`, shared by the commands that run a model; `VIVID_PRECISION` when the
/// flag is absent, the model's config.json when neither is given.
struct PrecisionArguments: ParsableArguments {
    @Option(help: "fp32, bf16, int8 or auto (bf16 where the CPU has it natively, else fp32); VIVID_PRECISION; default: the model's config.json, else fp32.")
    var precision: String?

    /// The precision asked for, or nil for the model's own; an unknown word, or a precision this CPU
    /// cannot run, ends the command with exit status 2 and the reason.
    func resolved() throws -> Precision? {
        guard let setting = precision ?? ProcessInfo.processInfo.environment["VIVID_PRECISION"] else { return nil }
        guard let value = Precision(setting: setting) else {
            return try refuse("unknown precision '\(setting)' (fp32, bf16, int8 or auto)")
        }
        if let reason = value.unsupportedReason { return try refuse(reason) }
        return value
    }

    private func refuse(_ reason: String) throws -> Precision? {
        FileHandle.standardError.write(Data("Error: \(reason)\n".utf8))
        throw ExitCode(2)
    }
}
