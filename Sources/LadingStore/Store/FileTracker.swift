import LadingSupport
import LadingConfiguration
import LadingReaders

/// The file tracker (SPEC §4): intent and attempts per (table, file), runs and circuit
/// breakers.
///
/// Callers never write a status: they call named transitions, each one atomic and
/// guarded by the states it may start from, so an illegal change is refused instead of
/// silently applied. Each backend owns its SQL; timestamps come from the injected clock.
public protocol FileTracker: AnyObject {
    /// Where the tracker is, for messages (a path, or a schema in a database).
    var location: String { get }

    // MARK: Reads

    func record(table: String, file: String) throws -> FileRecord?
    func records(table: String) throws -> [FileRecord]
    /// `files` (a table's landing files) as registration compares them (`TrackedFiles`).
    func trackedFiles(table: String, seen files: [TrackedFiles.Seen]) throws -> TrackedFiles
    func records(status: FileStatus) throws -> [FileRecord]
    func allRecords() throws -> [FileRecord]
    /// Per table, the files that are COMPLETED or PROCESSING: keys only (reconcile; see
    /// `LedgerStore.completeFiles()` on comparing them).
    func settledFiles() throws -> [String: [String]]
    /// The files `ledger` has `complete` that this tracker has neither COMPLETED nor
    /// PROCESSING, in (table, file) order, when the backend can compare the two stores in
    /// one query; nil when it cannot, and the caller compares `settledFiles()` with the
    /// ledger's `completeFiles()`.
    func unsettledCompleteFiles(in ledger: any LedgerStore) throws -> [(table: String, file: String)]?
    /// COMPLETED files whose content changed on disk (SPEC §4: reported, not reloaded).
    func changedRecords() throws -> [FileRecord]
    /// PROCESSING files no live run owns (their run died, or with several workers their
    /// lease ran out): what a run's reconcile may release or adopt.
    func orphanedProcessing(except runID: String) throws -> [FileRecord]
    /// Per table, how many files are in each status.
    func statusCounts() throws -> [String: [FileStatus: Int]]

    // MARK: Transitions

    /// Registers a discovered file as PENDING; true when the row is new.
    @discardableResult
    func register(table: String, file: String, size: Int64, modifiedTime: String, sha256: String?) throws -> Bool
    /// PENDING or FAILED → PROCESSING, owned by `runID` with a fresh `batchID` (and, with
    /// several workers, a lease). False when another worker claimed or finished the file
    /// first: this run leaves it alone.
    /// `seenRetryCount`: the attempts counted when the run decided to load the file; a
    /// file another worker attempted since (more attempts) is not claimed again.
    @discardableResult
    func claim(table: String, file: String, runID: String, batchID: String, seenRetryCount: Int) throws -> Bool
    /// PROCESSING → COMPLETED, only while `runID` still owns the file (a fencing token).
    func complete(table: String, file: String, runID: String, recordsRead: Int64, rowsLoaded: Int64, rowsQuarantined: Int64, sha256: String?, batchID: String?) throws
    /// Any state → COMPLETED from a `complete` ledger row (the ledger is the truth).
    func adoptCompleted(from ledger: LedgerRow) throws
    /// PROCESSING → FAILED with the error and its class; counts one more attempt.
    func fail(table: String, file: String, runID: String, message: String, kind: ErrorKind) throws
    /// PROCESSING → PENDING for a file whose run died before anything was committed.
    func releaseOrphan(table: String, file: String, deadRunID: String?) throws
    /// PROCESSING → FAILED for a file whose run died while loading it (one more attempt,
    /// so a poison file stops being retried after `retry_attempts`).
    func releaseCrashed(table: String, file: String, deadRunID: String?) throws
    /// SPEC §4 after_load: a COMPLETED file moved to `location` ("" when deleted).
    func noteArchived(table: String, file: String, location: String) throws
    /// Records that a COMPLETED file's content changed on disk.
    func noteChange(table: String, file: String, detail: String) throws
    /// New size and modified time of a file whose content is unchanged (a `touch`).
    func refreshMetadata(table: String, file: String, size: Int64, modifiedTime: String) throws
    /// What discovery saw for a file that is not COMPLETED yet.
    func updateDiscovered(table: String, file: String, size: Int64, modifiedTime: String, sha256: String?) throws

