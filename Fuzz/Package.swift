// swift-tools-version:6.0
import PackageDescription

// The fuzz targets (issue 19): a package of its own beside lading's, so `swift build`,
// `make test` and CI never build them. Each target is a libFuzzer executable over the
// real lading modules (this package depends on the one above by path). Build one with
//   swift build --package-path Fuzz -c debug --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
//       -Xswiftc -parse-as-library -Xswiftc -enable-testing --product fuzz-csv
// (swiftc keeps only the last -sanitize= flag: with SwiftPM's `--sanitize fuzzer
// --sanitize address`, passed in no fixed order, some modules lose their coverage).
// or all of them with `make fuzz` (Fuzz/README.md).
let package = Package(
    name: "lading-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "lading", path: "..")],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "LadingCore", package: "lading")]
        ),
        .executableTarget(name: "fuzz-csv", dependencies: ["FuzzSupport", .product(name: "LadingCore", package: "lading")]),
        .executableTarget(name: "fuzz-jsonl", dependencies: ["FuzzSupport", .product(name: "LadingCore", package: "lading")]),
        .executableTarget(name: "fuzz-gzip", dependencies: ["FuzzSupport", .product(name: "LadingCore", package: "lading")]),
        .executableTarget(name: "fuzz-values", dependencies: ["FuzzSupport", .product(name: "LadingCore", package: "lading")]),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzSupport", .product(name: "LadingCore", package: "lading")]),
        .executableTarget(name: "fuzz-lock", dependencies: ["FuzzSupport", .product(name: "LadingCore", package: "lading")]),
        .executableTarget(name: "fuzz-timestamp", dependencies: ["FuzzSupport", .product(name: "LadingCore", package: "lading")]),
    ]
)
