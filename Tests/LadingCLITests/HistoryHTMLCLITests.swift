import Foundation
@testable import LadingCore
import LadingStore
import LadingSupport
import LadingTestSupport
import Testing

/// SPEC §8 `history --html PATH` (issue 17): one self-contained page, rendered by a real
/// headless browser (Debian's chromium, which `make deps-test` installs). A missing
/// chromium fails these tests: it does not skip them.
@Suite struct HistoryHTMLCLITests {
    /// A file name (so also its error message) with markup, an entity, quotes, and an
    /// image whose `onerror` would run if the text were not escaped (file names have no
    /// `/`, so no `</script>`).
    static let hostileName = "bad<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'&amp;.csv.gz"

    @Test(arguments: TestBackend.allCases)
    func thePageShowsTheRunsInABrowserWithTheirErrorsEscaped(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeConfig(extra: "max_bad_record_ratio: 0.5\n")
        try workspace.write("landing/orders/a.csv", "id,note\n1,first\n2,second\n")
        #expect(try workspace.lading("run").status == 0)
        // A partial run: one good file, one "gzip" file that is not.
        try workspace.write("landing/orders/b.csv", "id,note\n3,third\n")
        try workspace.write("landing/orders/" + Self.hostileName, "not gzip at all")
        #expect(try workspace.lading("run").status == 1)
        // Quarantined records, in a file whose name has control characters.
        try workspace.write("landing/orders/q\u{1}\u{1B}[31m.csv", "id,note\n4,a\n5\n6,b\n7,c\n")
        #expect(try workspace.lading("run").status == 0)

        let runIDs = (try JSONSerialization.jsonObject(with: Data(try workspace.lading("history", "--json").stdout.utf8)) as? [String: Any])
            .flatMap { $0["runs"] as? [[String: Any]] }?.compactMap { $0["run_id"] as? String } ?? []
        #expect(runIDs.count == 3)
        let written = try workspace.lading("history", "--html", "report/history.html")
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("history.html: 3 run(s), 1 failed file(s)"), "\(written.stdout)")
        let page = try #require(workspace.read("report/history.html"))
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(try workspace.lading("history", "--html", "report/again.html").status == 0)
        #expect(workspace.read("report/again.html") == page, "the same history gives the same bytes")

        let dom = try Chromium.dumpDOM(workspace.url("report/history.html"), scratch: workspace)
        // The chart: one mark per run, each titled with its run id, oldest on the left.
        #expect(dom.contains("<svg id=\"runs-chart\""), "\(dom.prefix(2_000))")
        let marks = dom.components(separatedBy: "<g class=\"run o-").dropFirst()
        #expect(marks.count == 3)
        #expect(marks.map { String($0.prefix(14)) } == ["success\"><titl", "partial\"><titl", "success\"><titl"])
        #expect(marks.enumerated().allSatisfy { $0.element.contains("<title>" + runIDs[2 - $0.offset] + " · ") })
        for runID in runIDs { #expect(dom.contains("<td class=\"id\">\(runID)</td>"), "\(runID) in the runs table") }
        #expect(dom.contains("25.00%"), "the quarantine run's rate")
        // The failed file with its error class and message, as text: the browser shows
        // the characters and builds no element from them.
        let shown = Self.hostileName.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        #expect(dom.contains("<td>data</td><td class=\"msg\">\(workspace.path)/landing/orders/\(shown) ends in .gz but is not gzip data"), "\(dom)")
        #expect(dom.contains("<title>lading history: 3 runs</title>"), "no script ran")
        #expect(!dom.contains("pwned</title>"))
        #expect(!dom.contains("<script") && !dom.contains("<img"), "no element came from the data")
        #expect(dom.contains("q\\u0001\\u001B[31m.csv"), "control characters are shown, not sent")
        #expect(dom.contains("<h3 class=\"table\">orders</h3>\n<p>3 files loaded: 6 rows, 1 quarantined.</p>"), "\(dom)")
        try Chromium.expectSelfContained(page: page, dom: dom)

        let screenshot = try Chromium.screenshot(workspace.url("report/history.html"), name: "history-\(backend)", scratch: workspace)
        #expect(screenshot.width == 1280 && screenshot.height == 1400)
        #expect(screenshot.bytes > 40_000, "a page with a chart and tables, not a blank one: \(screenshot.bytes) bytes")
    }

