// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "lading",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lading", targets: ["lading"]),
        .library(name: "LadingCore", targets: ["LadingCore"]),
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
        // of a fresh clone's first build, for one hash function (issue 13).
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // libpq for the PostgreSQL backend (issue 14): it builds in about a second and
        // speaks COPY natively, where a pure-Swift driver would bring a large NIO tree.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(
            name: "LadingCore",
            dependencies: [
                "CSQLite",
                "CZlib",
                "CCrypto",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [
                // Release builds skip Swift's dynamic exclusivity checks: in the readers'
                // per-byte state they cost 30–45% of parsing (perf). Debug builds, which
                // the tests run, keep them, so a violation still fails a test.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        .executableTarget(
            name: "lading",
            dependencies: [
                "LadingCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL connection layer: libpq wrapped once (errors, transactions, COPY).
        .target(
            name: "LadingPostgres",
            dependencies: ["CLibPQ"]
        ),
        .executableTarget(
            name: "lading-bench",
            dependencies: ["LadingCore"]
        ),
        // Temporary folders, fixture paths and the private PostgreSQL server shared by the test targets.
        .target(
            name: "LadingTestSupport",
            path: "Tests/LadingTestSupport"
        ),
        .testTarget(
            name: "LadingCoreTests",
            dependencies: ["LadingCore", "LadingTestSupport"]
        ),
        .testTarget(
            name: "LadingCLITests",
            dependencies: ["lading", "LadingCore", "LadingTestSupport"]
        ),
        .testTarget(
            name: "LadingPostgresTests",
            dependencies: ["LadingPostgres", "LadingTestSupport"]
        ),
    ]
)
