import CDNNL

/// The number format a model's products and convolutions run in. Norms, softmax, activations and residual
/// sums stay fp32 in every precision.
public enum Precision: String, Sendable, CaseIterable {
    /// float32 throughout.
    case fp32
    /// bfloat16 operands with fp32 accumulation.
    case bf16
    /// int8 products for the linear layers (weights per output channel, activations per row, both
    /// symmetric, scales computed on the fly); the other products as `int8.otherProducts` says.
    case int8

    /// The precision of the products int8 does not cover (attention, convolutions): bf16 where the CPU
    /// has it natively, fp32 otherwise, so int8 needs nothing beyond VNNI.
    public var otherProducts: Precision {
        self == .int8 ? (CPUCapabilities.current.hasNativeBFloat16 ? .bf16 : .fp32) : self
    }

    /// What `auto` means on this CPU: bf16 where it has native bf16 instructions, else fp32.
    public static var automatic: Precision { CPUCapabilities.current.hasNativeBFloat16 ? .bf16 : .fp32 }

    /// Parses `fp32`, `bf16`, `int8` or `auto`.
    public init?(setting: String) {
        if setting == "auto" {
            self = Precision.automatic
        } else {
            self.init(rawValue: setting)
        }
    }

    /// Why this CPU cannot run the precision (the instruction set it lacks), or nil when it can: Vivid
    /// never emulates a precision slowly.
    public var unsupportedReason: String? { unsupportedReason(on: .current) }

    func unsupportedReason(on cpu: CPUCapabilities) -> String? {
        switch self {
        case .fp32: return nil
        case .bf16:
            return cpu.hasNativeBFloat16 ? nil
                : "bf16 needs native bfloat16 instructions (AVX512_BF16 or AMX); this CPU offers \(cpu.instructionSetName)"
        case .int8:
            return cpu.hasVNNI ? nil
                : "int8 needs VNNI instructions (AVX512_VNNI or AVX_VNNI); this CPU offers \(cpu.instructionSetName)"
        }
    }
}

/// What this CPU can run natively, as oneDNN sees it (it reads cpuid and the OS's register support).
public struct CPUCapabilities: Sendable {
    public let hasNativeBFloat16: Bool
    public let hasVNNI: Bool
    public let hasAVX2: Bool
    /// oneDNN's name for the widest instruction set it uses here, such as `avx512_core_bf16`.
    public let instructionSetName: String

    public static let current: CPUCapabilities = {
        let isa = OneDNN.instructionSet.rawValue
        // The ISA values are nested bit sets: each extension includes the bits of what it builds on.
        func includes(_ set: dnnl_cpu_isa_t) -> Bool { isa & set.rawValue == set.rawValue }
        let names: [(dnnl_cpu_isa_t, String)] = [
            (dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"), (dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"),
            (dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"), (dnnl_cpu_isa_avx512_core, "avx512_core"),
            (dnnl_cpu_isa_avx2_vnni, "avx2_vnni"), (dnnl_cpu_isa_avx2, "avx2"), (dnnl_cpu_isa_avx, "avx"), (dnnl_cpu_isa_sse41, "sse41"),
        ]
        return CPUCapabilities(
            hasNativeBFloat16: includes(dnnl_cpu_isa_avx512_core_bf16),
            hasVNNI: includes(dnnl_cpu_isa_avx512_core_vnni) || includes(dnnl_cpu_isa_avx2_vnni),
            hasAVX2: includes(dnnl_cpu_isa_avx2),
            instructionSetName: names.first { includes($0.0) }?.1 ?? "no vector extensions")
    }()
}
