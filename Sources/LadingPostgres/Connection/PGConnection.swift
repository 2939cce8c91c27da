import CLibPQ
import CLibPQLoader
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One PostgreSQL connection, the sole owner of a libpq `PGconn`.
///
/// Values always travel as parameters, never inside SQL text (I6); every libpq result
/// is checked and turned into a `PGError` that names the target and carries the
/// SQLSTATE; transactions take closures so a throw can never leave one open. Not
/// `Sendable`, like libpq's connection itself: one thread uses it at a time.
package final class PGConnection {
    /// Nil once closed. Internal so `PGCopyIn` can stream on it.
    private(set) var handle: OpaquePointer?
    /// Where this connection points, without the password: what every message names.
    package let target: PGTarget
    /// True between `beginCopy` and the copy's `finish` or `abort`: libpq accepts
    /// nothing else on the connection meanwhile.
    var copyInProgress = false
    private var savepointDepth = 0
    /// Transactions open through `transaction` (nested ones included).
    private var openTransactions = 0
    /// Runs after the connection was re-established (session settings to apply again).
    package var onReconnect: ((PGConnection) throws -> Void)?

    /// Connects with a libpq connection string or URI; nil or blank uses libpq's
    /// defaults (`PGHOST`, `PGDATABASE`, `PGSERVICE`, `PGPASSWORD`, `~/.pgpass`…).
    ///
    /// The DSN is parsed first, so a malformed one is a configuration error rather
    /// than a confusing connection failure. Unless the DSN (or the matching `PG*`
    /// variable) sets them, the connection uses `application_name=lading` (so DBAs
    /// see who is loading), `client_encoding=UTF8`, and `connect_timeout=10` (libpq
    /// would otherwise wait minutes for an unreachable host). Whatever the DSN says,
    /// the client encoding must end up UTF8: readers hand over UTF-8 bytes, and any
    /// other encoding would silently corrupt every non-ASCII value.
    package init(conninfo: String?) throws {
        // libpq is loaded now, not at start-up (CLibPQLoader).
        if let failure = lading_libpq_load() {
            throw PGError.connectionFailed(target: PGTarget(host: "", port: "", database: "", user: ""), kind: .configuration,
                                           reason: String(cString: failure))
        }
        let dsn = conninfo ?? ""
        let isBlank = dsn.allSatisfy(\.isWhitespace)
        if !isBlank { try Self.validate(dsn) }

        var settings: [(String, String)] = []
        let environment = ProcessInfo.processInfo.environment
        if environment["PGAPPNAME"] == nil { settings.append(("application_name", "lading")) }
        if environment["PGCLIENTENCODING"] == nil { settings.append(("client_encoding", "UTF8")) }
        if environment["PGCONNECT_TIMEOUT"] == nil { settings.append(("connect_timeout", "10")) }
        // Entries before an expanded dbname are defaults the DSN overrides (libpq's rule).
        if !isBlank { settings.append(("dbname", dsn)) }

        let connection = Self.withCStrings(settings.map(\.0)) { keywords in
            Self.withCStrings(settings.map(\.1)) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else {
            throw PGError.connectionFailed(target: PGTarget(host: "", port: "", database: "", user: ""),
                                           kind: .system, reason: "libpq could not allocate a connection")
        }
        let target = PGTarget(connection: connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = PGDSN.scrub(Self.trimmed(String(cString: PQerrorMessage(connection))), dsn: dsn)
            PQfinish(connection)
            throw PGError.connectionFailed(target: PGDSN.shownTarget(target, dsn: dsn), kind: PGErrorKind(connectFailure: reason),
                                           reason: PGDSN.shownReason(reason, dsn: dsn))
        }
        let encoding = PQparameterStatus(connection, "client_encoding").map { String(cString: $0) } ?? "unknown"
        guard encoding == "UTF8" else {
            PQfinish(connection)
            throw PGError.connectionFailed(
                target: target, kind: .configuration,
                reason: "client_encoding is \(encoding), but lading exchanges UTF-8: remove client_encoding from the DSN (or PGCLIENTENCODING) or set it to UTF8")
        }
        // libpq prints NOTICEs ("table does not exist, skipping") to stderr by default,
        // which would interleave with lading's one-line-per-event logs.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.handle = connection
        self.target = target
    }

    deinit {
        if let slot = cancelSlot { PGCancelRegistry.unregister(slot) }
        if let handle { PQfinish(handle) }
    }

    /// Closes the connection now; later calls throw `PGError.misuse`.
    /// This connection's slot in `PGCancelRegistry`, when a signal should cancel its statements.
    private var cancelSlot: Int?

    /// Lets SIGINT/SIGTERM cancel this connection's running statement (the loading
    /// connections: warehouse and tracker; not the lock's or the heartbeat's).
    package func cancelOnSignal() {
        guard cancelSlot == nil, let handle else { return }
        cancelSlot = PGCancelRegistry.register(handle)
    }

    package func close() {
        if let slot = cancelSlot { PGCancelRegistry.unregister(slot) }
        cancelSlot = nil
        if let handle { PQfinish(handle) }
        handle = nil
        heldCopy = nil
        copyInProgress = false
    }

    // MARK: - A COPY held open between batches

    /// A COPY the caller may continue with its next batch (`takeHeldCopy`): the batches
    /// of one load then stream as one statement instead of one each (a statement per
    /// 10,000 rows cost about 10% of a load). Any other statement on the connection
    /// finishes it first, throwing its error there; a rollback aborts it.
    private var heldCopy: PGCopyIn?

    /// Whether a `transaction` is open on this connection (locks taken now last until it ends).
    package var isInTransaction: Bool { openTransactions > 0 }

    /// Keeps `copy` open after its rows; only inside a transaction (outside one its rows
    /// would wait for the next statement to be committed), else it finishes now.
    package func hold(_ copy: PGCopyIn) throws {
        guard isInTransaction else {
            _ = try copy.finish()
            return
        }
        heldCopy = copy
    }

    /// The held COPY when it is `expected`, taken back by the caller; nil otherwise.
    package func takeHeldCopy(_ expected: PGCopyIn?) -> PGCopyIn? {
        guard let held = heldCopy, let expected, held === expected else { return nil }
        heldCopy = nil
        return held
    }

    /// Finishes a held COPY (the server reports a bad row here).
    package func settleHeldCopy() throws {
        guard let held = heldCopy else { return }
        heldCopy = nil
        _ = try held.finish()
    }

    /// Runs SQL without parameters; several statements separated by `;` are fine (they
    /// run in one implicit transaction unless the text holds its own BEGIN/COMMIT).
    package func execute(_ sql: String) throws {
        let handle = try liveHandle()
        try Self.rejectNUL(in: sql, what: "SQL text")
        _ = try checked(PQexec(handle, sql), sql: sql)
    }

    /// Runs one statement with parameters (`$1`, `$2`…, text format, nil as NULL) and
    /// returns the number of rows it affected.
    @discardableResult
    package func run(_ sql: String, _ params: [String?] = []) throws -> Int {
        try perform(sql, params).affectedRows
    }

    /// Every row of a query in text format, NULL as nil.
    package func rows(_ sql: String, _ params: [String?] = []) throws -> [[String?]] {
        try perform(sql, params).rows()
    }

    /// (table, file) rows grouped by table (reconcile's keys-only reads).
    package static func filesByTable(_ rows: [[String?]]) -> [String: [String]] {
        var files: [String: [String]] = [:]
        for row in rows where row.count >= 2 { files[row[0] ?? "", default: []].append(row[1] ?? "") }
        return files
    }

    /// `BEGIN` … `COMMIT`, rolled back on any throw (the first error is rethrown).
    /// Called inside a transaction, it becomes a savepoint, released on success and
    /// rolled back to on throw, so a nested failure undoes only its own part.
    ///
    /// A body that catches a failed statement and returns normally has left the
    /// transaction aborted; PostgreSQL would turn the `COMMIT` into a silent
    /// `ROLLBACK`, so this rolls back and throws instead (SQLSTATE 25P02).
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        let handle = try liveHandle()
        openTransactions += 1
        defer { openTransactions -= 1 }
        if PQtransactionStatus(handle) == PQTRANS_IDLE {
            return try bracket(begin: "BEGIN", commit: "COMMIT", rollBack: "ROLLBACK", body)
        }
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "lading_sp\(savepointDepth)"
        return try bracket(begin: "SAVEPOINT \(name)", commit: "RELEASE SAVEPOINT \(name)",
                           rollBack: "ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)", body)
    }

    /// Starts `COPY … FROM STDIN` (text format); the connection serves only the
    /// returned stream until its `finish()` or `abort(_:)`.
    package func beginCopy(_ sql: String) throws -> PGCopyIn {
        let handle = try liveHandle()
        try Self.rejectNUL(in: sql, what: "SQL text")
        guard let pointer = PQexec(handle, sql) else { throw failure(nil, sql: sql) }
        let result = PGResult(pointer)
        guard result.status == PGRES_COPY_IN else {
            if result.status == PGRES_COMMAND_OK || result.status == PGRES_TUPLES_OK || result.status == PGRES_COPY_OUT {
                endUnexpectedCopy(result.status)
                throw PGError.misuse(target: target, reason: "beginCopy needs COPY … FROM STDIN, got another statement [SQL: \(sql.prefix(200))]")
            }
            throw failure(result, sql: sql)
        }
        copyInProgress = true
        return PGCopyIn(connection: self, sql: sql)
    }

    // MARK: - Internals shared with PGCopyIn

    /// The open handle, or a misuse error when closed or busy with a COPY.
    func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PGError.misuse(target: target, reason: "the connection is closed") }
        try settleHeldCopy()
        guard !copyInProgress else {
            throw PGError.misuse(target: target, reason: "a COPY is in progress on this connection: finish or abort it first")
        }
        // The server went away (a restart, a terminated session) since the last
        // statement: outside a transaction, connect again, so a retry of the failed work
        // starts on a working connection. Inside one, never: the rest of a transaction
        // the server already rolled back must fail, not commit piece by piece.
        // Reading what the server sent meanwhile (a non-blocking read) finds a session it
        // ended while this one was idle (idle_session_timeout, a terminated backend).
        if openTransactions == 0, PQstatus(handle) == CONNECTION_BAD || Self.serverClosed(handle) {
            PQreset(handle)
            guard PQstatus(handle) == CONNECTION_OK else {
                throw PGError.connectionFailed(target: target, kind: .transient, reason: Self.trimmed(String(cString: PQerrorMessage(handle))))
            }
            if let slot = cancelSlot { PGCancelRegistry.refresh(slot, handle) }
            try onReconnect?(self)
        }
        return handle
    }

    /// True when the server closed an idle session: libpq reads what it sent (its
    /// goodbye), then a peek at the socket sees the end of the stream.
    private static func serverClosed(_ handle: OpaquePointer) -> Bool {
        if PQconsumeInput(handle) == 0 || PQstatus(handle) == CONNECTION_BAD { return true }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return true }
        var byte: UInt8 = 0
        return recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0
    }

    /// The error for a failed result (or a nil one: libpq could not even send), with
    /// the server's fields when it sent any, and whether the connection survived.
    func failure(_ result: PGResult?, sql: String?) -> PGError {
        var message = result?.errorField("M") ?? result.map { Self.trimmed($0.errorMessage) } ?? ""
        if message.isEmpty, let handle { message = Self.trimmed(String(cString: PQerrorMessage(handle))) }
        if message.isEmpty { message = "unknown libpq failure" }
        return .statementFailed(PGStatementFailure(
            target: target,
            sqlState: result?.errorField("C"),
            message: message,
            detail: result?.errorField("D"),
            hint: result?.errorField("H"),
            sql: sql,
            connectionLost: handle.map { PQstatus($0) == CONNECTION_BAD } ?? true
        ))
    }

    // MARK: - Private

    private func perform(_ sql: String, _ params: [String?]) throws -> PGResult {
        let handle = try liveHandle()
        try Self.rejectNUL(in: sql, what: "SQL text")
        for (index, param) in params.enumerated() {
            if let param { try Self.rejectNUL(in: param, what: "parameter $\(index + 1)") }
        }
        let pointer = Self.withCStrings(params) { values in
            PQexecParams(handle, sql, Int32(params.count), nil, values, nil, nil, 0)
        }
        return try checked(pointer, sql: sql)
    }

    /// Wraps a result and throws unless it is a success; a COPY started by plain
    /// SQL is ended so the connection stays usable.
    private func checked(_ pointer: OpaquePointer?, sql: String) throws -> PGResult {
        guard let pointer else { throw failure(nil, sql: sql) }
        let result = PGResult(pointer)
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        case PGRES_COPY_IN, PGRES_COPY_OUT:
            endUnexpectedCopy(result.status)
            throw PGError.misuse(target: target, reason: "COPY runs through beginCopy, not execute/run/rows [SQL: \(sql.prefix(200))]")
        default:
            throw failure(result, sql: sql)
        }
    }

    /// Brings the connection back to idle after a COPY nobody streams.
    private func endUnexpectedCopy(_ status: ExecStatusType) {
        guard let handle else { return }
        if status == PGRES_COPY_IN {
            PQputCopyEnd(handle, "COPY FROM STDIN must go through beginCopy")
        } else if status == PGRES_COPY_OUT {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
        }
        while let leftover = PQgetResult(handle) { PQclear(leftover) }
    }

    /// `body` between `begin` and `commit`; `rollBack` when it throws, or when it
    /// returns after catching a failed statement (the transaction is aborted then).
    private func bracket<T>(begin: String, commit: String, rollBack: String, _ body: () throws -> T) throws -> T {
        try execute(begin)
        let result: T
        do {
            result = try body()
            try settleHeldCopy()
        } catch {
            rollBackQuietly(rollBack)
            throw error
        }
        if isInFailedTransaction {
            rollBackQuietly(rollBack)
            throw abortedTransaction()
        }
        try execute(commit)
        return result
    }

    private var isInFailedTransaction: Bool {
        handle.map { PQtransactionStatus($0) == PQTRANS_INERROR } ?? false
    }

    /// Undo after a failure; its own failure (a lost connection) must not hide the first.
    private func rollBackQuietly(_ sql: String) {
        if let held = heldCopy {
            heldCopy = nil
            held.abort("rolled back")
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK, !copyInProgress else { return }
        try? execute(sql)
    }

    private func abortedTransaction() -> PGError {
        .statementFailed(PGStatementFailure(
            target: target, sqlState: "25P02",
            message: "a statement failed inside the transaction and the error was caught, not rethrown; the transaction was rolled back"
        ))
    }

    // MARK: - C strings

    /// The strings as a NULL-terminated `const char *const *`, valid inside `body`.
    private static func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        // Never empty (the terminator), so the buffer always has a base address.
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// libpq takes C strings, which end at the first NUL: a value holding one would be
    /// cut short silently. PostgreSQL text cannot hold NUL anyway.
    private static func rejectNUL(in text: String, what: String) throws {
        if text.utf8.contains(0) {
            throw PGError.unsendableValue(reason: "\(what) contains a NUL character, which PostgreSQL text cannot hold")
        }
    }

    /// libpq ends its messages with a newline; a one-line log wants it gone.
    static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Parses the DSN as libpq will, so a malformed one fails as configuration.
    private static func validate(_ dsn: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(dsn, &error) {
            PQconninfoFree(options)
            return
        }
        let reason = error.map { trimmed(String(cString: $0)) } ?? "libpq could not parse it"
        if let error { PQfreemem(error) }
        throw PGError.invalidDSN(reason: PGDSN.scrub(reason, dsn: dsn))
    }
}
