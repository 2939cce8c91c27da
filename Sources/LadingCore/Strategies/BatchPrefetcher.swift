import Foundation
import LadingConfiguration
import LadingReaders
import LadingStore

/// Reads and converts batch n+1 on a second thread while the caller writes batch n, so
/// parsing and the warehouse use both cores (DESIGN §6).
///
/// The caller sees exactly the sequence of batches, and the error, that reading in its
/// own thread would give: batches arrive in order, a reading error arrives in place of
/// the batch it stopped, and nothing reaches the warehouse from here. Checkpoints and
/// fault points therefore keep their meaning: the only difference is that the next
/// batch may already be in memory when the current one commits, and a crash loses it as
/// it loses any uncommitted batch. Two batches exist at most (one being written, one
/// being read), so memory stays bounded by `batch_size`.
///
/// With `partBytes`, a batch whose rows would hold more than that many bytes (a wide
/// file, long text) comes in several parts, so memory is bounded by bytes whatever the
/// row width; `endsBatch` marks a batch's last part, and the caller writes every part
/// of a batch in the batch's one transaction (the checkpoint stays every `batch_size`).
final class BatchPrefetcher: @unchecked Sendable {
    /// One batch (or part of one) as read, with the plan as it stood after it.
    struct Filled {
        var batch: RecordBatch
        /// The reader reached the end of the file with this batch.
        var finished: Bool
        /// The last part of a batch: `batch_size` records read in all since the last
        /// batch ended, or the end of the file. Always true without `partBytes`.
        var endsBatch: Bool
        /// Table column per reader column, as of this batch (JSON Lines keys can add some).
        var names: [String]
        var types: [ColumnType]
        /// Columns first seen in this batch: the table (and staging) gains them before it is written.
        var newColumns: [TableConfig.Column]
        var bytesConsumed: Int64
        var contentSHA256: String?

        /// Brings the caller's plan to this batch: its column names and types, and the
        /// columns the table must gain before the batch is written.
        func advance(_ plan: inout ColumnPlan, pending: inout [TableConfig.Column]) {
            plan.names = names
            plan.types = types
            pending += newColumns
        }
    }

    /// A caller asked for a batch after the last one: a bug in the caller, reported, not trapped.
    struct ReadPastEnd: Error, CustomStringConvertible {
        var description: String { "internal error: a batch was requested after the end of the file" }
    }

    private let filler: BatchFiller
    private let reader: RecordReader
    private var plan: ColumnPlan
    private let partBytes: Int
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var ready: [Result<Filled, any Error>] = []
    private var spare: [RecordBatch]
    private var cancelled = false
    private var running = false
    private var inline = false
    private var inlineDone = false
    /// Records read into the parts of the batch in progress (only the reading side uses it).
    private var recordsInBatch = 0
    private var pending: [TableConfig.Column] = []

    init(filler: BatchFiller, reader: RecordReader, plan: ColumnPlan, partBytes: Int? = nil) {
        self.filler = filler
        self.reader = reader
        self.plan = plan
        self.partBytes = partBytes ?? .max
        spare = [RecordBatch(), RecordBatch()]
    }

    /// Starts reading. Call `finish()` on every path afterwards (a `defer`). With
    /// `inline`, no thread: each `next()` reads its batch itself (a small file is read
    /// before a thread would have started, and a night of 5,000 files would start 5,000).
    func start(inline: Bool = false) {
        condition.lock()
        self.inline = inline
        running = !inline
        condition.unlock()
        guard !inline else { return }
        let thread = Thread { [self] in produce() }
        // The JSON Lines parser nests up to its depth cap: give it the main thread's stack.
        thread.stackSize = 16 << 20
        thread.name = "lading-reader"
        thread.start()
    }

    /// The next batch in file order; rethrows the error reading stopped with.
    func next() throws -> Filled {
        condition.lock()
        if inline {
            guard !inlineDone, var batch = spare.popLast() else {
                condition.unlock()
                throw ReadPastEnd()
            }
            condition.unlock()
            let (item, done) = fill(&batch)
            condition.lock()
            if case .failure = item { spare.append(batch) }
            inlineDone = done
            condition.unlock()
            return try item.get()
        }
        defer { condition.unlock() }
        while ready.isEmpty && running { condition.wait() }
        guard !ready.isEmpty else { throw ReadPastEnd() }
        return try ready.removeFirst().get()
    }

    /// Hands a batch back once the caller has written it (its storage is reused). Every
    /// batch `next()` returned must come back, on error paths too, or its memory leaks:
    /// a batch's arena moves when it grows, so only the latest copy can free it.
    func recycle(_ batch: consuming RecordBatch) {
        condition.lock()
        spare.append(batch)
        condition.signal()
        condition.unlock()
    }

    /// Stops reading, waits for the reading thread to leave the reader, frees the batches.
    func finish() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running { condition.wait() }
        for case .success(let filled) in ready { filled.batch.free() }
        for batch in spare { batch.free() }
        ready.removeAll()
        spare.removeAll()
        condition.unlock()
    }

    private func produce() {
        while true {
            condition.lock()
            while spare.isEmpty && !cancelled { condition.wait() }
            if cancelled {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            var batch = spare.removeLast()
            condition.unlock()

            let (item, done) = fill(&batch)
            condition.lock()
            if case .failure = item { spare.append(batch) }
            ready.append(item)
            if done {
                // The reader is no longer used: `finish()` may return at once.
                running = false
            }
            condition.broadcast()
            condition.unlock()
            if done { return }
        }
    }

    /// Reads the next batch (or part) into `batch`; `done` once the file or reading ended.
    private func fill(_ batch: inout RecordBatch) -> (Result<Filled, any Error>, done: Bool) {
        batch.reset()
        pending.removeAll()
        do {
            let finished = try filler.fill(&batch, reader: reader, plan: &plan, pendingColumns: &pending,
                                           limit: filler.batchSize - recordsInBatch, byteCap: partBytes)
            recordsInBatch += batch.records
            let endsBatch = finished || recordsInBatch >= filler.batchSize
            if endsBatch { recordsInBatch = 0 }
            return (.success(Filled(batch: batch, finished: finished, endsBatch: endsBatch, names: plan.names, types: plan.types, newColumns: pending,
                                    bytesConsumed: reader.bytesConsumed, contentSHA256: finished ? reader.contentSHA256 : nil)), finished)
        } catch {
            return (.failure(error), true)
        }
    }
}
