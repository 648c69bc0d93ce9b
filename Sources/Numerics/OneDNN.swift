import CDNNL

/// Vivid's matrix products on oneDNN (its other calls: `PackedWeights`, `BlockedConvolution`, and
/// `CPUCapabilities` for the instruction set): fp32 products where OpenBLAS has no kernel for this CPU, and
/// every bf16 and int8 product.
///
/// Each call describes its operands by shape and strides, so a head's column block or a transposed
/// matrix is read in place, as with `GEMM.Operand`. Primitives come from oneDNN's primitive cache (about
/// 7 µs for a cached one), so no primitive is kept per layer. Scratch memory is per call
/// (`dnnl_scratchpad_mode_user`): a model may run on several workers at once.
enum OneDNN {
    /// An element type oneDNN reads or writes.
    enum ElementType {
        case f32, bf16, s8

        var dnnl: dnnl_data_type_t {
            switch self {
            case .f32: dnnl_f32
            case .bf16: dnnl_bf16
            case .s8: dnnl_s8
            }
        }
    }

    /// A strided array: its first element, element type, dimensions and strides in elements.
    struct Operand {
        var base: UnsafeRawPointer
        var type: ElementType
        var dims: [Int]
        var strides: [Int]
        /// A layout of oneDNN's own (packed weights), used instead of `strides`.
        var layout: dnnl_memory_desc_t? = nil

        /// A row-major (rows, columns) matrix whose rows are `leadingDimension` apart, or its transpose.
        static func matrix(_ base: UnsafeRawPointer, _ type: ElementType, rows: Int, columns: Int,
                           leadingDimension: Int, transposed: Bool = false) -> Operand {
            Operand(base: base, type: type, dims: [rows, columns],
                    strides: transposed ? [1, leadingDimension] : [leadingDimension, 1])
        }

        func descriptor() -> dnnl_memory_desc_t {
            if let layout { return layout }
            var descriptor = dnnl_memory_desc_t()
            var dims = dims.map(Int64.init), strides = strides.map(Int64.init)
            check(dnnl_memory_desc_init_by_strides(&descriptor, Int32(dims.count), &dims, type.dnnl, &strides), "memory \(self.dims)")
            return descriptor
        }
    }

    /// What follows the product, in this order, on its fp32 accumulator. Only what oneDNN 2.6's fast
    /// (brgemm) kernels fuse is offered: a per-row scale or runtime scales would select its reference kernel.
    struct Epilogue {
        /// Multiplies column j by `columnScales[j]` (int8 weights' per-channel scales) or all by `scale`.
        var scale: Float = 1
        var columnScales: [Float]? = nil
        /// Adds a bias of one value per column.
        var bias: UnsafePointer<Float>? = nil
        /// Adds what the output held (a residual, or GEMM's beta = 1).
        var accumulate = false
    }

