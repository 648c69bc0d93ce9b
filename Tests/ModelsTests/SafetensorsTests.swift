import Foundation
import Models
import Numerics
import Testing
import VividTestSupport

@Suite("Safetensors reading and writing")
struct SafetensorsTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    /// A file with the given JSON header and data bytes.
    private func rawFile(header: String, data: [UInt8]) throws -> String {
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + data
        return try TestVideos.file(in: directory, name: "\(UUID().uuidString).safetensors", contents: Data(bytes)).path
    }

    @Test("Tensors and metadata survive a round trip")
    func roundTrip() throws {
        let clips = Tensor(shape: [2, 3, 1, 2, 2], storage: (0..<24).map { Float($0) * 0.5 - 3 })
        let bias = Tensor(shape: [3], storage: [1, -2, 3.25])
        let path = directory.appendingPathComponent("round.safetensors").path
        try SafetensorsWriter.write([("clips", clips), ("bias", bias)], metadata: ["view_plan": "{\"a\":1}"], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.keys == ["bias", "clips"])
        #expect(file.metadata == ["view_plan": "{\"a\":1}"])
        #expect(try file.tensor("clips") == clips)
        #expect(try file.tensor("bias") == bias)
        #expect(throws: SafetensorsError.missingTensor("weight")) { try file.tensor("weight") }
    }

    @Test("Streaming writes: values appended in pieces, header written last (in its room or not), no partial file left",
          arguments: [8, 64 << 10])
    func streaming(headerRoom: Int) throws {
        let path = directory.appendingPathComponent("stream-\(headerRoom).safetensors").path
        let writer = try SafetensorsWriter(path: path, tensors: [("a", [2, 2]), ("b", [1])], headerRoom: headerRoom)
        try writer.append([1, 2])
        #expect(throws: SafetensorsError.malformedHeader("2 values appended; the declared shapes hold 5")) { try writer.finish() }
        try writer.append([3, 4, 5])
        #expect(throws: SafetensorsError.malformedHeader("more values appended than the declared shapes hold")) { try writer.append([6]) }
        try writer.finish(metadata: ["note": "last"])
        let headerLength = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0, "the data section starts 8-byte aligned")
        let file = try SafetensorsFile(path: path)
        #expect(try file.tensor("a") == Tensor(shape: [2, 2], storage: [1, 2, 3, 4]))
        #expect(try file.tensor("b").storage == [5])
        #expect(file.metadata["note"] == "last")
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))

        let abandoned = directory.appendingPathComponent("abandoned-\(headerRoom).safetensors").path
        do {
            let unfinished = try SafetensorsWriter(path: abandoned, tensors: [("a", [1])])
            #expect(FileManager.default.fileExists(atPath: abandoned + ".partial"))
            _ = unfinished
        }
        #expect(!FileManager.default.fileExists(atPath: abandoned + ".partial"))
        #expect(!FileManager.default.fileExists(atPath: abandoned))
    }

    @Test("F16 and BF16 are read as float32")
    func halfPrecision() throws {
        let half: [UInt16] = [Float16(1.5).bitPattern, Float16(-0.25).bitPattern]
        let brain: [UInt16] = [UInt16(Float(2.5).bitPattern >> 16), UInt16(Float(-8).bitPattern >> 16)]
        let data = (half + brain).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}"#
        let file = try SafetensorsFile(path: try rawFile(header: header, data: data))
        #expect(try file.tensor("h").storage == [1.5, -0.25])
        #expect(try file.tensor("b").storage == [2.5, -8])
    }

    @Test("Malformed files are clear errors")
    func malformed() throws {
        let fourFloats = [UInt8](repeating: 0, count: 16)
        #expect(throws: SafetensorsError.malformedHeader("file shorter than its 8-byte length prefix")) {
            try SafetensorsFile(path: try TestVideos.file(in: directory, name: "short", contents: Data([1, 2])).path)
        }
        #expect(throws: SafetensorsError.malformedHeader("the header is not a JSON object")) {
            try SafetensorsFile(path: try rawFile(header: "not json", data: []))
        }
        #expect(throws: SafetensorsError.outOfBounds(key: "w")) {
            try SafetensorsFile(path: try rawFile(header: #"{"w":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}"#, data: fourFloats))
        }
        #expect(throws: SafetensorsError.outOfBounds(key: "w")) {
            try SafetensorsFile(path: try rawFile(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, data: fourFloats))
        }
        #expect(throws: SafetensorsError.unsupportedDType(key: "w", dtype: "I64")) {
            try SafetensorsFile(path: try rawFile(header: #"{"w":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, data: fourFloats))
        }
        let absent = directory.appendingPathComponent("absent").path
        #expect(throws: SafetensorsError.unreadable("\(absent): No such file or directory")) { try SafetensorsFile(path: absent) }
    }
}
