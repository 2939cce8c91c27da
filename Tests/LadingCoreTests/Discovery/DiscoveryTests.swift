import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

@Suite struct DiscoveryTests {
    let folder: TemporaryFolder
    let now = Date()

    init() throws { folder = try TemporaryFolder() }

    func table(pattern: String, order: TableConfig.OrderBy = .name, minAge: Double = 0) throws -> TableConfig {
        let yaml = """
        tables:
          - table_name: t
            source_path: landing
            file_pattern: "\(pattern)"
            order_by: \(order.rawValue)
            min_file_age_seconds: \(minAge)
        """
        try FileManager.default.createDirectory(atPath: folder.url("landing"), withIntermediateDirectories: true)
        return try ConfigLoader.parse(yaml: yaml, path: folder.url("lading.yaml")).tables[0]
    }

    func names(_ listing: Discovery.Listing) -> [String] { listing.files.map(\.relativePath) }

    @Test func filesComeInNameOrderWithMetadata() throws {
        for name in ["b.csv", "a.csv", "c.csv.gz", "notes.txt", ".hidden.csv", "A.csv"] {
            try folder.write("landing/" + name, "x,y\n1,2\n")
        }
        let listing = try Discovery(table: try table(pattern: "*.csv*"), now: now).list()
        #expect(names(listing) == ["A.csv", "a.csv", "b.csv", "c.csv.gz"])
        #expect(listing.files[0].size == 8)
        #expect(listing.files[0].path == folder.url("landing/A.csv"))
    }

    /// A name that is not UTF-8 cannot be tracked by its name: it is reported (the run
    /// logs it as a skipped landing entry), never passed over in silence.
    @Test func aNameThatIsNotUTF8IsReportedNotDropped() throws {
        let config = try table(pattern: "*.csv")
        try folder.write("landing/good.csv", "x\n1\n")
        // One the pattern takes, and one it does not (not worth a warning every night).
        for suffix in [".csv", ".txt"] {
            var name = Array(folder.url("landing/").utf8) + Array("caf".utf8) + [0xE9] + Array(suffix.utf8) + [0]
            let descriptor = name.withUnsafeMutableBufferPointer { buffer in
                open(UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644)
            }
            #expect(descriptor >= 0)
            close(descriptor)
        }
        let listing = try Discovery(table: config, now: now).list()
        #expect(names(listing) == ["good.csv"])
        #expect(listing.skipped.count == 1)
        #expect(listing.skipped.first?.reason.contains("not valid UTF-8") == true, "\(listing.skipped)")
        #expect(listing.skipped.first?.path.hasSuffix(".csv") == true, "\(listing.skipped)")
    }

    @Test func modifiedTimeOrderIsAnOption() throws {
        try folder.write("landing/a.csv", "1")
        try folder.write("landing/b.csv", "2")
        try folder.setModified("landing/a.csv", to: now.addingTimeInterval(-10))
        try folder.setModified("landing/b.csv", to: now.addingTimeInterval(-100))
        let listing = try Discovery(table: try table(pattern: "*.csv", order: .modifiedTime), now: now).list()
        #expect(names(listing) == ["b.csv", "a.csv"])
    }

    @Test func doubleStarRecursesAndPlainPatternsDoNot() throws {
        try folder.write("landing/top.csv", "1")
        try folder.write("landing/2026/01/deep.csv", "1")
        try folder.write("landing/2026/mid.csv", "1")
        #expect(names(try Discovery(table: try table(pattern: "**/*.csv"), now: now).list()) == ["2026/01/deep.csv", "2026/mid.csv", "top.csv"])
        #expect(names(try Discovery(table: try table(pattern: "*.csv"), now: now).list()) == ["top.csv"])
        #expect(names(try Discovery(table: try table(pattern: "2026/*.csv"), now: now).list()) == ["2026/mid.csv"])
    }

