import LadingConfiguration

/// The columns lading adds to an SCD2 table and the keys its current-version index
/// covers (SPEC §5), as a backend needs them to create and check the table.
public struct SCD2Layout: Sendable, Equatable {
    public var keys: [String]
    public var validFrom: String
    public var validTo: String
    public var isCurrent: String

    public init(keys: [String], validFrom: String, validTo: String, isCurrent: String) {
        self.keys = keys
        self.validFrom = validFrom
        self.validTo = validTo
        self.isCurrent = isCurrent
    }
}

extension TableConfig {
    /// The SCD2 columns this table has or would have.
    public var scd2Layout: SCD2Layout {
        SCD2Layout(keys: primaryKeys, validFrom: effectiveDateColumn, validTo: endDateColumn, isCurrent: currentFlagColumn)
    }

    /// The SCD2 layout of an SCD2 table, nil for other strategies.
    public var scd2LayoutIfAny: SCD2Layout? { strategy == .scd2 ? scd2Layout : nil }
}
