/// A warehouse where several small files may share one transaction, each file in a
/// savepoint of its own (issue 18): a night of thousands of tiny files then pays a few
/// commits and fsyncs instead of one per file. A file that fails rolls back its
/// savepoint alone; a crash loses the whole uncommitted group, whose files are still
/// PROCESSING in the tracker with no ledger row, so reconcile releases them and the
/// next run loads them again (I1 holds, only work is lost).
///
/// While a group is open, `transaction(_:)` nests as a savepoint. A backend that does
/// not adopt this protocol commits every file on its own.
public protocol GroupCommitWarehouse: Warehouse {
    func beginGroup() throws
    /// Commits the group's `files`; throws when the database already ended the transaction.
    func commitGroup(files: Int) throws
    /// Rolls back whatever the group holds; never throws (it runs on error paths).
    func rollbackGroup()
    var groupIsOpen: Bool { get }
}