    /// Names are stat'ed in name order and a folder's listing is then taken as sorted;
    /// subfolders (whose files may sort before a sibling file: "a/x" after "a.csv") and
    /// both orders must still come out fully sorted, once each, through the two-thread
    /// path of large folders too.
    @Test func seededTreesListEveryFileOnceInOrder() throws {
        let seed = TestSeed.value(default: 2026_12_01)
        var random = SplitMix64(seed: seed)
        let stems = ["a", "a.csv", "a-b", "a_b", "B", "b", "é", "e\u{301}", "z", "0", "00", "a.b", "A"]
        var written: [String: Int] = [:]
        for index in 0..<900 {
            var parts: [String] = []
            for _ in 0..<Int.random(in: 0...2, using: &random) { parts.append(stems.randomElement(using: &random) ?? "a") }
            // Mostly one big folder (over the two-thread threshold), some nested ones.
            let name = (index % 3 == 0 ? "" : "f\(Int.random(in: 0..<400, using: &random))_") + (stems.randomElement(using: &random) ?? "a") + ".csv"
            let relative = (parts.isEmpty || index % 4 != 0 ? [] : parts).map { $0 + ".d" }.joined(separator: "/")
            let path = relative.isEmpty ? name : relative + "/" + name
            guard written[path] == nil else { continue }
            written[path] = index
            try folder.write("landing/" + path, String(index))
            try folder.setModified("landing/" + path, to: now.addingTimeInterval(-Double(Int.random(in: 1...50, using: &random))))
        }
        // A folder that sorts before a file whose name it begins: its files sort after.
        for path in ["x.d/in.csv", "x.d-after.csv"] {
            written[path] = written.count
            try folder.write("landing/" + path, "1")
        }
        let byName = try Discovery(table: try table(pattern: "**/*.csv"), now: now).list()
        #expect(Set(names(byName)) == Set(written.keys), "seed \(seed)")
        #expect(names(byName).count == written.count, "seed \(seed)")
        #expect(names(byName) == written.keys.sorted { Paths.precedesByBytes($0, $1) }, "seed \(seed)")
        let byTime = try Discovery(table: try table(pattern: "**/*.csv", order: .modifiedTime), now: now).list()
        let expected = byName.files.sorted {
            $0.modifiedSeconds != $1.modifiedSeconds ? $0.modifiedSeconds < $1.modifiedSeconds : Paths.precedesByBytes($0.relativePath, $1.relativePath)
        }
        #expect(names(byTime) == expected.map(\.relativePath), "seed \(seed)")
    }

    /// A landing tree as deep as a path may be (1,500 levels: 3,000 bytes, under
    /// PATH_MAX), listed on the side thread a run uses (`ListingPrefetch`), whose stack
    /// is the main thread's size: the walk recurses once per level.
    @Test func aTreeAsDeepAsAPathMayBeIsListedOnASideThread() throws {
        let deep = Array(repeating: "d", count: 1500).joined(separator: "/")
        try FileManager.default.createDirectory(atPath: folder.url("landing/" + deep), withIntermediateDirectories: true)
        try folder.write("landing/" + deep + "/bottom.csv", "1")
        try folder.write("landing/top.csv", "1")
        let listing = try ListingPrefetch(table: try table(pattern: "**/*.csv"), now: now).listing()
        #expect(names(listing) == [deep + "/bottom.csv", "top.csv"])
    }

    /// A large folder listed on a side thread while the thread that needs it arrives
    /// before the `stat`s begin (a helper thread starts), during them (it claims chunks
    /// itself), or after: the same listing each time as a plain one.
    @Test(arguments: [0.0, 0.002, 0.004, 0.05])
    func aLargeFolderListsTheSameWhenTheWaitingThreadHelps(delay: Double) throws {
        for index in 0..<3000 { try folder.write("landing/f\(index).csv", String(index)) }
        let config = try table(pattern: "*.csv")
        let plain = names(try Discovery(table: config, now: now).list())
        for _ in 0..<5 {
            let prefetch = ListingPrefetch(table: config, now: now)
            Thread.sleep(forTimeInterval: delay)
            #expect(names(try prefetch.listing()) == plain, "arriving after \(delay) s")
        }
        #expect(plain.count == 3000)
    }

    @Test func statHelpGivesTheOfferedWorkToTheArrivingThreadOrSaysItWaits() {
        let early = StatHelp()
        var ran = 0
        #expect(!early.offer { ran += 1 }, "nobody waits yet")
        early.arrive()
        #expect(ran == 1, "the arriving thread does the offered work")
        let late = StatHelp()
        late.arrive()
        #expect(late.offer { ran += 1 }, "the thread already waits: the lister starts a helper")
        late.withdraw()
        late.arrive()
        #expect(ran == 1, "withdrawn work is not run")
    }