    /// 1,000 runs: the page stays small enough to open and still has one mark per run.
    @Test func aThousandRunsMakeAReasonablePage() throws {
        let workspace = try Workspace()
        let statuses = ["success", "success", "success", "partial", "failed", "success", "interrupted", "success", "refused", "??"]
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let history = RunHistory(runs: (0..<1_000).reversed().map { day in
            let started = start.addingTimeInterval(Double(day) * 86_400)
            let status = statuses[day % statuses.count]
            let failed = status == "partial" || status == "failed"
            let run = RunRecord(runID: "run-\(day)", startedAt: Timestamp.iso8601(started), finishedAt: Timestamp.iso8601(started.addingTimeInterval(Double(30 + day % 97))),
                                status: status, pid: 1, hostname: "host", filesDiscovered: 3, filesLoaded: failed ? 1 : 2, filesFailed: failed ? 1 : 0,
                                rowsLoaded: Int64(10_000 + day * 37 % 5_000), rowsQuarantined: Int64(day % 13), errorMessage: nil)
            var files = [RunFile(table: "orders", file: "/srv/landing/orders/day-\(day).csv", status: "completed", recordsRead: 10_000, rowsLoaded: 10_000,
                                 rowsQuarantined: Int64(day % 13), errorType: nil, errorMessage: nil, scd2: nil)]
            if failed {
                files.append(RunFile(table: "items", file: "/srv/landing/items/day-\(day).csv", status: "failed", recordsRead: 0, rowsLoaded: 0,
                                     rowsQuarantined: 0, errorType: "data", errorMessage: "line 2: expected 3 fields, found 1", scd2: nil))
            }
            return RunHistory.Entry(run: run, durationSeconds: RunHistory.duration(of: run), files: files)
        })
        let html = HistoryPage(history: history).html
        #expect(html == HistoryPage(history: history).html)
        #expect(html.utf8.count < 2_000_000, "\(html.utf8.count) bytes")
        try workspace.write("history.html", html)
        let dom = try Chromium.dumpDOM(workspace.url("history.html"), scratch: workspace)
        #expect(dom.components(separatedBy: "<g class=\"run o-").count - 1 == 1_000)
        #expect(dom.components(separatedBy: "<g class=\"run o-other\">").count - 1 == 100, "an unknown outcome gets the neutral colour")
        try Chromium.expectSelfContained(page: html, dom: dom)
        let screenshot = try Chromium.screenshot(workspace.url("history.html"), name: "history-1000-runs", scratch: workspace)
        #expect(screenshot.bytes > 40_000)
    }

    @Test func escapingCoversMarkupQuotesAndControlCharacters() {
        #expect(HistoryPage.escape("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;")
        #expect(HistoryPage.escape("tab\there\nnew\u{0}\u{7F}\u{85}\r") == "tab\there\nnew\\u0000\\u007F\\u0085\\u000D")
        #expect(HistoryPage.escape("evil\u{202E}txt.csv") == "evil\\u202Etxt.csv", "a right-to-left override cannot disguise a name")
        #expect(HistoryPage.escape("Zürich 東京 ✓") == "Zürich 東京 ✓")
    }

    @Test func noTrackerYetWritesAPageSayingSo() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        let result = try workspace.lading("history", "--html", "history.html")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(workspace.read("history.html")?.contains("<p>No runs recorded yet.</p>") == true)
    }

    @Test func aPathThatCannotBeWrittenExits74NamingIt() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        #expect(try workspace.lading("run").status == 0)
        // A folder where the file should be, and a file where its folder should be.
        try FileManager.default.createDirectory(atPath: workspace.url("taken.html"), withIntermediateDirectories: true)
        try workspace.write("plain.txt", "x")
        for path in [workspace.url("taken.html"), workspace.url("plain.txt/history.html")] {
            let result = try workspace.lading("history", "--html", path)
            #expect(result.status == 74, "\(path): \(result.stderr)")
            #expect(result.stderr.contains("cannot write \(path)"), "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.path).allSatisfy { !$0.contains(".tmp-") }, "nothing half-written")
    }

    @Test func aConfigErrorExits78AndJSONWithHTMLIsAUsageError() throws {
        let workspace = try Workspace()
        try workspace.write("lading.yaml", "tables: [\n")
        let broken = try workspace.lading("history", "--html", "history.html")
        #expect(broken.status == 78, "\(broken.stderr)")
        #expect(!workspace.exists("history.html"))
        try workspace.writeConfig()
        #expect(try workspace.lading("history", "--html", "history.html", "--json").status == 64)
    }
}

