import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster for the whole test process (DESIGN §7): started on
/// first use, stopped when the process exits.
///
/// `initdb` into `/tmp/lading-pg-<pid>-<random>`, a free TCP port on 127.0.0.1, a unix
/// socket in the same folder, durability off (`fsync`, `synchronous_commit`,
/// `full_page_writes`) because a test cluster never has to survive a power cut. initdb
/// and the server refuse to run as root, so as root they run as the `postgres` user
/// (`runuser -u postgres --`) on a folder that user owns. The folder holds the test
/// process's pid (`owner.pid`), so `scripts/pg-test-cleanup` can stop a cluster whose
/// process died before its exit handler ran (kill -9, a crash).
///
/// Nothing here skips: when the server cannot start, `shared()` throws an error naming
/// the command, its output and the end of the server log, so every test using it fails
/// and says why. No libpq here: only the PostgreSQL binaries, as tests use `sqlite3`.
public final class PostgresServer: Sendable {
    public let folder: String
    public let socketDirectory: String
    public let port: Int
    public let superuserPassword: String
    public let binDirectory: String

    /// The cluster of this process, started on the first call (Swift Testing runs tests
    /// in parallel: the others wait, then share it). A failed start is remembered, so
    /// every test fails at once with the same explanation instead of retrying.
    public static func shared() throws -> PostgresServer {
        lock.lock()
        defer { lock.unlock() }
        if let started { return try started.get() }
        let result = Result { try start() }
        started = result
        return try result.get()
    }

    /// A fresh, empty database with a unique name; returns its DSN over the unix
    /// socket (`host=<socket dir> port=<port> user=postgres dbname=<name>`).
    public func makeDatabase(prefix: String = "t") throws -> String {
        let name = Self.uniqueName(prefix: prefix)
        try psql(dsn: dsn(database: "postgres"), sql: "CREATE DATABASE \(Self.quoteIdentifier(name))")
        return dsn(database: name)
    }

    /// The socket DSN of an existing database, as the trusted superuser.
    public func dsn(database: String) -> String {
        "host=\(Self.quoteValue(socketDirectory)) port=\(port) user=postgres dbname=\(Self.quoteValue(database))"
    }

    /// A DSN over TCP to 127.0.0.1, where the cluster asks for a password
    /// (scram-sha-256): for tests of passwords, refused or accepted.
    public func tcpDSN(database: String, user: String = "postgres", password: String) -> String {
        "host=127.0.0.1 port=\(port) user=\(Self.quoteValue(user)) password=\(Self.quoteValue(password)) dbname=\(Self.quoteValue(database))"
    }

