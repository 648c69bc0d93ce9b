// libFuzzer target for `ContainerPolicy.detectContainer(path:)` (Sources/VideoDecoding/ContainerPolicy.swift):
// it reads the head of every uploaded file and runs FFmpeg's format probes over it before any demuxer opens
// the file, so a client's bytes must give a format or `unsupportedMedia`, never a trap, a bad memory access
// in the Swift side's buffers (ASan) or a probe that reads past the zero padding it is handed.
//
// Input: the file's contents, written to one scratch file per process (rewritten for each input) since the
// policy reads a path. `ContainerPolicy` is internal: `@testable import`, the build compiling with testing
// enabled (Tests/Fuzz/run.sh).
import Glibc
@testable import VideoDecoding

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContainer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    precondition(ftruncate(scratch.descriptor, 0) == 0 && pwrite(scratch.descriptor, data, size, 0) == size,
                 "cannot write \(scratch.path)")
    _ = try? ContainerPolicy.detectContainer(path: scratch.path)
    return 0
}

/// The file each input is written to, created at the first input and removed when the fuzzer exits.
private let scratch = ScratchFile()

private struct ScratchFile {
    let path: String
    let descriptor: Int32

    init() {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(directory)/vivid-fuzz-container-XXXXXX".utf8CString)
        descriptor = mkstemp(&template)
        precondition(descriptor >= 0, "cannot create a scratch file in \(directory): \(String(cString: strerror(errno)))")
        path = String(cString: template)
        atexit { unlink(scratch.path) }
    }
}
