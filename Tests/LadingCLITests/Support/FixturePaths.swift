import Foundation

enum FixturePaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func fixture(_ relative: String) -> String { root + "/fixtures/" + relative }
}