    @Test func linksOutOfTheSourceFolderAreNotFollowed() throws {
        try folder.write("outside/secret.csv", "1")
        try folder.write("landing/inside.csv", "1")
        try FileManager.default.createSymbolicLink(atPath: folder.url("landing/escape.csv"), withDestinationPath: folder.url("outside/secret.csv"))
        try FileManager.default.createSymbolicLink(atPath: folder.url("landing/alias.csv"), withDestinationPath: folder.url("landing/inside.csv"))
        try FileManager.default.createSymbolicLink(atPath: folder.url("landing/outdir"), withDestinationPath: folder.url("outside"))
        let listing = try Discovery(table: try table(pattern: "**/*.csv"), now: now).list()
        // alias.csv reaches inside.csv, which is listed once under its own path.
        #expect(names(listing) == ["inside.csv"])
        #expect(listing.skipped.contains { $0.path.hasSuffix("escape.csv") })
        #expect(listing.skipped.contains { $0.path.hasSuffix("alias.csv") })
    }

    @Test func freshFilesWaitForTheMinimumAge() throws {
        try folder.write("landing/old.csv", "1")
        try folder.write("landing/new.csv", "1")
        try folder.setModified("landing/old.csv", to: now.addingTimeInterval(-600))
        try folder.setModified("landing/new.csv", to: now.addingTimeInterval(-5))
        let listing = try Discovery(table: try table(pattern: "*.csv", minAge: 60), now: now).list()
        #expect(names(listing) == ["old.csv"])
        #expect(listing.tooYoung.map(\.relativePath) == ["new.csv"])
    }

    /// SPEC §4: a missing folder fails its table for the run (exit 1), not every table.
    @Test func aMissingSourceFolderFailsItsTableNamingTheFolder() throws {
        let config = try ConfigLoader.parse(yaml: "tables:\n  - table_name: t\n    source_path: nowhere\n", path: folder.url("lading.yaml"))
        #expect {
            _ = try Discovery(table: config.tables[0], now: now).list()
        } throws: { error in
            guard let error = error as? DiscoveryError, case .sourceUnavailable(let table, let path, _) = error else { return false }
            return table == "t" && path == folder.url("nowhere") && error.exitStatus == .completedWithFailures
        }
    }

    @Test func hashingMatchesAKnownDigest() throws {
        let path = try folder.write("abc.txt", "abc")
        #expect(try FileHasher.sha256(path: path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aChangedCompletedFileIsReportedAndAnUnchangedOneIsNotHashed() throws {
        let config = try table(pattern: "*.csv")
        try folder.write("landing/a.csv", "x\n1\n")
        let tracker = try SQLiteTracker(path: folder.url("tracker.sqlite"), clock: ManualClock(now))
        let registrar = Registrar(table: config, tracker: tracker, retry: RetryPolicy(retryAttempts: 3), dryRun: false)
        let first = try registrar.register(try Discovery(table: config, now: now).list())
        #expect(first.newlyRegistered == 1)
        let path = folder.url("landing/a.csv")
        try tracker.claim(table: "t", file: path, runID: "r", batchID: "b", seenRetryCount: 0)
        try tracker.complete(table: "t", file: path, runID: "r", recordsRead: 1, rowsLoaded: 1, rowsQuarantined: 0, sha256: nil)

        var unchanged = try Discovery(table: config, now: now).list().files[0]
        #expect(try registrar.plan(for: &unchanged, record: tracker.record(table: "t", file: path)) == .completed)
        #expect(unchanged.sha256 == nil)

        try folder.setModified("landing/a.csv", to: now.addingTimeInterval(-30))
        var touched = try Discovery(table: config, now: now).list().files[0]
        #expect(try registrar.plan(for: &touched, record: tracker.record(table: "t", file: path)) == .completed)

        try folder.write("landing/a.csv", "x\n2\n3\n")
        let second = try registrar.register(try Discovery(table: config, now: now).list())
        #expect(second.changed.map(\.path) == [path])
        #expect(second.toLoad.isEmpty)
        #expect(try tracker.record(table: "t", file: path)?.changeDetected != nil)
        #expect(try tracker.record(table: "t", file: path)?.status == .completed)
    }

    @Test func globSegments() {
        #expect(GlobPattern("*.csv*").matches("a.csv.gz"))
        #expect(!GlobPattern("*.csv").matches("dir/a.csv"))
        #expect(GlobPattern("**/x_*.csv").matches("x_1.csv"))
        #expect(GlobPattern("**/x_*.csv").matches("a/b/x_1.csv"))
        #expect(!GlobPattern("*.csv").matches(".partial.csv"))
        #expect(GlobPattern("a/**/*.csv").mayDescend(into: "a/b"))
        #expect(!GlobPattern("a/*.csv").mayDescend(into: "b"))
    }
}
