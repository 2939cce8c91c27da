import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// SPEC §4: two paths to the same file (a link inside `source_path`) load it once per
/// table. Identity is device and inode; the real file's own path is kept when it
/// matches the pattern, else the first link in the stable order.
@Suite struct DiscoveryLinkTests {
    let folder: TemporaryFolder
    let now = Date()

    init() throws { folder = try TemporaryFolder() }

    func list(pattern: String, order: TableConfig.OrderBy = .name) throws -> Discovery.Listing {
        let yaml = """
        tables:
          - table_name: t
            source_path: landing
            file_pattern: "\(pattern)"
            order_by: \(order.rawValue)
        """
        try FileManager.default.createDirectory(atPath: folder.url("landing"), withIntermediateDirectories: true)
        return try Discovery(table: try ConfigLoader.parse(yaml: yaml, path: folder.url("lading.yaml")).tables[0], now: now).list()
    }

    func link(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: folder.url("landing/" + relative), withDestinationPath: target)
    }

    @Test func aLinkToAFileInTheSameFolderIsListedOnceUnderTheRealPath() throws {
        try folder.write("landing/b.csv", "x\n1\n")
        try link("a.csv", to: "b.csv")
        try link("c.csv", to: folder.url("landing/b.csv"))
        let listing = try list(pattern: "*.csv")
        #expect(listing.files.map(\.relativePath) == ["b.csv"])
        #expect(listing.files.map(\.path) == [folder.url("landing/b.csv")])
        #expect(Set(listing.skipped.map(\.path)) == [folder.url("landing/a.csv"), folder.url("landing/c.csv")])
        #expect(listing.skipped.allSatisfy { $0.reason.contains(folder.url("landing/b.csv")) }, "\(listing.skipped)")
    }

    @Test func aLinkToAFileInASubfolderIsListedOnceWithARecursivePattern() throws {
        try folder.write("landing/2026/01/deep.csv", "x\n1\n")
        try folder.write("landing/top.csv", "x\n2\n")
        try link("alias.csv", to: "2026/01/deep.csv")
        try link("2026/again.csv", to: "01/deep.csv")
        let listing = try list(pattern: "**/*.csv")
        #expect(listing.files.map(\.relativePath) == ["2026/01/deep.csv", "top.csv"])
    }

    @Test func whenOnlyLinksMatchTheFirstLinkInTheStableOrderIsKept() throws {
        try folder.write("landing/data.bin", "x\n1\n")
        try link("z.csv", to: "data.bin")
        try link("m.csv", to: "data.bin")
        #expect(try list(pattern: "*.csv").files.map(\.relativePath) == ["m.csv"])
        try folder.setModified("landing/data.bin", to: now.addingTimeInterval(-60))
        #expect(try list(pattern: "*.csv", order: .modifiedTime).files.map(\.relativePath) == ["m.csv"])
    }

    @Test func hardLinksAreOneFileToo() throws {
        try folder.write("landing/b.csv", "x\n1\n")
        try FileManager.default.linkItem(atPath: folder.url("landing/b.csv"), toPath: folder.url("landing/a.csv"))
        #expect(try list(pattern: "*.csv").files.map(\.relativePath) == ["a.csv"])
    }

    @Test func distinctFilesWithTheSameContentAreNotMerged() throws {
        try folder.write("landing/a.csv", "x\n1\n")
        try folder.write("landing/b.csv", "x\n1\n")
        #expect(try list(pattern: "*.csv").files.map(\.relativePath) == ["a.csv", "b.csv"])
    }
}
