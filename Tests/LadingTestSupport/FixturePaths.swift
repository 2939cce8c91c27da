import Foundation

public enum FixturePaths {
    /// The package root: this file is Tests/LadingTestSupport/FixturePaths.swift.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    public static func fixture(_ relative: String) -> String { root + "/fixtures/" + relative }
}
