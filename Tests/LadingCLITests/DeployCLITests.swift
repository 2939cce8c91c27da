import Foundation
import LadingTestSupport
import Testing

/// `deploy/` (SPEC §8, issue 17): the Prometheus rules pass `promtool check rules` and
/// their unit tests; the systemd units pass `systemd-analyze verify` with the built
/// binary in their ExecStart; every metric name the rules and the dashboard use is in
/// the files the built `lading` writes when run by those very units' command lines; the
/// shell completions come out of the binary. A missing tool fails the test: `make
/// deps-test` installs promtool (Debian's prometheus) and systemd-analyze (systemd).
@Suite struct DeployCLITests {
    static let deploy = FixturePaths.root + "/deploy"

    /// node_exporter's own series that the rules and dashboard may use (SPEC §8), with
    /// the labels it gives them.
    static let nodeExporterSeries: [String: Set<String>] = ["node_textfile_mtime_seconds": ["file"]]
    /// Labels a Prometheus scrape adds to every series.
    static let scrapeLabels: Set<String> = ["instance", "job"]

    // MARK: Prometheus rules

    @Test func theRulesPassPromtoolCheckAndTheirUnitTests() throws {
        let promtool = try Self.tool("promtool", hint: "make deps-test installs Debian's prometheus package")
        let check = try CLI.run(["check", "rules", "lading.rules.yml"], in: Self.deploy + "/prometheus", executable: promtool)
        #expect(check.status == 0 && check.stdout.contains("SUCCESS"), "promtool check rules:\n\(check.stdout)\(check.stderr)")
        let unit = try CLI.run(["test", "rules", "lading.rules.test.yml"], in: Self.deploy + "/prometheus", executable: promtool)
        #expect(unit.status == 0 && unit.stdout.contains("SUCCESS"), "promtool test rules:\n\(unit.stdout)\(unit.stderr)")
    }

    /// promtool passes an alert whose name the tests misspell (nothing fires, nothing was
    /// expected): so each alert must be named in a case that expects it to fire and in
    /// one that expects silence.
    @Test func everyAlertHasAFiringAndAQuietUnitTest() throws {
        let rules = try Self.text("prometheus/lading.rules.yml")
        let alerts = Set(Self.values(of: "- alert:", in: rules))
        #expect(alerts.count >= 10, "\(alerts)")
        var firing: Set<String> = [], quiet: Set<String> = []
        let lines = try Self.text("prometheus/lading.rules.test.yml").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (index, line) in lines.enumerated() where line.hasPrefix("alertname:") {
            let name = String(line.dropFirst("alertname:".count)).trimmingCharacters(in: .whitespaces)
            #expect(alerts.contains(name), "the unit tests name \(name), which no rule defines")
            let next = lines[(index + 1)...].first { !$0.isEmpty && !$0.hasPrefix("#") } ?? ""
            if next == "exp_alerts: []" { quiet.insert(name) } else if next == "exp_alerts:" { firing.insert(name) }
        }
        #expect(alerts.subtracting(firing).isEmpty, "alerts never shown firing: \(alerts.subtracting(firing).sorted())")
        #expect(alerts.subtracting(quiet).isEmpty, "alerts never shown quiet: \(alerts.subtracting(quiet).sorted())")
    }

    // MARK: metric names against real files

    /// Runs the units' own command lines (binary, config and metrics folder swapped for
    /// this workspace's) over a night with a loaded table, a quarantined record and a
    /// failed file that opens its table's circuit breaker; then the health check and a
    /// reset that counts its repairs. Every name in the rules, their unit tests and the
    /// dashboard must be among what those files hold, with the labels they have.
    @Test func everyMetricTheRulesAndDashboardUseIsInTheFilesLadingWrites() throws {
        _ = try Self.tool("promtool", hint: "make deps-test installs Debian's prometheus package")
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["orders", "events"], extra: "max_bad_record_ratio: 0.4\ncircuit_breaker_threshold: 1\n")
        try workspace.write("landing/orders/a.csv", "id,name\n1,ok\n2\n3,ok\n")
        try workspace.write("landing/events/e.csv", "id,name\n1\n2\n3,ok\n")
        let run = try CLI.run(try Self.execStart("lading-run.service", in: workspace), in: workspace.path)
        #expect(run.status == 1, "a partial night: \(run.stdout)\(run.stderr)")
        let health = try CLI.run(try Self.execStart("lading-health.service", in: workspace), in: workspace.path)
        #expect(health.status == 1, "the failed data file is a finding: \(health.stdout)\(health.stderr)")
        let reset = try workspace.lading("reset-state", "--table", "events", "--failed-only", "--yes",
                                         "--metrics-file", workspace.url("textfile/lading-repairs.prom"))
        #expect(reset.status == 0, "\(reset.stdout)\(reset.stderr)")

