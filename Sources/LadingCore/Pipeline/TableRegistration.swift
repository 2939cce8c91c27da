import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The outcome of discovery and registration for one table in one run.
public struct TableRegistration: Sendable {
    public var table: String
    /// Files to load this run, in order (new, pending and retryable).
    public var toLoad: [DiscoveredFile] = []
    public var discovered = 0
    public var newlyRegistered = 0
    public var alreadyCompleted = 0
    public var failedFinal = 0
    public var processing = 0
    public var changed: [(path: String, detail: String)] = []
    public var waiting: [String] = []
    public var skipped: [(path: String, reason: String)] = []
    /// SCD2: files that wait behind an earlier file that failed for good (a dimension
    /// cannot skip a snapshot), and that file.
    public var heldBehind: (failed: String, files: [String])?
}

/// Decides the plan for each discovered file and, unless dry, records it in the tracker.
///
/// A file whose size and modified time equal the tracker's is not hashed again, so a
/// nightly rerun over thousands of loaded files reads only directory entries.
struct Registrar {
    let table: TableConfig
    let tracker: (any FileTracker)?
    let retry: RetryPolicy
    let dryRun: Bool

    func register(_ listing: Discovery.Listing) throws -> TableRegistration {
        var result = TableRegistration(table: table.name)
        result.discovered = listing.files.count
        result.waiting = listing.tooYoung.map(\.path)
        result.skipped = listing.skipped
        let tracked = try tracker?.trackedFiles(table: table.name, seen: listing.files.map { TrackedFiles.Seen(path: $0.path, size: $0.size, modifiedTime: $0.modifiedTime) })
            ?? TrackedFiles(completed: Array(repeating: .no, count: listing.files.count), others: [])
        func schedule(_ file: DiscoveredFile) {
            if result.heldBehind != nil {
                result.heldBehind?.files.append(file.path)
            } else {
                result.toLoad.append(file)
            }
        }
        var unreadable: [String] = []
        for index in listing.files.indices {
            if tracked.completed[index] == .unchanged {
                // The common case of a rerun: loaded, same size and time (decided before
                // the file or its path is copied).
                result.alreadyCompleted += 1
                continue
            }
            let path = listing.files[index].path
            let record: FileRecord?
            switch tracked.completed[index] {
            case .unchanged:
                continue
            case .metadataDiffers:
                record = try tracker?.record(table: table.name, file: path)
            case .no:
                record = tracked.other(path)
            }
            var file = listing.files[index]
            file.seenRetryCount = record?.retryCount ?? 0
            switch try plan(for: &file, record: record, unreadable: &unreadable) {
            case .new:
                // SPEC §4: an unreadable file fails alone, when its load is attempted.
                if file.sha256 == nil { file.sha256 = try? FileHasher.sha256(path: file.path) }
                if !dryRun, let tracker {
                    try tracker.register(table: table.name, file: file.path, size: file.size, modifiedTime: file.modifiedTime, sha256: file.sha256)
                    FaultPoint.afterRegister.hit()
                }
                result.newlyRegistered += 1
                schedule(file)
            case .load:
                schedule(file)
            case .completed:
                result.alreadyCompleted += 1
            case .changed(let detail):
                result.alreadyCompleted += 1
                result.changed.append((file.path, detail))
                if !dryRun { try tracker?.noteChange(table: table.name, file: file.path, detail: detail) }
            case .failedFinal:
                result.failedFinal += 1
                if table.strategy.appliesInOrder && result.heldBehind == nil { result.heldBehind = (file.path, []) }
            case .processing:
                result.processing += 1
            }
        }
        result.skipped += unreadable.map { ($0, "completed, changed size or time, and cannot be read to compare its content") }
        return result
    }

    func plan(for file: inout DiscoveredFile, record: FileRecord?) throws -> FilePlan {
        var unreadable: [String] = []
        return try plan(for: &file, record: record, unreadable: &unreadable)
    }

    /// Hashes only when size or modified time differ from what the tracker holds.
    func plan(for file: inout DiscoveredFile, record: FileRecord?, unreadable: inout [String]) throws -> FilePlan {
        guard let record else { return .new }
        let sameMetadata = record.fileSize == file.size && record.fileModifiedTime == file.modifiedTime
        switch record.status {
        case .completed:
            if sameMetadata { return .completed }
            guard let hash = try? FileHasher.sha256(path: file.path) else {
                unreadable.append(file.path)
                return .completed
            }
            file.sha256 = hash
            if let stored = record.contentSHA256, stored == hash {
                if !dryRun { try tracker?.refreshMetadata(table: table.name, file: file.path, size: file.size, modifiedTime: file.modifiedTime) }
                return .completed
            }
            return .changed(detail: "content changed after it was loaded (size \(record.fileSize) → \(file.size), sha256 \(String((record.contentSHA256 ?? "unknown").prefix(12))) → \(hash.prefix(12))); it is not reloaded: use 'lading reset-state --file' to load the new content")
        case .pending, .failed:
            if !sameMetadata {
                file.sha256 = try? FileHasher.sha256(path: file.path)
                if !dryRun { try tracker?.updateDiscovered(table: table.name, file: file.path, size: file.size, modifiedTime: file.modifiedTime, sha256: file.sha256) }
            } else {
                file.sha256 = record.contentSHA256
            }
            if record.status == .pending { return .load(retry: false) }
            return retry.mayRetry(record) ? .load(retry: true) : .failedFinal
        case .processing:
            return .processing
        }
    }
}
