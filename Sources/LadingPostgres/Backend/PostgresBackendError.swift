import LadingSupport

/// PostgreSQL set-ups lading refuses before it writes anything.
enum PostgresBackendError: LadingError {
    /// Two pipelines (two `schema`s) pointed at one `state_schema`: their trackers
    /// would mix files of same-named tables.
    case stateSchemaShared(stateSchema: String, owner: String, schema: String)

    var message: String {
        switch self {
        case .stateSchemaShared(let stateSchema, let owner, let schema):
            return "the state schema \"\(stateSchema)\" already tracks the pipeline of schema \"\(owner)\", not \"\(schema)\": give each pipeline its own state_schema (for example state_schema: \(schema)_lading_state)"
        }
    }

    var exitStatus: ExitStatus { .configuration }
    var kind: ErrorKind { .configuration }
}
