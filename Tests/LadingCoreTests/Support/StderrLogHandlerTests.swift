import Foundation
import Logging
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// SPEC §4: text logs stay one line per event, whatever a file name holds.
@Suite struct StderrLogHandlerTests {
    /// Lines the handler wrote, in order.
    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func write(_ line: String) { lock.withLock { text += line } }
        var output: String { lock.withLock { text } }
    }

    func logger(_ format: StderrLogHandler.Format, into captured: Captured) -> Logger {
        Logger(label: "test") { label in StderrLogHandler(label: label, format: format, level: .info, output: captured.write) }
    }

    static let hostileName = "/landing/a\nb\r\tc\u{1}\u{1B}[31m\u{7F}\u{85}\u{2028}d\\n.csv"

    @Test func controlCharactersInMessagesAndMetadataAreEscapedInText() throws {
        let captured = Captured()
        var log = logger(.text, into: captured)
        log[metadataKey: "run_id"] = "run\n1"
        log.info("loaded \(Self.hostileName)", metadata: ["file": "\(Self.hostileName)", "list": ["x\ny"], "map": ["k": "v\rw"]])
        log.warning("second event")
        let lines = captured.output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3, "\(captured.output)")
        #expect(lines.last == "")
        let escaped = #"/landing/a\nb\r\tc\u0001\u001B[31m\u007F\u0085\u2028d\\n.csv"#
        #expect(lines[0].contains(" INFO loaded \(escaped) "), "\(lines[0])")
        #expect(lines[0].contains("file=\(escaped)"), "\(lines[0])")
        #expect(lines[0].contains(#"run_id=run\n1"#), "\(lines[0])")
        // Arrays and dictionaries render through their descriptions; whatever those
        // escape, the event stays on its line.
        #expect(lines[0].contains("list=") && lines[0].contains("map="), "\(lines[0])")
        #expect(lines[1].contains(" WARNING second event "), "\(lines[1])")
    }

    @Test func plainTextIsUnchanged() {
        let line = StderrLogHandler.render(format: .text, date: Date(timeIntervalSince1970: 0), level: .info,
                                           message: "file loaded", metadata: ["file": "/landing/Zoë ☃ a b.csv", "rows": "3"])
        #expect(line == "1970-01-01T00:00:00.000Z INFO file loaded file=/landing/Zoë ☃ a b.csv rows=3")
    }

    @Test func jsonLinesStayOneLineAndDecodeToTheOriginal() throws {
        let captured = Captured()
        logger(.json, into: captured).info("loaded", metadata: ["file": "\(Self.hostileName)"])
        let lines = captured.output.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String]
        #expect(object?["file"] == Self.hostileName)
    }
}
