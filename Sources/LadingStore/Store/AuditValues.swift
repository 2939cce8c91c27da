import LadingSupport
import LadingConfiguration

/// The audit columns' values (SPEC §5): the same for every row a file loads.
public struct AuditValues: Sendable, Equatable {
    public var sourceFile: String
    public var loadTimestamp: String
    public var batchID: String

    public init(sourceFile: String, loadTimestamp: String, batchID: String) {
        self.sourceFile = sourceFile
        self.loadTimestamp = loadTimestamp
        self.batchID = batchID
    }

    public var values: [String] { [sourceFile, loadTimestamp, batchID] }
}
