import Foundation
import Testing
import VividTestSupport

@testable import HTTPServer

@Suite("Upload store: folders of processes that are gone are removed at start")
struct UploadStoreTests {
    @Test("A folder whose lock nobody holds (its process was killed) is removed with its files; a live store's and a lockless folder stay")
    func abandonedFolders() throws {
        let parent = try TemporaryDirectory()
        let manager = FileManager.default
        // What `kill -9` leaves: the folder, its lock file (no longer locked) and a partial upload.
        let abandoned = parent.url.appendingPathComponent("vivid-uploads-dead01")
        try manager.createDirectory(at: abandoned, withIntermediateDirectories: false)
        #expect(manager.createFile(atPath: abandoned.appendingPathComponent(UploadStore.lockName).path, contents: nil))
        #expect(manager.createFile(atPath: abandoned.appendingPathComponent("0a1b2c-0").path, contents: Data(count: 1000)))
        // A folder without a lock file: not one this version made, or one still being made.
        let lockless = parent.url.appendingPathComponent("vivid-uploads-other1")
        try manager.createDirectory(at: lockless, withIntermediateDirectories: false)

        let live = try UploadStore(parent: parent.url)
        #expect(live.removedAtStart == [abandoned.path])
        #expect(!manager.fileExists(atPath: abandoned.path) && manager.fileExists(atPath: lockless.path))
        #expect(live.entryCount == 0, "the lock file is not an upload")

        // A second store (as a second server process would) leaves the first one's folder: its lock is held.
        let second = try UploadStore(parent: parent.url)
        #expect(second.removedAtStart.isEmpty && manager.fileExists(atPath: live.root.path))
        second.removeAll()
    }
}
