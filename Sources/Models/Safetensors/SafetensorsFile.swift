import Foundation
import Numerics

/// A memory-mapped safetensors file: a little-endian u64 header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw data. F32, F16 and BF16 tensors are read as float32.
///
/// Each tensor is copied out of the mapping when asked for, and its pages are then released from the
/// process (`MADV_DONTNEED`): a model that loads its weights holds them once, not once copied and once mapped.
public final class SafetensorsFile: @unchecked Sendable {
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
    private let mapping: UnsafeRawBufferPointer
    private let dataStart: Int

    /// Maps the file at `path` and validates its header: JSON shape, dtypes, and every range inside the file.
    public init(path: String) throws(SafetensorsError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .unreadable("\(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { throw .unreadable("\(path): not a regular file") }
        let size = Int(status.st_size)
        guard size >= 8 else { throw .malformedHeader("file shorter than its 8-byte length prefix") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw .unreadable("\(path): \(String(cString: strerror(errno)))")
        }
        let mapping = UnsafeRawBufferPointer(start: base, count: size)
        do {
            (entries, metadata, dataStart) = try Self.readHeader(mapping)
        } catch {
            munmap(base, size)
            throw error
        }
        self.mapping = mapping
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress!), mapping.count) }

    private static func readHeader(_ data: UnsafeRawBufferPointer) throws(SafetensorsError) -> ([String: Entry], [String: String], Int) {
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[$1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(data.count - 8) else { throw .malformedHeader("header length \(headerLength) passes the end of the file") }
        let headerEnd = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: Data(data[8..<headerEnd])) as? [String: Any] else {
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
        return (entries, metadata, headerEnd)
    }

    /// Tensor names, sorted.
    public var keys: [String] { entries.keys.sorted() }

    /// The tensor `key` converted to float32.
    public func tensor(_ key: String) throws(SafetensorsError) -> Tensor {
        guard let entry = entries[key] else { throw .missingTensor(key) }
        let count = entry.shape.reduce(1, *)
        let start = dataStart + entry.range.lowerBound, end = dataStart + entry.range.upperBound
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            Self.convert(UnsafeRawBufferPointer(rebasing: mapping[start..<end]), dtype: entry.dtype, into: buffer)
            initialized = count
        }
        release(start..<end)
        return Tensor(shape: entry.shape, storage: values)
    }

    /// Drops the whole pages inside `range` from the process's memory; a later read maps them in again.
    private func release(_ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (range.lowerBound + page - 1) / page * page, last = range.upperBound / page * page
        guard last > first else { return }
        madvise(UnsafeMutableRawPointer(mutating: mapping.baseAddress! + first), last - first, MADV_DONTNEED)
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
