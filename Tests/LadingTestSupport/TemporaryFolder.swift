import Foundation

/// One temporary folder per test, removed when the test's value goes away.
public final class TemporaryFolder {
    public let path: String

    public init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/lading-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func url(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    public func write(_ relative: String, _ content: String) throws -> String {
        let target = url(relative)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    public func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative)) }

    public func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: url(relative)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Sets a file's modified time, so age and change tests do not sleep.
    public func setModified(_ relative: String, to date: Date) throws {
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: url(relative))
    }
}