    /// c = epilogue(a · b) for a (…, m, k), b (…, k, n), c (…, m, n); leading dimensions are batch
    /// dimensions (broadcast where b has 1).
    ///
    /// - Parameter threads: OpenMP threads for this call; 1 inside work already spread over the cores.
    static func multiply(_ a: Operand, _ b: Operand, into c: UnsafeMutableRawPointer, _ cType: ElementType, cStrides: [Int]? = nil,
                         epilogue: Epilogue = Epilogue(), threads: Int) {
        let n = b.dims[b.dims.count - 1]
        var cDims = a.dims
        cDims[cDims.count - 1] = n
        let cOperand = Operand(base: UnsafeRawPointer(c), type: cType, dims: cDims, strides: cStrides ?? denseStrides(cDims))
        var aDescriptor = a.descriptor(), bDescriptor = b.descriptor(), cDescriptor = cOperand.descriptor()

        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "scratchpad mode")
        let last = cDims.count - 1
        if let columnScales = epilogue.columnScales {
            check(dnnl_primitive_attr_set_output_scales(attributes, Int64(n), Int32(1 << last), columnScales), "column scales")
        } else if epilogue.scale != 1 {
            var scale = [epilogue.scale]
            check(dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &scale), "scale")
        }
        var postOps: dnnl_post_ops_t?
        check(dnnl_post_ops_create(&postOps), "post-ops")
        defer { dnnl_post_ops_destroy(postOps) }
        var postOpArguments: [(UnsafeRawPointer, dnnl_memory_desc_t)] = []
        func appendBinary(_ algorithm: dnnl_alg_kind_t, _ values: UnsafePointer<Float>, dims: [Int]) {
            var descriptor = Operand(base: UnsafeRawPointer(values), type: .f32, dims: dims, strides: denseStrides(dims)).descriptor()
            check(dnnl_post_ops_append_binary(postOps, algorithm, &descriptor), "binary post-op")
            postOpArguments.append((UnsafeRawPointer(values), descriptor))
        }
        if let bias = epilogue.bias {
            var dims = [Int](repeating: 1, count: cDims.count)
            dims[last] = n
            appendBinary(dnnl_binary_add, bias, dims: dims)
        }
        if epilogue.accumulate { check(dnnl_post_ops_append_sum(postOps, 1), "sum post-op") }
        check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "post-ops")

        omp_set_num_threads(Int32(threads))
        var operation = dnnl_matmul_desc_t()
        check(dnnl_matmul_desc_init(&operation, &aDescriptor, &bDescriptor, nil, &cDescriptor), "matmul \(a.dims)·\(b.dims)")
        var primitiveDescriptor: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&primitiveDescriptor, &operation, attributes, engine, nil), "matmul \(a.dims)·\(b.dims) \(a.type)")
        defer { dnnl_primitive_desc_destroy(primitiveDescriptor) }
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, primitiveDescriptor), "matmul primitive")
        defer { dnnl_primitive_destroy(primitive) }

        var arguments: [(Int32, UnsafeRawPointer, dnnl_memory_desc_t)] = [
            (DNNL_ARG_SRC, a.base, aDescriptor), (DNNL_ARG_WEIGHTS, b.base, bDescriptor), (DNNL_ARG_DST, UnsafeRawPointer(c), cDescriptor),
        ]
        for (index, (values, descriptor)) in postOpArguments.enumerated() {
            arguments.append((DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE * Int32(index + 1) | DNNL_ARG_SRC_1, values, descriptor))
        }
        let scratchDescriptor = dnnl_primitive_desc_query_md(primitiveDescriptor, dnnl_query_scratchpad_md, 0)
        let scratchBytes = dnnl_memory_desc_get_size(scratchDescriptor)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(64, scratchBytes), alignment: 64)
        defer { scratch.deallocate() }
        if scratchBytes > 0, let scratchDescriptor {
            arguments.append((DNNL_ARG_SCRATCHPAD, UnsafeRawPointer(scratch), scratchDescriptor.pointee))
        }
        execute(primitive, arguments)
    }

    /// Copies `source`, laid out as `from`, into `target` as `to` (oneDNN converts the type and blocking).
    static func reorder(_ source: UnsafeRawPointer, _ from: dnnl_memory_desc_t, into target: UnsafeMutableRawPointer, _ to: dnnl_memory_desc_t) {
        var (from, to) = (from, to)
        var descriptor: dnnl_primitive_desc_t?
        check(dnnl_reorder_primitive_desc_create(&descriptor, &from, engine, &to, engine, nil), "reorder")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, descriptor), "reorder")
        defer { dnnl_primitive_destroy(primitive) }
        execute(primitive, [(DNNL_ARG_FROM, source, from), (DNNL_ARG_TO, UnsafeRawPointer(target), to)])
    }

    /// Runs `primitive` on a stream of its own, wrapping each pointer in a memory object for the call.
    static func execute(_ primitive: dnnl_primitive_t?, _ arguments: [(Int32, UnsafeRawPointer, dnnl_memory_desc_t)]) {
        var memories: [dnnl_memory_t?] = []
        defer { for memory in memories { dnnl_memory_destroy(memory) } }
        var executionArguments: [dnnl_exec_arg_t] = []
        for (argument, pointer, descriptor) in arguments {
            var memory: dnnl_memory_t?
            var descriptor = descriptor
            check(dnnl_memory_create(&memory, &descriptor, engine, UnsafeMutableRawPointer(mutating: pointer)), "memory")
            memories.append(memory)
            executionArguments.append(dnnl_exec_arg_t(arg: argument, memory: memory))
        }
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        defer { dnnl_stream_destroy(stream) }
        check(dnnl_primitive_execute(primitive, stream, Int32(executionArguments.count), &executionArguments), "execute")
        check(dnnl_stream_wait(stream), "stream wait")
    }

    /// The CPU engine, created once.
    nonisolated(unsafe) static let engine: dnnl_engine_t? = {
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "CPU engine")
        return engine
    }()

    /// The instruction set oneDNN's kernels use on this CPU.
    static var instructionSet: dnnl_cpu_isa_t { dnnl_get_effective_cpu_isa() }

    static func denseStrides(_ dims: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: dims.count)
        for axis in dims.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * dims[axis + 1] }
        return strides
    }

    /// oneDNN refuses only descriptions that Vivid's layers never make (their shapes are checked at load),
    /// so a refusal is a bug in the caller.
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN refused \(what()): status \(status.rawValue)")
    }
}
