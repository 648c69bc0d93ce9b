import CDNNL
import Foundation

/// A dense 3-D convolution (one group) with bias and optional ReLU on oneDNN's `brgconv` kernels, with fp32
/// or bf16 operands: every dense window but the few-channel ones (`NarrowConvolution3D`) and, in fp32, the
/// pointwise ones (`Convolution3D`, one GEMM without the reorders below).
///
/// Those kernels read and write oneDNN's channel-blocked layouts: the input is reordered into them (and to
/// bf16) and the output back into PyTorch's (C, T, H, W) on every call, which costs little beside a window's
/// work (the blocked kernels run about twice as fast as oneDNN's from (C, T, H, W), `Benchmarks/RESULTS.md`).
/// The weights are packed once per input size, the first time it is seen; the unpacked weights are not kept
/// (a later size unpacks them from an earlier plan).
public final class BlockedConvolution: @unchecked Sendable {
    public let channels: Int
    public let outputs: Int
    public let window: Window3D
    public let relu: Bool
    /// The element type of the input and weights as the kernels read them (fp32 or bf16); the output and its
    /// accumulation are fp32 in both.
    public let operandType: Precision
    private var weight: [Float]?
    private let bias: [Float]
    private var plans: [[Int]: Plan] = [:]
    private let lock = NSLock()

    /// A convolution over `weight` (D, C, kt, kh, kw), as PyTorch stores it, and `bias` (D).
    public init(weight: [Float], bias: [Float], channels: Int, outputs: Int, window: Window3D, relu: Bool, operandType: Precision = .fp32) {
        precondition(operandType != .int8, "int8 convolutions are not offered")
        precondition(weight.count == outputs * channels * window.volume && bias.count == outputs, "weights do not fit the window")
        self.weight = weight
        self.bias = bias
        self.channels = channels
        self.outputs = outputs
        self.window = window
        self.relu = relu
        self.operandType = operandType
    }

