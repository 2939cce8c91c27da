import LadingCore

/// The human end-of-run summary.
enum RunSummaryText {
    static func render(_ summary: RunSummary) -> String {
        var lines: [String] = []
        if summary.dryRun {
            lines.append("Dry run: nothing was changed. Files a run would load, per table, in order:")
        } else {
            lines.append("Run \(summary.runID ?? "") \(summary.outcome)")
        }
        if let replaced = summary.replacedLock {
            lines.append("Took over a stale lock of \(replaced.holderDescription)")
        }
        for table in summary.tables {
            lines.append("\(table.table): \(table.discovered) discovered, \(table.newlyRegistered) new, \(table.alreadyCompleted) already completed, \(table.planned.count) to load"
                + (table.failedFinal > 0 ? ", \(table.failedFinal) failed (no automatic retry)" : "")
                + (table.waiting.isEmpty ? "" : ", \(table.waiting.count) too recent (wait for the next run)"))
            if summary.dryRun { for file in table.planned { lines.append("  \(file)") } }
            for file in table.changed { lines.append("  changed on disk after loading, not reloaded: \(file)") }
        }
        return lines.joined(separator: "\n")
    }
}
