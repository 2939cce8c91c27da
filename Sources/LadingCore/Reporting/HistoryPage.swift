import Foundation
import LadingSupport
import LadingStore

/// `lading history --html PATH` (SPEC §8): one HTML file that opens offline. It is
/// built from the same `RunHistory` as `history --json`: a chart of the runs over time
/// (rows loaded, duration, quarantine rate, outcome; one column per run, oldest on the
/// left), every run's id and outcome, the failed files with their error class and
/// message, and per table the files loaded.
///
/// Self-contained: inline CSS and inline SVG, no script at all, and a
/// Content-Security-Policy that forbids loading anything, so the page neither reaches
/// out nor runs what a file name might smuggle in. Every text from the data (run ids,
/// file names, error messages, table names) goes through `escape`; outcome colours come
/// from a fixed list, never from the data. The same history gives the same bytes: no
/// clock is read and every list keeps the tracker's order or a sorted one.
public struct HistoryPage: Sendable {
    public let history: RunHistory

    public init(history: RunHistory) {
        self.history = history
    }

    /// Writes the page atomically (the folder is created); a path that cannot be written
    /// is a `StateIOError` naming it (exit 74).
    public func write(to path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: Paths.directory(of: path), withIntermediateDirectories: true)
        } catch {
            throw StateIOError(path: path, detail: "its folder cannot be created (\(error.localizedDescription))")
        }
        try AtomicFile.write(Data(html.utf8), to: path)
    }

    /// The failed files of all runs, newest run first.
    private var failedFiles: [(runIndex: Int, file: RunFile)] {
        history.runs.enumerated().flatMap { index, entry in entry.files.filter { $0.status == "failed" }.map { (index, $0) } }
    }

    public var html: String {
        let runs = history.runs
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>lading history: \(runs.count) run\(runs.count == 1 ? "" : "s")</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <h1>lading history</h1>

            """
        guard !runs.isEmpty else { return page + "<p>No runs recorded yet.</p>\n</body>\n</html>\n" }
        page += summary + chart + runTable + failedTable + tableSections
        return page + "</body>\n</html>\n"
    }

    // MARK: - Sections

    private var summary: String {
        let runs = history.runs
        var counts: [String: Int] = [:]
        for entry in runs { counts[Self.outcomeClass(entry.run.status), default: 0] += 1 }
        let outcomes = Self.outcomes.compactMap { outcome in counts[outcome.name].map { "\($0) \(outcome.name)" } }
        let rows = runs.reduce(Int64(0)) { $0 + $1.run.rowsLoaded }
        let quarantined = runs.reduce(Int64(0)) { $0 + $1.run.rowsQuarantined }
        let first = runs.last.map { Self.started($0.run) } ?? "", last = runs.first.map { Self.started($0.run) } ?? ""
        return "<p class=\"summary\">\(runs.count) run\(runs.count == 1 ? "" : "s") from \(Self.escape(first)) to \(Self.escape(last)) (UTC): "
            + outcomes.joined(separator: ", ") + "; \(Self.grouped(rows)) rows loaded, \(Self.grouped(quarantined)) quarantined"
            + " (\(Self.percent(Self.quarantineRate(loaded: rows, quarantined: quarantined))))."
            + " Newest first in the tables below.</p>\n"
    }

    /// One SVG, four panels sharing the x axis; each run is one `<g class="run">` holding
    /// its bars and a `<title>` (the tooltip), so a run is one mark whatever its values.
    private var chart: String {
        let runs = Array(history.runs.reversed())
        let width = 960.0, left = 104.0, right = 8.0
        let plot = width - left - right
        let step = plot / Double(runs.count)
        // Touching columns when there are many runs; a few runs get narrow bars, centred.
        let barWidth = min(max(step * (runs.count > 200 ? 1 : 0.8), 0.5), 36)
        let inset = (step - barWidth) / 2
        struct Panel { let label: String; let top: Double; let height: Double; let maximum: String }
        let maxRows = runs.map(\.run.rowsLoaded).max() ?? 0
        let maxDuration = runs.compactMap(\.durationSeconds).max() ?? 0
        let rates = runs.map { Self.quarantineRate(loaded: $0.run.rowsLoaded, quarantined: $0.run.rowsQuarantined) }
        let maxRate = rates.compactMap { $0 }.max() ?? 0
        let panels = [
            Panel(label: "rows loaded", top: 10, height: 130, maximum: Self.grouped(maxRows)),
            Panel(label: "duration", top: 160, height: 80, maximum: Self.seconds(maxDuration)),
            Panel(label: "quarantine rate", top: 260, height: 60, maximum: Self.percent(maxRate)),
            Panel(label: "outcome", top: 340, height: 14, maximum: ""),
        ]
        let height = 390.0
        let present = Set(runs.map { Self.outcomeClass($0.run.status) })
        var svg = "<section id=\"chart\">\n<h2>Runs over time</h2>\n<p class=\"legend\">"
            + Self.outcomes.filter { present.contains($0.name) }.map { "<span class=\"key o-\($0.name)\">\($0.name)</span>" }.joined(separator: " ")
            + " · one column per run, oldest on the left; hover a column for its run</p>\n"
            + "<svg id=\"runs-chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(runs.count) runs over time: rows loaded, duration, quarantine rate and outcome\">\n"
        for panel in panels {
            let bottom = panel.top + panel.height
            svg += "<text class=\"axis\" x=\"\(Self.number(left - 6))\" y=\"\(Self.number(panel.top + panel.height / 2 + 4))\" text-anchor=\"end\">\(panel.label)</text>"
            if !panel.maximum.isEmpty {
                svg += "<line class=\"grid\" x1=\"\(Int(left))\" x2=\"\(Int(width - right))\" y1=\"\(Self.number(panel.top))\" y2=\"\(Self.number(panel.top))\"/>"
                    + "<text class=\"tick\" x=\"\(Self.number(left - 6))\" y=\"\(Self.number(panel.top + 9))\" text-anchor=\"end\">\(Self.escape(panel.maximum))</text>"
                    + "<line class=\"base\" x1=\"\(Int(left))\" x2=\"\(Int(width - right))\" y1=\"\(Self.number(bottom))\" y2=\"\(Self.number(bottom))\"/>"
            }
            svg += "\n"
        }
        func bar(_ index: Int, _ panel: Panel, _ fraction: Double, _ kind: String) -> String {
            guard fraction > 0 else { return "" }
            let barHeight = max(panel.height * min(fraction, 1), 1)
            return "<rect\(kind) x=\"\(Self.number(left + Double(index) * step + max(inset, 0)))\" y=\"\(Self.number(panel.top + panel.height - barHeight))\""
                + " width=\"\(Self.number(barWidth))\" height=\"\(Self.number(barHeight))\"/>"
        }
        for (index, entry) in runs.enumerated() {
            let run = entry.run
            let tip = "\(run.runID) · \(Self.started(run)) · \(run.status) · \(Self.grouped(run.rowsLoaded)) rows · "
                + (entry.durationSeconds.map(Self.seconds) ?? "unfinished") + " · \(Self.percent(rates[index])) quarantined"
            svg += "<g class=\"run o-\(Self.outcomeClass(run.status))\"><title>\(Self.escape(tip))</title>"
                + bar(index, panels[0], maxRows > 0 ? Double(run.rowsLoaded) / Double(maxRows) : 0, "")
                + bar(index, panels[1], maxDuration > 0 ? (entry.durationSeconds ?? 0) / maxDuration : 0, " class=\"d\"")
                + bar(index, panels[2], maxRate > 0 ? (rates[index] ?? 0) / maxRate : 0, " class=\"q\"")
                + bar(index, panels[3], 1, " class=\"s\"") + "</g>\n"
        }
        // Start times under the axis: the first, middle and last run.
        let marks = Array(Set([0, runs.count / 2, runs.count - 1])).sorted()
        for index in marks {
            let anchor = index == 0 ? "start" : index == runs.count - 1 ? "end" : "middle"
            let x = index == 0 ? left : index == runs.count - 1 ? width - right : left + (Double(index) + 0.5) * step
            svg += "<text class=\"tick\" x=\"\(Self.number(x))\" y=\"\(Int(height - 14))\" text-anchor=\"\(anchor)\">\(Self.escape(String(Self.started(runs[index].run).prefix(16))))</text>"
        }
        return svg + "\n</svg>\n</section>\n"
    }

    private var runTable: String {
        var html = "<section id=\"runs\">\n<h2>Runs</h2>\n<table>\n<thead><tr><th>run<th>started (UTC)<th>duration<th>outcome"
            + "<th class=\"n\">found<th class=\"n\">loaded<th class=\"n\">failed<th class=\"n\">rows<th class=\"n\">quarantined<th class=\"n\">rate<th>error</tr></thead>\n<tbody>\n"
        for (index, entry) in history.runs.enumerated() {
            let run = entry.run
            html += "<tr id=\"run-\(index)\"><td class=\"id\">\(Self.escape(run.runID))<td>\(Self.escape(Self.started(run)))"
                + "<td class=\"n\">\(entry.durationSeconds.map(Self.seconds) ?? "-")"
                + "<td><span class=\"key o-\(Self.outcomeClass(run.status))\">\(Self.escape(run.status))</span>"
                + "<td class=\"n\">\(run.filesDiscovered)<td class=\"n\">\(run.filesLoaded)<td class=\"n\">\(run.filesFailed)"
                + "<td class=\"n\">\(Self.grouped(run.rowsLoaded))<td class=\"n\">\(Self.grouped(run.rowsQuarantined))"
                + "<td class=\"n\">\(Self.percent(Self.quarantineRate(loaded: run.rowsLoaded, quarantined: run.rowsQuarantined)))"
                + "<td class=\"msg\">\(Self.escape(run.errorMessage ?? ""))\n"
        }
        return html + "</tbody>\n</table>\n</section>\n"
    }

    private var failedTable: String {
        let failed = failedFiles
        var html = "<section id=\"failed-files\">\n<h2>Failed files</h2>\n"
        guard !failed.isEmpty else { return html + "<p>No file failed in these runs.</p>\n</section>\n" }
        html += "<table>\n<thead><tr><th>run<th>table<th>file<th>error class<th>message</tr></thead>\n<tbody>\n"
        for (index, file) in failed {
            html += "<tr><td class=\"id\"><a href=\"#run-\(index)\">\(Self.escape(history.runs[index].run.runID))</a>"
                + "<td>\(Self.escape(file.table))<td class=\"file\">\(Self.escape(file.file))"
                + "<td>\(Self.escape(file.errorType ?? "-"))<td class=\"msg\">\(Self.escape(file.errorMessage ?? ""))\n"
        }
        return html + "</tbody>\n</table>\n</section>\n"
    }

    /// Per table (sorted by name), the files loaded, newest run first.
    private var tableSections: String {
        var byTable: [String: [(runIndex: Int, file: RunFile)]] = [:]
        for (index, entry) in history.runs.enumerated() {
            for file in entry.files { byTable[file.table, default: []].append((index, file)) }
        }
        var html = "<section id=\"tables\">\n<h2>Files loaded per table</h2>\n"
        if byTable.isEmpty { html += "<p>These runs recorded no files.</p>\n" }
        for table in byTable.keys.sorted() {
            let loaded = (byTable[table] ?? []).filter { $0.file.status == "completed" }
            let rows = loaded.reduce(Int64(0)) { $0 + $1.file.rowsLoaded }, quarantined = loaded.reduce(Int64(0)) { $0 + $1.file.rowsQuarantined }
            html += "<h3 class=\"table\">\(Self.escape(table))</h3>\n<p>\(loaded.count) file\(loaded.count == 1 ? "" : "s") loaded: "
                + "\(Self.grouped(rows)) rows, \(Self.grouped(quarantined)) quarantined.</p>\n"
            guard !loaded.isEmpty else { continue }
            html += "<table>\n<thead><tr><th>file<th>run<th class=\"n\">records read<th class=\"n\">rows loaded<th class=\"n\">quarantined</tr></thead>\n<tbody>\n"
            for (index, file) in loaded {
                html += "<tr><td class=\"file\">\(Self.escape(file.file))<td class=\"id\"><a href=\"#run-\(index)\">\(Self.escape(history.runs[index].run.runID))</a>"
                    + "<td class=\"n\">\(Self.grouped(file.recordsRead))<td class=\"n\">\(Self.grouped(file.rowsLoaded))<td class=\"n\">\(Self.grouped(file.rowsQuarantined))\n"
            }
            html += "</tbody>\n</table>\n"
        }
        return html + "</section>\n"
    }

    // MARK: - Text

    /// Text from the data as HTML text or attribute value: the five markup characters
    /// become references, and control characters (other than tab and newline) and the
    /// bidirectional overrides that could disguise a file name become a visible `\uXXXX`,
    /// as in the text logs.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value):
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The outcomes a run can have (SPEC §8) with their colours; anything else is `other`.
    static let outcomes: [(name: String, color: String)] = [
        ("success", "#2e7d32"), ("partial", "#ef8f00"), ("failed", "#c62828"), ("interrupted", "#7b1fa2"),
        ("refused", "#757575"), ("running", "#1565c0"), ("other", "#9e9e9e"),
    ]

    /// A CSS class from a fixed list, never the stored text itself.
    static func outcomeClass(_ status: String) -> String {
        outcomes.contains { $0.name == status && status != "other" } ? status : "other"
    }

    static func quarantineRate(loaded: Int64, quarantined: Int64) -> Double? {
        loaded + quarantined > 0 ? Double(quarantined) / Double(loaded + quarantined) : nil
    }

    static func started(_ run: RunRecord) -> String {
        String(run.startedAt.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    static func percent(_ rate: Double?) -> String { rate.map { String(format: "%.2f%%", $0 * 100) } ?? "-" }

    static func seconds(_ value: Double) -> String { String(format: value < 10 ? "%.2fs" : "%.1fs", value) }

    /// SVG coordinates with two decimals at most, trailing zeros dropped (smaller pages).
    static func number(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// 1234567 → "1,234,567".
    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    private static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d1d1f;background:#fff}
        h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:18px 0 4px}
        table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
        th{background:#f5f5f7;position:sticky;top:0}.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .id,.file{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}.msg{white-space:pre-wrap;word-break:break-word;max-width:48em}
        .key{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
        #runs-chart{width:100%;max-width:1100px;height:auto;display:block}#runs-chart rect{shape-rendering:crispEdges}
        .axis{font-size:12px;fill:#333}.tick{font-size:11px;fill:#666}.grid{stroke:#ddd;stroke-dasharray:3 3}.base{stroke:#999}
        """ + outcomes.map { ".o-\($0.name),.o-\($0.name) rect{background:\($0.color);fill:\($0.color)}" }.joined() + "\n"
        + ".run rect.d{fill:#5c6bc0}.run rect.q{fill:#ef6c00}\n"
}