/// Debian's chromium, headless, with a time limit: a hung browser fails the test.
enum Chromium {
    struct Screenshot { var path: String; var width: Int; var height: Int; var bytes: Int }

    /// `LADING_CHROMIUM` overrides the binary (a wrong one shows the tests fail without it).
    static func binary() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let candidates = environment["LADING_CHROMIUM"].map { [$0] }
            ?? (environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/chromium" }
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) },
                            "chromium is not installed: `make deps-test` installs it (apt-get install chromium)")
    }

    /// Runs chromium under `timeout`; root needs --no-sandbox, and each call gets a
    /// profile folder of its own.
    static func run(_ arguments: [String], scratch: Workspace) throws -> CLIResult {
        let profile = scratch.url("chromium-profile-" + UUID().uuidString)
        let result = try CLI.run(["--kill-after=10", "90", try binary(), "--headless", "--no-sandbox", "--disable-gpu",
                                  "--user-data-dir=" + profile, "--no-first-run", "--hide-scrollbars"] + arguments,
                                 in: scratch.path, executable: "/usr/bin/timeout")
        #expect(result.status != 124 && result.status != 137, "chromium did not finish within 90 s")
        return result
    }

    static func dumpDOM(_ path: String, scratch: Workspace) throws -> String {
        let result = try run(["--dump-dom", URL(fileURLWithPath: path).absoluteString], scratch: scratch)
        try #require(result.status == 0 && result.stdout.contains("</html>"), "chromium --dump-dom: \(result.status) \(result.stderr.suffix(2_000))")
        return result.stdout
    }

    /// A PNG kept under `.build/screenshots/` so a person can look at it after the run.
    static func screenshot(_ path: String, name: String, scratch: Workspace, width: Int = 1280, height: Int = 1400) throws -> Screenshot {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/screenshots").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = folder + "/" + name + ".png"
        try? FileManager.default.removeItem(atPath: target)
        let result = try run(["--screenshot=" + target, "--window-size=\(width),\(height)", URL(fileURLWithPath: path).absoluteString], scratch: scratch)
        let png = try #require(FileManager.default.contents(atPath: target), "no screenshot: \(result.status) \(result.stderr.suffix(2_000))")
        try #require(png.count > 24 && png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
        func bigEndian(_ offset: Int) -> Int { png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return Screenshot(path: target, width: bigEndian(16), height: bigEndian(20), bytes: png.count)
    }

    /// Nothing outside the page: in the DOM the browser built, no element loads or links
    /// anything but an anchor of the page itself, and the CSS imports nothing.
    static func expectSelfContained(page: String, dom: String) throws {
        // In a serialized DOM a literal `<` only opens a tag (text has `&lt;`) and
        // attribute values have `&gt;` for `>`, so each match is one real tag.
        let tags = try Regex("<[a-zA-Z][^>]*>")
        let reference = try Regex("\\s(src|href|xlink:href|srcset|data|action|poster|background)\\s*=\\s*\"([^\"]*)\"")
        for match in dom.matches(of: tags) {
            let tag = String(dom[match.range])
            for attribute in tag.matches(of: reference) {
                let value = String(tag[attribute.range])
                #expect(value.contains("\"#"), "a reference outside the page: \(tag)")
            }
            #expect(!tag.lowercased().contains("url("), "\(tag)")
            for name in ["<script", "<link", "<iframe", "<object", "<embed", "<img", "<image", "<use", "<video", "<audio", "<base"] {
                #expect(!tag.lowercased().hasPrefix(name), "\(tag)")
            }
        }
        let styles = page.components(separatedBy: "<style>").dropFirst().map { $0.components(separatedBy: "</style>")[0] }
        #expect(styles.count == 1)
        for style in styles { #expect(!style.contains("@import") && !style.contains("url(") && !style.contains("@font-face"), "\(style)") }
        #expect(page.contains("Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\""))
    }
}
