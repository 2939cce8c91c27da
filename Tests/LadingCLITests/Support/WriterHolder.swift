import Foundation

/// Another process holding a write lock on a SQLite database (`BEGIN IMMEDIATE`), as a
/// long report query or a stuck client would: lading's writes then meet SQLITE_BUSY.
final class WriterHolder {
    private let process = Process()
    private let input = Pipe()

    /// `shared`: a reader's lock (a read transaction), which lets others write but not commit.
    init(database: String, shared: Bool = false) throws {
        let begin = shared ? "c.execute('BEGIN'); c.execute('SELECT count(*) FROM sqlite_master').fetchall()" : "c.execute('BEGIN IMMEDIATE')"
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            \(begin)
            print('held', flush=True)
            sys.stdin.read()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, database]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        // Wait until the lock is really held.
        _ = output.fileHandleForReading.availableData
    }

    func release() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit { if process.isRunning { release() } }
}
