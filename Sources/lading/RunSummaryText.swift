import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

/// The human end-of-run summary.
enum RunSummaryText {
    static func render(_ summary: RunSummary) -> String {
        var lines: [String] = []
        if summary.dryRun {
            lines.append("Dry run: nothing was changed. Files a run would load, per table, in order:")
        } else {
            lines.append("Run \(summary.runID ?? "") \(summary.outcome): \(summary.filesLoaded) files loaded, \(summary.filesFailed) failed, "
                + "\(summary.rowsLoaded) rows loaded, \(summary.rowsQuarantined) quarantined")
        }
        if let replaced = summary.replacedLock {
            lines.append("Took over a stale lock of \(replaced.holderDescription)")
        }
        for table in summary.tables {
            var line = "\(table.table): \(table.discovered) discovered, \(table.newlyRegistered) new, \(table.alreadyCompleted) already completed"
            if summary.dryRun {
                line += ", \(table.planned.count) to load"
            } else {
                line += ", \(table.loaded) loaded, \(table.failed) failed"
            }
            if table.failedFinal > 0 { line += ", \(table.failedFinal) failed earlier (no automatic retry)" }
            if !table.waiting.isEmpty { line += ", \(table.waiting.count) too recent (wait for the next run)" }
            lines.append(line)
            if summary.dryRun { for file in table.planned { lines.append("  \(file)") } }
            for file in table.files {
                if let scd2 = file.scd2 { lines.append("  \(Paths.fileName(of: file.file)): \(scd2.text) (\(file.rowsLoaded) records applied)") }
                if let merge = file.merge { lines.append("  \(Paths.fileName(of: file.file)): \(merge.text) (\(file.rowsLoaded) records applied)") }
            }
            for file in table.files where file.status == "failed" {
                lines.append("  FAILED \(file.file): [\(file.errorType ?? "unknown")] \(file.errorMessage ?? "")")
            }
            if let held = table.held { lines.append("  \(held)") }
            if let other = table.otherWorker { lines.append("  \(other)") }
            if let error = table.error { lines.append("  TABLE FAILED: \(error)") }
            for file in table.changed { lines.append("  changed on disk after loading, not reloaded: \(file)") }
        }
        if let report = summary.reportPath { lines.append("Report: \(report)") }
        return lines.joined(separator: "\n")
    }
}
