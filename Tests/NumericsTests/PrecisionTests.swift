@testable import Numerics
import Testing

@Suite("Which precision and which fp32 library a CPU gets")
struct PrecisionTests {
    static let avx2 = CPUCapabilities(hasNativeBFloat16: false, hasVNNI: false, hasAVX2: true, instructionSetName: "avx2")
    static let vnni = CPUCapabilities(hasNativeBFloat16: false, hasVNNI: true, hasAVX2: true, instructionSetName: "avx512_core_vnni")
    static let bf16 = CPUCapabilities(hasNativeBFloat16: true, hasVNNI: true, hasAVX2: true, instructionSetName: "avx512_core_bf16")

    @Test("A precision the CPU lacks is refused, naming what it needs and what the CPU has")
    func refusals() {
        #expect(Precision.fp32.unsupportedReason(on: Self.avx2) == nil)
        #expect(Precision.bf16.unsupportedReason(on: Self.vnni)
                == "bf16 needs native bfloat16 instructions (AVX512_BF16 or AMX); this CPU offers avx512_core_vnni")
        #expect(Precision.int8.unsupportedReason(on: Self.avx2) == "int8 needs VNNI instructions (AVX512_VNNI or AVX_VNNI); this CPU offers avx2")
        #expect(Precision.int8.unsupportedReason(on: Self.vnni) == nil)
        #expect(Precision.bf16.unsupportedReason(on: Self.bf16) == nil)
        #expect(Precision(setting: "fp16") == nil && Precision(setting: "int8") == .int8)
    }

    @Test("fp32 products stay on OpenBLAS unless its kernel lacks FMA on an AVX2 CPU; the override wins")
    func fp32Library() {
        #expect(GEMM.library(override: nil, openBLASKernel: "Haswell", cpu: Self.bf16) == .openBLAS)
        #expect(GEMM.library(override: nil, openBLASKernel: "SkylakeX", cpu: Self.bf16) == .openBLAS)
        #expect(GEMM.library(override: nil, openBLASKernel: "Prescott", cpu: Self.bf16) == .oneDNN)
        #expect(GEMM.library(override: nil, openBLASKernel: "Prescott", cpu: Self.avx2) == .oneDNN)
        let sse = CPUCapabilities(hasNativeBFloat16: false, hasVNNI: false, hasAVX2: false, instructionSetName: "sse41")
        #expect(GEMM.library(override: nil, openBLASKernel: "Prescott", cpu: sse) == .openBLAS)
        #expect(GEMM.library(override: "openblas", openBLASKernel: "Prescott", cpu: Self.bf16) == .openBLAS)
        #expect(GEMM.library(override: "onednn", openBLASKernel: "Haswell", cpu: Self.bf16) == .oneDNN)
        #expect(GEMM.library(override: "mkl", openBLASKernel: "Haswell", cpu: Self.bf16) == .openBLAS)
    }
}
