import CLibPQ

extension PGConnection {
    /// The server closed the connection (a restart, a terminated backend, the network).
    var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// Connects again with the same parameters. Session state (temporary tables,
    /// settings) is gone: callers set the session up again.
    func reconnect() throws {
        guard let handle else { throw PGError.misuse(target: target, reason: "reconnect after close") }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PGError.connectionFailed(target: target, kind: .transient, reason: String(cString: PQerrorMessage(handle)))
        }
    }
}
