import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// What `lading init` found and will write: the tables, and where the config goes.
/// Kept apart from the text so the executable can summarize it and tests can check it.
public struct StarterConfig: Sendable {
    /// Absolute path of the config file to write; relative paths in it are relative to its folder.
    public var outputPath: String
    public var tables: [StarterTable]
    /// The YAML text, comments included; `ConfigLoader` has already read it back.
    public var text: String
}