    // MARK: Operator actions

    /// Forgets a file: the next run registers it again as new.
    func forget(table: String, file: String) throws
    /// FAILED files of a table get a fresh retry budget; returns how many.
    @discardableResult
    func resetRetryCounts(table: String) throws -> Int
    /// `quarantine reprocess` loaded `records` once-bad records of a file.
    func noteReprocessed(table: String, file: String, records: Int) throws
    /// FAILED with a fresh retry budget: a repair's verdict on a file whose data is not in the warehouse.
    func markForRetry(table: String, file: String, reason: String) throws

    // MARK: Circuit breakers

    /// Tables whose breaker is open, with when it opened.
    func openBreakers() throws -> [String: String]
    func openBreaker(table: String, consecutiveFailures: Int, runID: String) throws
    func closeBreaker(table: String) throws

    // MARK: Runs

    func startRun(runID: String, pid: Int32, hostname: String) throws
    func finishRun(_ run: RunRecord) throws
    /// Most recent runs first.
    func runs(limit: Int) throws -> [RunRecord]
    /// Runs left `running` by a process that died become `interrupted`; returns them.
    func markInterruptedRuns(except liveRunID: String) throws -> [RunRecord]
    /// A run refused by the lock (exit 75), counted by `monitor`.
    func recordRefusedRun(runID: String, pid: Int32, hostname: String, holder: String) throws
    /// How many runs ended in each outcome.
    func runCountsByStatus() throws -> [String: Int]
    /// What a run did per file, kept for `history --json`.
    func recordRunFiles(runID: String, files: [RunFile]) throws
    func runFiles(runID: String) throws -> [RunFile]
    /// The runs that touched one file, oldest first, with what each did to it (`explain`).
    func runsTouching(table: String, file: String) throws -> [(runID: String, file: RunFile)]
    /// Puts runs kept in the warehouse back into a rebuilt tracker.
    func restoreRuns(_ runs: [RunRecord]) throws

    func transaction<T>(_ body: () throws -> T) throws -> T
    /// See `LedgerStore.close()`.
    func close()
    /// `nil` when the tracker passes its integrity check, else the problems found.
    /// `runStart`: a run's check, which SQLite skips when the file is exactly as lading's
    /// last clean close left it (see `LedgerStore.integrityProblems(quick:)`); when it
    /// runs, it is the full check.
    func integrityProblems(runStart: Bool) throws -> [String]?
}

extension FileTracker {
    public func close() {}

    public func unsettledCompleteFiles(in ledger: any LedgerStore) throws -> [(table: String, file: String)]? { nil }

    public func trackedFiles(table: String, seen files: [TrackedFiles.Seen]) throws -> TrackedFiles {
        TrackedFiles(files, records: try records(table: table))
    }

    /// The full check (`validate-consistency`, the recovery commands).
    public func integrityProblems() throws -> [String]? { try integrityProblems(runStart: false) }

    public func settledFiles() throws -> [String: [String]] {
        var files: [String: [String]] = [:]
        for record in try allRecords() where record.status == .completed || record.status == .processing {
            files[record.tableName, default: []].append(record.filePath)
        }
        return files
    }

    public func complete(table: String, file: String, runID: String, recordsRead: Int64, rowsLoaded: Int64, rowsQuarantined: Int64, sha256: String?) throws {
        try complete(table: table, file: file, runID: runID, recordsRead: recordsRead, rowsLoaded: rowsLoaded,
                     rowsQuarantined: rowsQuarantined, sha256: sha256, batchID: nil)
    }
}
