import LadingConfiguration

/// What `lading run` was asked to do.
public struct RunOptions: Sendable {
    /// Only these tables (all when empty).
    public var tables: [String] = []
    public var dryRun = false
    /// At most this many files loaded in the run, across tables.
    public var maxFiles: Int?
    /// Only these tracked paths (repairs reload just the files they reset).
    public var onlyFiles: Set<String>?

    public init(tables: [String] = [], dryRun: Bool = false, maxFiles: Int? = nil, onlyFiles: Set<String>? = nil) {
        self.tables = tables
        self.dryRun = dryRun
        self.maxFiles = maxFiles
        self.onlyFiles = onlyFiles
    }
}
