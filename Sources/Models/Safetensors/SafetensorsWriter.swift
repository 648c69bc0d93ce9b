import Foundation
import Numerics

/// Writes float32 tensors and string metadata as a safetensors file, streaming each tensor's bytes from its
/// storage (no second copy of a large tensor is made).
public enum SafetensorsWriter {
    /// Writes `tensors` (name, value) in the given order with `metadata` to `path`, replacing any file there.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws(SafetensorsError) {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, tensor) in tensors {
            let size = tensor.count * MemoryLayout<Float>.size
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        guard var json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) else {
            throw .malformedHeader("the header cannot be encoded as JSON")
        }
        // Pad with spaces so that the data section starts 8-byte aligned, as the format recommends.
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var prefix = Data(count: 8)
        for byte in 0..<8 { prefix[byte] = UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64(byte))) }

        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw .unreadable("cannot create \(path)")
        }
        defer { try? file.close() }
        do {
            try file.write(contentsOf: prefix + json)
            for (_, tensor) in tensors {
                // Little-endian hosts only (x86_64, arm64): the storage bytes are the file's bytes.
                try tensor.storage.withUnsafeBytes { bytes in
                    guard !bytes.isEmpty else { return }
                    try file.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count, deallocator: .none))
                }
            }
        } catch {
            throw .unreadable("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