        var written: [String: Set<String>] = [:]   // metric name → its label names
        var seen: [String: String] = [:]           // series → the file that has it
        for file in ["lading.prom", "lading-health.prom", "lading-repairs.prom"] {
            let text = try #require(workspace.read("textfile/" + file), "\(file) was not written")
            try Promtool.expectValid(text)   // promtool check metrics (present: required above)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let series = String(line.prefix { $0 != " " })
                let (name, labels) = Self.parseSeries(series)
                written[name, default: []].formUnion(labels.keys)
                // node_exporter's textfile collector serves all files as one: a series in two files breaks the scrape.
                #expect(seen[series] == nil, "\(series) is in both \(seen[series] ?? "") and \(file)")
                seen[series] = file
            }
        }
        for name in ["lading_rows_loaded_total", "lading_rows_quarantined_total", "lading_files", "lading_run_duration_seconds",
                     "lading_last_success_timestamp_seconds", "lading_circuit_breaker_open", "lading_runs_total",
                     "lading_warehouse_reachable", "lading_consistency_findings", "lading_repairs_total"] {
            #expect(written[name] != nil, "\(name) is not in any metrics file: the night did not produce it")
        }
        let allowed = written.merging(Self.nodeExporterSeries) { $0.union($1) }

        let ruleExpressions = Self.ruleExpressions(try Self.text("prometheus/lading.rules.yml"))
        let dashboardExpressions = try Self.dashboardExpressions()
        #expect(ruleExpressions.count >= 10 && dashboardExpressions.count >= 10)
        for (source, expressions) in [("rules", ruleExpressions), ("dashboard", dashboardExpressions)] {
            for expression in expressions {
                for name in Self.metricNames(in: expression) {
                    #expect(allowed[name] != nil, "\(source) uses \(name), which lading does not write: \(expression)")
                }
            }
        }
        // The dashboard shows every metric lading writes.
        let shown = Set(dashboardExpressions.flatMap { Self.metricNames(in: $0) })
        #expect(Set(written.keys).subtracting(shown).isEmpty, "not on the dashboard: \(Set(written.keys).subtracting(shown).sorted())")

        // The unit tests' input series have real names and real labels.
        let tests = try Self.text("prometheus/lading.rules.test.yml")
        let inputs = Self.values(of: "- series:", in: tests).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "'")) }
        #expect(inputs.count >= 20)
        for input in inputs {
            let (name, labels) = Self.parseSeries(input)
            guard let real = allowed[name] else {
                Issue.record("the unit tests feed \(name), which lading does not write: \(input)")
                continue
            }
            let extra = Set(labels.keys).subtracting(real).subtracting(Self.scrapeLabels)
            #expect(extra.isEmpty, "\(input): labels \(extra.sorted()) are not on the real \(name)")
            #expect(real.subtracting(labels.keys).isEmpty, "\(input): misses labels \(real.subtracting(labels.keys).sorted())")
        }
    }

    /// Grafana's variables stand for values; with them replaced, every dashboard query
    /// must be PromQL that promtool accepts (as recording rules).
    @Test func theDashboardQueriesAreValidPromQL() throws {
        let promtool = try Self.tool("promtool", hint: "make deps-test installs Debian's prometheus package")
        let dashboard = try JSONSerialization.jsonObject(with: Data(try Self.text("grafana/lading-dashboard.json").utf8)) as? [String: Any]
        #expect(dashboard?["uid"] as? String == "lading-overview")
        let folder = try Workspace()
        var yaml = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in try Self.dashboardExpressions().enumerated() where !expression.hasPrefix("label_values(") {
            let promQL = ["$instance": ".*", "$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d"]
                .reduce(expression) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
            let quoted = String(decoding: try JSONSerialization.data(withJSONObject: promQL, options: [.fragmentsAllowed, .withoutEscapingSlashes]), as: UTF8.self)
            yaml += "      - record: dashboard_query_\(index)\n        expr: \(quoted)\n"
        }
        try folder.write("dashboard.rules.yml", yaml)
        let check = try CLI.run(["check", "rules", "dashboard.rules.yml"], in: folder.path, executable: promtool)
        #expect(check.status == 0, "promtool check rules on the dashboard's queries:\n\(check.stdout)\(check.stderr)\n\(yaml)")
    }

    // MARK: systemd units

    /// `systemd-analyze verify` checks the units' syntax and that ExecStart's binary is
    /// executable: the shipped /usr/local/bin/lading is swapped for the built one, so the
    /// check is of these units with this build, on any machine. verify exits 0 on an
    /// unknown key or a bad calendar (it only warns), so any line naming our units fails.
    @Test func theUnitsPassSystemdAnalyzeVerify() throws {
        let analyze = try Self.tool("systemd-analyze", hint: "make deps-test installs Debian's systemd package")
        let units = ["lading-run.service", "lading-run.timer", "lading-health.service", "lading-health.timer"]
        let folder = try Workspace()
        for unit in units {
            try folder.write(unit, try Self.text("systemd/" + unit).replacingOccurrences(of: "/usr/local/bin/lading", with: CLI.binary))
        }
        let verify = try CLI.run(["verify"] + units.map { folder.url($0) }, in: folder.path, executable: analyze)
        let complaints = (verify.stdout + verify.stderr).split(separator: "\n").filter { $0.contains("lading") }
        #expect(verify.status == 0 && complaints.isEmpty, "systemd-analyze verify:\n\(verify.stdout)\(verify.stderr)")

        // The same check on a broken copy does complain: it is not a check that passes anything.
        try folder.write("broken/lading-run.service", try Self.text("systemd/lading-run.service")
            .replacingOccurrences(of: "TimeoutStopSec=", with: "TimeoutStopSecs="))
        let broken = try CLI.run(["verify", folder.url("broken/lading-run.service")], in: folder.path, executable: analyze)
        #expect((broken.stdout + broken.stderr).contains("TimeoutStopSecs"), "verify saw nothing wrong: \(broken.stdout)\(broken.stderr)")

        for timer in ["lading-run.timer", "lading-health.timer"] {
            let text = try Self.text("systemd/" + timer)
            let service = try #require(Self.values(of: "Unit=", in: text).first)
            #expect(units.contains(service), "\(timer) starts \(service), which deploy/systemd does not ship")
            for calendar in Self.values(of: "OnCalendar=", in: text) {
                let parsed = try CLI.run(["calendar", calendar], in: folder.path, executable: analyze)
                #expect(parsed.status == 0 && parsed.stdout.contains("Next elapse"), "\(timer): \(calendar): \(parsed.stderr)")
            }
        }
        // The stop timeout outlasts what lading may need after SIGTERM: at least the
        // default SQLite busy timeout (30 s) it cannot cut short, with room for a last step.
        let stop = try #require(Self.values(of: "TimeoutStopSec=", in: try Self.text("systemd/lading-run.service")).first.flatMap { Int($0) })
        #expect(stop > 30 + 60, "TimeoutStopSec=\(stop)")
    }

    // MARK: shell completions

    /// swift-argument-parser writes the scripts; bash's is loaded and asked for
    /// completions (zsh and fish are not installed here: their scripts are checked for
    /// their shells' markers only).
    @Test(arguments: ["bash", "zsh", "fish"])
    func theBinaryWritesCompletionScripts(shell: String) throws {
        let folder = try Workspace()
        let script = try CLI.run(["--generate-completion-script", shell], in: folder.path)
        #expect(script.status == 0, "\(script.stderr)")
        #expect(script.stdout.contains("validate-consistency") && script.stdout.contains("metrics-file"))
        switch shell {
        case "bash":
            #expect(script.stdout.contains("complete -o filenames -F _lading lading"))
            let path = try folder.write("lading.bash", script.stdout)
            func complete(_ line: String) throws -> [String] {
                let words = line.split(separator: " ", omittingEmptySubsequences: false).map { "'\($0)'" }.joined(separator: " ")
                let program = "source '\(path)'; COMP_WORDS=(\(words)); COMP_CWORD=\(words.split(separator: " ").count - 1); "
                    + "COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}; "
                    // bash calls a completion function with the command, the current word and the one before.
                    + "_lading lading \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"; printf '%s\\n' \"${COMPREPLY[@]}\""
                let result = try CLI.run(["-c", program], in: folder.path, executable: "/bin/bash")
                #expect(result.status == 0, "\(result.stderr)")
                return result.stdout.split(separator: "\n").map(String.init)
            }
            #expect(try complete("lading ").contains("validate-consistency"))
            #expect(try complete("lading run --").contains("--metrics-file"))
        case "zsh":
            #expect(script.stdout.hasPrefix("#compdef lading"))
        default:
            #expect(script.stdout.contains("complete -c 'lading'"))
        }
    }

    // MARK: helpers

    /// The path of a tool the checks need; a missing one fails the test with `hint`.
    static func tool(_ name: String, hint: String) throws -> String {
        let path = ["/usr/bin/", "/usr/local/bin/", "/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
        return try #require(path, "\(name) is not installed (\(hint)): the deploy/ checks need it")
    }

    static func text(_ relative: String) throws -> String {
        try #require(FileManager.default.contents(atPath: deploy + "/" + relative).map { String(decoding: $0, as: UTF8.self) },
                     "deploy/\(relative) is missing")
    }

    /// The values of lines `key value` (or `key=value`), in order.
    static func values(of key: String, in text: String) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix(key) }
            .map { String($0.dropFirst(key.count)).trimmingCharacters(in: .whitespaces) }
    }

    /// A unit's ExecStart as arguments, with the installed paths swapped for the
    /// workspace's: the binary, its config, and node_exporter's textfile folder.
    static func execStart(_ unit: String, in workspace: Workspace) throws -> [String] {
        let line = try #require(values(of: "ExecStart=", in: try text("systemd/" + unit)).first)
        let words = line.split(separator: " ").map(String.init)
        #expect(words.first == "/usr/local/bin/lading", "\(unit): \(line)")
        #expect(words.contains("/etc/lading/lading.yaml") && words.contains { $0.hasPrefix("/var/lib/node_exporter/textfile_collector/") }, "\(unit): \(line)")
        return words.dropFirst().map {
            $0.replacingOccurrences(of: "/etc/lading/lading.yaml", with: workspace.url("lading.yaml"))
                .replacingOccurrences(of: "/var/lib/node_exporter/textfile_collector/", with: workspace.url("textfile/"))
        }
    }

    /// Each rule's `expr:`, inline or a `|` block (the lines indented below it).
    static func ruleExpressions(_ yaml: String) -> [String] {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var expressions: [String] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            index += 1
            guard let range = line.range(of: "expr:"), line[..<range.lowerBound].allSatisfy({ $0 == " " }) else { continue }
            let value = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard value == "|" || value == ">" else { expressions.append(value); continue }
            let indent = line.prefix { $0 == " " }.count
            var block: [String] = []
            while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces).isEmpty || lines[index].prefix(while: { $0 == " " }).count > indent {
                block.append(lines[index])
                index += 1
            }
            expressions.append(block.joined(separator: "\n"))
        }
        return expressions
    }

    /// Every panel target's `expr` and every query variable's query.
    static func dashboardExpressions() throws -> [String] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try text("grafana/lading-dashboard.json").utf8)) as? [String: Any])
        var expressions: [String] = []
        func panels(_ list: [[String: Any]]) {
            for panel in list {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    if let expr = target["expr"] as? String { expressions.append(expr) }
                }
                panels(panel["panels"] as? [[String: Any]] ?? [])
            }
        }
        panels(json["panels"] as? [[String: Any]] ?? [])
        for variable in (json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] where variable["type"] as? String == "query" {
            if let query = (variable["query"] as? [String: Any])?["query"] as? String ?? variable["query"] as? String { expressions.append(query) }
        }
        return expressions
    }

    /// The `lading_…` and `node_…` names in a PromQL expression, string literals left out
    /// (a regex on a file label is not a metric).
    static func metricNames(in expression: String) -> Set<String> {
        var names: Set<String> = []
        var outside = ""
        var quote: Character?
        for character in expression {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" || character == "`" {
                quote = character
                outside.append(" ")
            } else {
                outside.append(character)
            }
        }
        let regex = try? NSRegularExpression(pattern: "\\b(lading|node)_[a-z_]+")
        let range = NSRange(outside.startIndex..., in: outside)
        for match in regex?.matches(in: outside, range: range) ?? [] {
            if let found = Range(match.range, in: outside) { names.insert(String(outside[found])) }
        }
        return names
    }

    /// `name{a="x",b="y"}` → the name and its labels.
    static func parseSeries(_ series: String) -> (String, [String: String]) {
        guard let brace = series.firstIndex(of: "{") else { return (series, [:]) }
        var labels: [String: String] = [:]
        let body = series[series.index(after: brace)...].dropLast()
        let regex = try? NSRegularExpression(pattern: "([a-zA-Z_][a-zA-Z0-9_]*)\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"")
        let text = String(body)
        for match in regex?.matches(in: text, range: NSRange(text.startIndex..., in: text)) ?? [] {
            if let key = Range(match.range(at: 1), in: text), let value = Range(match.range(at: 2), in: text) {
                labels[String(text[key])] = String(text[value])
            }
        }
        return (String(series[..<brace]), labels)
    }
}
