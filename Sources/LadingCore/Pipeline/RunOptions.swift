/// What `lading run` was asked to do.
public struct RunOptions: Sendable {
    /// Only these tables (all when empty).
    public var tables: [String] = []
    public var dryRun = false
    /// At most this many files loaded in the run, across tables.
    public var maxFiles: Int?

    public init(tables: [String] = [], dryRun: Bool = false, maxFiles: Int? = nil) {
        self.tables = tables
        self.dryRun = dryRun
        self.maxFiles = maxFiles
    }
}
