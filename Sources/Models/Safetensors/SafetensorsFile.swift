import Foundation
import Numerics

/// A memory-mapped safetensors file: a little-endian u64 header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw data. F32, F16 and BF16 tensors are read as float32.
public struct SafetensorsFile: Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        /// Byte range within the data section.
        public var range: Range<Int>
    }

    /// Entries by tensor name.
    public let entries: [String: Entry]
    /// The header's `__metadata__` string map.
    public let metadata: [String: String]
    private let data: Data
    private let dataStart: Int

    /// Maps the file at `path` and validates its header: JSON shape, dtypes, and every range inside the file.
    public init(path: String) throws(SafetensorsError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable("\(path): \(error.localizedDescription)")
        }
        guard data.count >= 8 else { throw .malformedHeader("file shorter than its 8-byte length prefix") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else { throw .malformedHeader("header length \(headerLength) passes the end of the file") }
        let headerEnd = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)) as? [String: Any] else {
            throw .malformedHeader("the header is not a JSON object")
        }

        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in header {
            if key == "__metadata__" {
                guard let map = value as? [String: String] else { throw .malformedHeader("__metadata__ must map strings to strings") }
                metadata = map
                continue
            }
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else { throw .malformedHeader("entry '\(key)' needs dtype, shape and two data_offsets") }
            guard let width = Self.byteWidth(of: dtype) else { throw .unsupportedDType(key: key, dtype: dtype) }
            let range = offsets[0]..<max(offsets[0], offsets[1])
            guard offsets[0] >= 0, offsets[1] >= offsets[0], shape.allSatisfy({ $0 >= 0 }),
                  headerEnd + offsets[1] <= data.count, range.count == shape.reduce(1, *) * width
            else { throw .outOfBounds(key: key) }
            entries[key] = Entry(dtype: dtype, shape: shape, range: range)
        }
        self.entries = entries
        self.metadata = metadata
        self.data = data
        dataStart = headerEnd
    }

    /// Tensor names, sorted.
    public var keys: [String] { entries.keys.sorted() }

    /// The tensor `key` converted to float32.
    public func tensor(_ key: String) throws(SafetensorsError) -> Tensor {
        guard let entry = entries[key] else { throw .missingTensor(key) }
        let count = entry.shape.reduce(1, *)
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)])
                Self.convert(bytes, dtype: entry.dtype, into: buffer)
            }
            initialized = count
        }
        return Tensor(shape: entry.shape, storage: values)
    }

    static func byteWidth(of dtype: String) -> Int? {
        switch dtype {
        case "F32": 4
        case "F16", "BF16": 2
        default: nil
        }
    }

    private static func convert(_ bytes: UnsafeRawBufferPointer, dtype: String, into output: UnsafeMutableBufferPointer<Float>) {
        switch dtype {
        case "F32":
            for index in output.indices { output[index] = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self).littleEndian) }
        case "F16":
            for index in output.indices { output[index] = Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self).littleEndian)) }
        default: // BF16: the high half of a float32
            for index in output.indices { output[index] = Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self).littleEndian) << 16) }
        }
    }
}
