
/// The column types of SPEC §3. SQLite stores `date` and `timestamp` as ISO-8601 text
/// and `boolean` as 1/0.
public enum ColumnType: String, Sendable, CaseIterable, Codable {
    case text
    case integer
    case real
    case boolean
    case date
    case timestamp

    /// The narrowest type that holds values of both (SPEC §3 widenings): `integer` and
    /// `real` meet at `real`, `date` and `timestamp` at `timestamp`, anything else at
    /// `text`. A type always holds its own values.
    public func joined(with other: ColumnType) -> ColumnType {
        if self == other { return self }
        switch (self, other) {
        case (.integer, .real), (.real, .integer): return .real
        case (.date, .timestamp), (.timestamp, .date): return .timestamp
        default: return .text
        }
    }

    /// True when a column of this type can become `wider` keeping every value
    /// (`integer` → `real`; `date` → `timestamp`; any → `text`).
    public func widens(to wider: ColumnType) -> Bool {
        wider != self && joined(with: wider) == wider
    }
}
