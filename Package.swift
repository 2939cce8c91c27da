// swift-tools-version:6.0
import PackageDescription

// Release builds skip Swift's dynamic exclusivity checks: in the readers' per-byte
// state they cost 30–45% of parsing (perf). Debug builds, which the tests run, keep
// them, so a violation still fails a test.
let releaseFlags: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "lading",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lading", targets: ["lading"]),
        .library(name: "LadingCore", targets: ["LadingCore", "LadingStore", "LadingSQLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // SHA-256 from the system's OpenSSL: swift-crypto would compile BoringSSL, most
        // of a fresh clone's first build, for one hash function (issue 13). Its headers
        // only: CCryptoLoader loads libcrypto when lading first hashes a file.
        .systemLibrary(
            name: "CCrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // dlopen on first use, shared by the two loaders below.
        .target(name: "CLazyLoad"),
        // Threads started on another core than their parent's (SideThread).
        .target(name: "CThreads"),
        .target(
            name: "CCryptoLoader",
            dependencies: ["CCrypto", "CLazyLoad"]
        ),
        // libpq for the PostgreSQL backend (issue 14): it builds in about a second and
        // speaks COPY natively, where a pure-Swift driver would bring a large NIO tree.
        // Its headers only: the library is loaded by CLibPQLoader when lading first
        // connects, so SQLite commands do not pay its twenty libraries at start-up (and
        // run where libpq is not installed).
        .systemLibrary(
            name: "CLibPQ",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(
            name: "CLibPQLoader",
            dependencies: ["CLibPQ", "CLazyLoad"]
        ),
        // The layers, bottom up; the compiler holds the arrows (README, "Code map").
        // Side effects, errors and their exit codes: no SQL, no config.
        .target(
            name: "LadingSupport",
            dependencies: ["CCrypto", "CCryptoLoader", "CThreads", .product(name: "Logging", package: "swift-log")],
            swiftSettings: releaseFlags
        ),
        // The config file: YAML to a validated `LadingConfig`.
        .target(
            name: "LadingConfiguration",
            dependencies: ["LadingSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: releaseFlags
        ),
        // CSV, TSV and JSON Lines readers over plain and gzip bytes; they know no SQL.
        .target(
            name: "LadingReaders",
            dependencies: ["LadingSupport", "LadingConfiguration", "CZlib"],
            swiftSettings: releaseFlags
        ),
        // The seam: what a warehouse and a tracker must do (protocols and their records),
        // in semantic operations. No SQL and no backend here.
        .target(
            name: "LadingStore",
            dependencies: ["LadingSupport", "LadingConfiguration", "LadingReaders", .product(name: "Logging", package: "swift-log")],
            swiftSettings: releaseFlags
        ),
        // The embedded backend: every SQLite statement lading runs, its connection private.
        .target(
            name: "LadingSQLite",
            dependencies: ["LadingStore", "LadingSupport", "LadingConfiguration", "LadingReaders", "CSQLite"],
            swiftSettings: releaseFlags
        ),
        // The PostgreSQL backend: every PostgreSQL statement lading runs, libpq wrapped once.
        .target(
            name: "LadingPostgres",
            dependencies: ["LadingStore", "LadingSupport", "LadingConfiguration", "LadingReaders", "CLibPQ", "CLibPQLoader",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: releaseFlags
        ),
        // Discovery, the pipeline, the strategies, recovery and reports, over the seam only.
        .target(
            name: "LadingCore",
            dependencies: [
                "LadingSupport", "LadingConfiguration", "LadingReaders", "LadingStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: releaseFlags
        ),
        .executableTarget(
            name: "lading",
            dependencies: [
                "LadingCore", "LadingStore", "LadingSupport", "LadingConfiguration", "LadingSQLite", "LadingPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "lading-bench",
            dependencies: ["LadingCore", "LadingReaders", "LadingConfiguration", "LadingSupport", "LadingStore"]
        ),
        // Temporary folders, fixture paths and the private PostgreSQL server shared by the test targets.
        .target(
            name: "LadingTestSupport",
            path: "Tests/LadingTestSupport"
        ),
        .testTarget(
            name: "LadingCoreTests",
            dependencies: ["CLazyLoad", "LadingCore", "LadingSupport", "LadingConfiguration", "LadingReaders", "LadingStore", "LadingSQLite", "LadingTestSupport"]
        ),
        .testTarget(
            name: "LadingCLITests",
            dependencies: ["lading", "LadingCore", "LadingSupport", "LadingConfiguration", "LadingStore", "LadingSQLite", "LadingTestSupport"]
        ),
        .testTarget(
            name: "LadingPostgresTests",
            dependencies: ["LadingPostgres", "LadingStore", "LadingSupport", "LadingConfiguration", "LadingTestSupport"]
        ),
    ]
)
