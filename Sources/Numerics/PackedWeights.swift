import CDNNL

extension OneDNN {
    /// A weight matrix reordered once, at load, into the blocked layout oneDNN's product kernels read.
    ///
    /// Read in a checkpoint's (K, N) row-major layout, oneDNN's kernels ran ViViT-B's MLP products at about
    /// 60% of their speed from this layout (`Benchmarks/RESULTS.md`). The layout is the one oneDNN picks for
    /// a product of `representativeRows` rows; its kernels read it for any number of rows.
    final class PackedWeights: @unchecked Sendable {
        let type: ElementType
        let rows: Int, columns: Int
        private let layout: dnnl_memory_desc_t
        private let storage: UnsafeMutableRawPointer

        static let representativeRows = 1024

        /// Packs `source`, a (K, N) operand of any type and strides, as `type`, for products whose
        /// activations are `inputType` (oneDNN converts fp32 to bf16 while reordering, rounding to nearest even).
        init(_ source: Operand, as type: ElementType, inputType: ElementType) {
            self.type = type
            (rows, columns) = (source.dims[0], source.dims[1])
            var activations = Operand(base: source.base, type: inputType, dims: [Self.representativeRows, rows],
                                      strides: [rows, 1]).descriptor()
            var outputs = Operand(base: source.base, type: .f32, dims: [Self.representativeRows, columns], strides: [columns, 1]).descriptor()
            var anyLayout = dnnl_memory_desc_t()
            var dims = [Int64(rows), Int64(columns)]
            check(dnnl_memory_desc_init_by_tag(&anyLayout, 2, &dims, type.dnnl, dnnl_format_tag_any), "weights layout")
            var operation = dnnl_matmul_desc_t()
            check(dnnl_matmul_desc_init(&operation, &activations, &anyLayout, nil, &outputs), "matmul for packing")
            var chooser: dnnl_primitive_desc_t?
            check(dnnl_primitive_desc_create(&chooser, &operation, nil, engine, nil), "matmul for packing")
            defer { dnnl_primitive_desc_destroy(chooser) }
            layout = dnnl_primitive_desc_query_md(chooser, dnnl_query_weights_md, 0).pointee
            var target = layout
            storage = .allocate(byteCount: max(64, dnnl_memory_desc_get_size(&target)), alignment: 64)
            reorder(source.base, source.descriptor(), into: storage, layout)
        }

        deinit { storage.deallocate() }

        /// The packed matrix as the weights operand of a product.
        var operand: Operand {
            Operand(base: UnsafeRawPointer(storage), type: type, dims: [rows, columns], strides: [], layout: layout)
        }
    }
}
