import Foundation
import LadingTestSupport
import Testing
@testable import lading
@testable import LadingCore
@testable import LadingConfiguration

/// `lading run` guesses its config and first table from the raw arguments and starts
/// listing before swift-argument-parser has parsed them (`EarlyListing`): the guess
/// reads the options the way the parser does, says nothing when unsure, and is taken
/// only for the config file the parsed options locate.
@Suite struct EarlyListingTests {
    @Test func theScanReadsConfigAndTablesAsTheParserDoes() throws {
        let plain = try #require(EarlyListing.Scan(["run"]))
        #expect(plain.config == nil && plain.tables.isEmpty)
        let full = try #require(EarlyListing.Scan(["run", "--log-level", "error", "--config", "a.yaml", "--table", "t1", "--max-files", "3", "--table=t2"]))
        #expect(full.config == "a.yaml" && full.tables == ["t1", "t2"])
        #expect(EarlyListing.Scan(["run", "--config=b.yaml", "--json"])?.config == "b.yaml")
    }

    @Test(arguments: [[], ["status"], ["plan", "--config", "a.yaml"], ["run", "--help"], ["run", "-h"], ["run", "--dry-run"],
                      ["run", "--config", "a.yaml", "--config", "b.yaml"], ["run", "--config"], ["run", "--", "x"],
                      ["run", "--generate-completion-script", "bash"]])
    func noGuessWhenTheArgumentsAreNotAPlainRun(arguments: [String]) {
        #expect(EarlyListing.Scan(arguments) == nil)
    }

    @Test func theGuessIsTheConfigAndTheListingOfTheFirstTableTheRunLoads() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["first", "second"])
        for name in ["b.csv", "a.csv", "c.csv"] { try workspace.write("landing/second/" + name, "id\n1\n") }
        try workspace.write("landing/first/z.csv", "id\n1\n")
        let config = workspace.url("lading.yaml")
        let early = try #require(EarlyListing.start(arguments: ["run", "--table", "second", "--config", "lading.yaml"], environment: [:],
                                                    currentDirectory: workspace.path))
        #expect(early.take(configPath: workspace.url("other.yaml")) == nil, "another config file is not the guessed one")
        let taken = try #require(early.take(configPath: config))
        #expect(taken.config.tables.map(\.name) == ["first", "second"])
        let listing = try #require(taken.listing)
        #expect(listing.table == "second")
        #expect(try listing.listing().files.map(\.relativePath) == ["a.csv", "b.csv", "c.csv"])
    }

    @Test func aConfigThatDoesNotLoadIsLeftToTheRunToReport() throws {
        let workspace = try Workspace()
        try workspace.write("lading.yaml", "tables: [")
        let early = try #require(EarlyListing.start(arguments: ["run"], environment: [:], currentDirectory: workspace.path))
        #expect(early.take(configPath: workspace.url("lading.yaml")) == nil)
        let run = try CLI.run(["run"], in: workspace.path)
        #expect(run.status == 78, "\(run.stderr)")
    }

    /// `LADING_CONFIG` and `--table` as the parser reads them: the run loads what it
    /// was asked, whatever the guess found.
    @Test func runsWithTheConfigFromTheEnvironmentAndOneTable() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["first", "second"])
        try FileManager.default.moveItem(atPath: workspace.url("lading.yaml"), toPath: workspace.url("night.yaml"))
        try workspace.write("landing/first/a.csv", "id\n1\n")
        try workspace.write("landing/second/a.csv", "id\n2\n")
        let run = try CLI.run(["run", "--table", "second"], in: workspace.path, environment: ["LADING_CONFIG": "night.yaml"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM second") == ["2"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM sqlite_master WHERE name = 'first'") == ["0"])
    }
}
