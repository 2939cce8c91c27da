import Foundation
import Logging
import LadingStore

/// Small append files loaded into one open warehouse transaction, each in its own
/// savepoint, waiting for the group's commit before the tracker marks them COMPLETED
/// (issue 18, `GroupCommitWarehouse`). A night of 5,000 tiny files pays a few commits
/// and fsyncs instead of 5,000.
///
/// Only files that have never been tried are grouped: after a crash, every file of the
/// lost group counts an attempt (reconcile cannot tell which one killed the run), so a
/// file with an attempt loads alone, and a file that kills every run ends FAILED
/// without dragging its group-mates with it.
final class SmallFileGroup {
    /// A file loaded into the open transaction.
    struct Member {
        let file: DiscoveredFile
        let result: LoadResult
        let sha256: String
        let batchID: String
        let started: Date
        /// Its own load's time, without the wait for the group's commit.
        let seconds: Double
        /// Its (provisional) outcome's place in the table's report.
        let summaryIndex: Int
        let log: Logger
    }

    /// Files at most this big join a group; a bigger one commits on its own.
    /// (2 MiB: its converted rows then fit one 3 MiB batch part, so it goes straight in
    /// rather than through staging; a bigger one would commit the group anyway.)
    static let maxFileBytes: Int64 = 2 << 20
    /// A group commits after this many files or bytes, so a crash loses little work and
    /// a run's progress reaches the tracker steadily.
    static let maxFiles = 500
    static let maxBytes: Int64 = 32 << 20

    let warehouse: any GroupCommitWarehouse
    private(set) var members: [Member] = []
    /// Committed in the warehouse, not yet marked COMPLETED in the tracker.
    private(set) var unrecorded: [Member] = []
    private(set) var isOpen = false
    private var bytes: Int64 = 0

    init(warehouse: any GroupCommitWarehouse) {
        self.warehouse = warehouse
    }

    var isFull: Bool { members.count >= Self.maxFiles || bytes >= Self.maxBytes }

    func begin() throws {
        try warehouse.beginGroup()
        isOpen = true
    }

    func add(_ member: Member) {
        members.append(member)
        bytes += member.file.size
    }

    /// Commits the warehouse transaction and hands back the files it held, which wait in
    /// `unrecorded` until the tracker marks them. When the commit fails nothing of the
    /// group was written, and the group stays open for the caller to `rollback()`.
    func commit() throws -> [Member] {
        guard isOpen else { return [] }
        let committed = members
        try warehouse.commitGroup(files: committed.count)
        isOpen = false
        members = []
        bytes = 0
        unrecorded += committed
        return committed
    }

    /// The tracker marked the `unrecorded` files COMPLETED.
    func recorded() {
        unrecorded = []
    }

    /// Rolls the open transaction back and hands back the files it held.
    func rollback() -> [Member] {
        guard isOpen else { return [] }
        let lost = members
        warehouse.rollbackGroup()
        isOpen = false
        members = []
        bytes = 0
        return lost
    }
}