    /// Runs SQL through `psql -X -A -t -v ON_ERROR_STOP=1` and returns what it printed
    /// (rows one per line, columns joined by `|`, the last newline dropped): tests
    /// inspect tables with it as they use the `sqlite3` CLI on SQLite.
    @discardableResult
    public func psql(dsn: String, sql: String) throws -> String {
        let output = try ChildProcess.run([binDirectory + "/psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql],
                                          directory: folder)
        guard output.status == 0 else {
            throw PostgresServerError("psql failed (exit \(output.status)) on \(sql.prefix(300)): \(output.stderr)\(output.stdout)")
        }
        return output.stdout.hasSuffix("\n") ? String(output.stdout.dropLast()) : output.stdout
    }

    /// A database or role name no other test (or process) uses.
    public static func uniqueName(prefix: String) -> String {
        lock.lock()
        nameCounter += 1
        let counter = nameCounter
        lock.unlock()
        return "\(prefix)_\(getpid())_\(counter)_\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// A TCP port on 127.0.0.1 that nothing listened on a moment ago (the kernel's
    /// pick for port 0): for the server, and for tests of a server that is not there.
    public static func unusedPort() throws -> Int {
        #if os(Linux)
        let kind = Int32(SOCK_STREAM.rawValue)
        #else
        let kind = SOCK_STREAM
        #endif
        let socketDescriptor = socket(AF_INET, kind, 0)
        guard socketDescriptor >= 0 else { throw PostgresServerError("socket() failed: errno \(errno)") }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketDescriptor, generic, length) == 0 && getsockname(socketDescriptor, generic, &length) == 0
            }
        }
        guard bound else { throw PostgresServerError("could not bind a free port on 127.0.0.1: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `'…'` with `\` and `'` escaped: a keyword-DSN value that may hold anything.
    public static func quoteValue(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// `"…"` with `"` doubled: a SQL identifier that may hold anything but NUL.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - Starting

    private init(folder: String, port: Int, password: String, binDirectory: String) {
        self.folder = folder
        self.socketDirectory = folder
        self.port = port
        self.superuserPassword = password
        self.binDirectory = binDirectory
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var started: Result<PostgresServer, any Error>?
    nonisolated(unsafe) private static var nameCounter = 0
    /// Read by the exit handler, which must not take the lock (another thread may hold it at exit).
    nonisolated(unsafe) private static var foldersToStop: [String] = []
    nonisolated(unsafe) private static var exitHandlerSet = false

    /// A cluster of its own, for a test that restarts or stops its server (the shared
    /// one serves tests running in parallel). Stopped at exit like the shared one.
    public static func dedicated() throws -> PostgresServer {
        lock.lock()
        defer { lock.unlock() }
        return try start()
    }

    /// `pg_ctl restart -m fast`: every session ends, as in a server restart at night.
    public func restart() throws {
        try Self.runChecked([binDirectory + "/pg_ctl", "-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60",
                             "-m", "fast", "restart"], asPostgresUser: getuid() == 0, folder: folder, what: "pg_ctl restart")
    }

    private static func start() throws -> PostgresServer {
        let bin = try findBinDirectory()
        let asRoot = getuid() == 0
        let folder = "/tmp/lading-pg-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        foldersToStop.append(folder)
        if !exitHandlerSet {
            exitHandlerSet = true
            atexit { PostgresServer.stopAtExit() }
        }
        try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: folder + "/owner.pid"))
        let password = "su-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let passwordFile = folder + "/superuser-password"
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        if asRoot { try giveToPostgresUser([folder, passwordFile]) }

        let initdb = [bin + "/initdb", "-D", folder + "/data", "--auth-local=trust", "--auth-host=scram-sha-256",
                      "-U", "postgres", "--pwfile=" + passwordFile, "-E", "UTF8", "--locale=C", "--no-sync"]
        try runChecked(initdb, asPostgresUser: asRoot, folder: folder, what: "initdb")

        // A port free a moment ago can be taken before the server binds it: try a few.
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try unusedPort()
            let options = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                + " -c full_page_writes=off -c max_connections=200"
            let pgCtl = [bin + "/pg_ctl", "-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60",
                         "-o", options, "start"]
            do {
                try runChecked(pgCtl, asPostgresUser: asRoot, folder: folder, what: "pg_ctl start")
                return PostgresServer(folder: folder, port: port, password: password, binDirectory: bin)
            } catch {
                lastError = error
                let log = ChildProcess.readText(folder + "/server.log") ?? ""
                guard log.contains("could not bind") || log.contains("Address already in use") else { throw error }
            }
        }
        throw lastError ?? PostgresServerError("pg_ctl start failed")
    }

    /// The highest installed version under Debian's layout, else `pg_config --bindir`.
    private static func findBinDirectory() throws -> String {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: "\(base)/\($0)/bin/initdb") }
            .sorted { (Double($0) ?? 0) > (Double($1) ?? 0) }
        if let newest = versions.first { return "\(base)/\(newest)/bin" }
        if let output = try? ChildProcess.run(["/usr/bin/env", "pg_config", "--bindir"], directory: "/"), output.status == 0 {
            let directory = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.isExecutableFile(atPath: directory + "/initdb") { return directory }
        }
        throw PostgresServerError("""
            PostgreSQL server binaries (initdb, pg_ctl) not found under \(base)/*/bin nor at `pg_config --bindir`: \
            install Debian's postgresql package (`make test` does)
            """)
    }

    /// initdb refuses root, and the server must own its data folder.
    private static func giveToPostgresUser(_ paths: [String]) throws {
        guard let user = getpwnam("postgres") else {
            throw PostgresServerError("""
                running as root, and initdb refuses root: there is no postgres user to run it as \
                (Debian's postgresql package creates one)
                """)
        }
        for path in paths where chown(path, user.pointee.pw_uid, user.pointee.pw_gid) != 0 {
            throw PostgresServerError("chown postgres \(path) failed: errno \(errno)")
        }
    }

    private static func runChecked(_ command: [String], asPostgresUser: Bool, folder: String, what: String) throws {
        var arguments = command
        if asPostgresUser {
            guard let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
                .first(where: FileManager.default.isExecutableFile(atPath:)) else {
                throw PostgresServerError("running as root, and runuser (util-linux) is missing: cannot run \(what) as postgres")
            }
            arguments = [runuser, "-u", "postgres", "--"] + command
        }
        let output = try ChildProcess.run(arguments, directory: folder)
        guard output.status == 0 else {
            let log = ChildProcess.readText(folder + "/server.log") ?? "(no server log)"
            let tail = log.split(separator: "\n", omittingEmptySubsequences: false).suffix(30).joined(separator: "\n")
            throw PostgresServerError("""
                the test PostgreSQL server could not start: \(what) failed (exit \(output.status))
                command: \(arguments.joined(separator: " "))
                output: \(output.stdout)\(output.stderr)
                server log (last lines of \(folder)/server.log):
                \(tail)
                """)
        }
    }

    // MARK: - Stopping

    /// `pg_ctl stop -m immediate` is SIGQUIT to the postmaster; sent directly because an
    /// exit handler should not start processes. Waits for `postmaster.pid` to go (the
    /// postmaster removes it last), then removes the folder.
    private static func stopAtExit() {
        for folder in foldersToStop { stop(folder) }
    }

    private static func stop(_ folder: String) {
        let pidFile = folder + "/data/postmaster.pid"
        if let text = ChildProcess.readText(pidFile),
           let line = text.split(separator: "\n").first, let pid = Int32(line), pid > 0 {
            kill(pid, SIGQUIT)
            var waited = 0
            while FileManager.default.fileExists(atPath: pidFile), waited < 500 {
                usleep(20_000)
                waited += 1
            }
        }
        if !FileManager.default.fileExists(atPath: pidFile) { try? FileManager.default.removeItem(atPath: folder) }
    }
}