    /// Computes the convolution of `input` (C, T, H, W) with `size` (T, H, W) into `output` (D, T′, H′, W′).
    public func forward(input: UnsafePointer<Float>, size: [Int], into output: UnsafeMutablePointer<Float>) {
        let plan = self.plan(for: size)
        let source = UnsafeMutableRawPointer.allocate(byteCount: plan.sourceBytes, alignment: 64)
        let destination = UnsafeMutableRawPointer.allocate(byteCount: plan.destinationBytes, alignment: 64)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(64, plan.scratchBytes), alignment: 64)
        defer {
            source.deallocate()
            destination.deallocate()
            scratch.deallocate()
        }
        omp_set_num_threads(Int32(GEMM.threads))
        OneDNN.reorder(UnsafeRawPointer(input), plan.plainSource, into: source, plan.source)
        var arguments: [(Int32, UnsafeRawPointer, dnnl_memory_desc_t)] = [
            (DNNL_ARG_SRC, UnsafeRawPointer(source), plan.source), (DNNL_ARG_WEIGHTS, plan.weights.base, plan.weights.layout),
            (DNNL_ARG_BIAS, plan.biasBase, plan.biasLayout), (DNNL_ARG_DST, UnsafeRawPointer(destination), plan.destination),
        ]
        if plan.scratchBytes > 0 { arguments.append((DNNL_ARG_SCRATCHPAD, UnsafeRawPointer(scratch), plan.scratchLayout)) }
        OneDNN.execute(plan.primitive, arguments)
        OneDNN.reorder(UnsafeRawPointer(destination), plan.destination, into: UnsafeMutableRawPointer(output), plan.plainDestination)
    }

    /// The primitive, layouts and packed weights for inputs of `size`, made on first use.
    private func plan(for size: [Int]) -> Plan {
        lock.withLock {
            if let plan = plans[size] { return plan }
            let weight = self.weight ?? plans.values.first!.unpackedWeights(outputs: outputs, channels: channels, window: window)
            let plan = weight.withUnsafeBytes { weight in
                bias.withUnsafeBytes { bias in
                    Plan(size: size, convolution: self, weight: weight.baseAddress!, bias: bias.baseAddress!)
                }
            }
            plans[size] = plan
            self.weight = nil
            return plan
        }
    }

    /// One input size's convolution primitive, with the layouts it chose and the weights packed for it.
    private final class Plan {
        let primitive: dnnl_primitive_t?
        let plainSource: dnnl_memory_desc_t, source: dnnl_memory_desc_t
        let plainDestination: dnnl_memory_desc_t, destination: dnnl_memory_desc_t
        let biasLayout: dnnl_memory_desc_t, scratchLayout: dnnl_memory_desc_t
        let biasBase: UnsafeRawPointer
        let sourceBytes: Int, destinationBytes: Int, scratchBytes: Int
        let weights: (base: UnsafeRawPointer, layout: dnnl_memory_desc_t)
        private let packed: UnsafeMutableRawPointer
        private let biasCopy: UnsafeMutableRawPointer

        init(size: [Int], convolution: BlockedConvolution, weight: UnsafeRawPointer, bias: UnsafeRawPointer) {
            let window = convolution.window
            let outputSize = window.output(size)
            func layout(_ dims: [Int], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t = dnnl_f32) -> dnnl_memory_desc_t {
                var descriptor = dnnl_memory_desc_t()
                var dims = dims.map(Int64.init)
                OneDNN.check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), &dims, type, tag), "convolution layout \(dims)")
                return descriptor
            }
            let sourceDims = [1, convolution.channels] + size, destinationDims = [1, convolution.outputs] + outputSize
            let weightDims = [convolution.outputs, convolution.channels] + window.kernel
            plainSource = layout(sourceDims, dnnl_ncdhw)
            plainDestination = layout(destinationDims, dnnl_ncdhw)
            let plainWeights = layout(weightDims, dnnl_oidhw)
            biasLayout = layout([convolution.outputs], dnnl_x)
            let operandType = convolution.operandType == .bf16 ? dnnl_bf16 : dnnl_f32
            var anySource = layout(sourceDims, dnnl_format_tag_any, operandType), anyDestination = layout(destinationDims, dnnl_format_tag_any)
            var anyWeights = layout(weightDims, dnnl_format_tag_any, operandType), biasDescriptor = biasLayout

            var attributes: dnnl_primitive_attr_t?
            OneDNN.check(dnnl_primitive_attr_create(&attributes), "attributes")
            defer { dnnl_primitive_attr_destroy(attributes) }
            OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "scratchpad mode")
            var postOps: dnnl_post_ops_t?
            OneDNN.check(dnnl_post_ops_create(&postOps), "post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            if convolution.relu { OneDNN.check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "ReLU") }
            OneDNN.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "post-ops")

            var strides = window.stride.map(Int64.init), padding = window.padding.map(Int64.init)
            var operation = dnnl_convolution_desc_t()
            OneDNN.check(dnnl_convolution_forward_desc_init(
                &operation, dnnl_forward_inference, dnnl_convolution_direct, &anySource, &anyWeights, &biasDescriptor, &anyDestination,
                &strides, &padding, &padding), "convolution \(weightDims) over \(sourceDims)")
            var descriptor: dnnl_primitive_desc_t?
            omp_set_num_threads(Int32(GEMM.threads))
            OneDNN.check(dnnl_primitive_desc_create(&descriptor, &operation, attributes, OneDNN.engine, nil), "convolution \(weightDims)")
            defer { dnnl_primitive_desc_destroy(descriptor) }
            var primitive: dnnl_primitive_t?
            OneDNN.check(dnnl_primitive_create(&primitive, descriptor), "convolution primitive")
            self.primitive = primitive

            func query(_ what: dnnl_query_t) -> dnnl_memory_desc_t { dnnl_primitive_desc_query_md(descriptor, what, 0).pointee }
            source = query(dnnl_query_src_md)
            destination = query(dnnl_query_dst_md)
            scratchLayout = query(dnnl_query_scratchpad_md)
            var sizes = (source, destination, scratchLayout)
            sourceBytes = dnnl_memory_desc_get_size(&sizes.0)
            destinationBytes = dnnl_memory_desc_get_size(&sizes.1)
            scratchBytes = dnnl_memory_desc_get_size(&sizes.2)
            var weightLayout = query(dnnl_query_weights_md)
            packed = .allocate(byteCount: max(64, dnnl_memory_desc_get_size(&weightLayout)), alignment: 64)
            OneDNN.reorder(weight, plainWeights, into: packed, weightLayout)
            weights = (UnsafeRawPointer(packed), weightLayout)
            biasCopy = .allocate(byteCount: convolution.outputs * 4, alignment: 64)
            biasCopy.copyMemory(from: bias, byteCount: convolution.outputs * 4)
            biasBase = UnsafeRawPointer(biasCopy)
        }

        /// The packed weights back in PyTorch's (D, C, kt, kh, kw) order.
        func unpackedWeights(outputs: Int, channels: Int, window: Window3D) -> [Float] {
            var plain = dnnl_memory_desc_t()
            var dims = ([outputs, channels] + window.kernel).map(Int64.init)
            OneDNN.check(dnnl_memory_desc_init_by_tag(&plain, 5, &dims, dnnl_f32, dnnl_oidhw), "weights layout")
            let count = outputs * channels * window.volume
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
                OneDNN.reorder(weights.base, weights.layout, into: UnsafeMutableRawPointer(buffer.baseAddress!), plain)
                initialised = count
            }
        }

        deinit {
            dnnl_primitive_destroy(primitive)
            packed.deallocate()
            biasCopy.deallocate()
        }
    }
}
