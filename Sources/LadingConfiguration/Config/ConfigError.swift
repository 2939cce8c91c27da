import LadingSupport

/// A configuration problem (exit 78). The message names the file, the key path
/// (`tables[1].loading_strategy`) and, when the YAML gives one, the line, so the
/// operator can go straight to it.
public struct ConfigError: LadingError {
    public let file: String
    public let keyPath: String?
    public let line: Int?
    public let reason: String

    public init(file: String, keyPath: String? = nil, line: Int? = nil, reason: String) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.reason = reason
    }

    public var message: String {
        var location = "configuration error in \(file)"
        if let line { location += ", line \(line)" }
        if let keyPath, !keyPath.isEmpty { location += ", key \(keyPath)" }
        return location + ": " + reason
    }

    public var exitStatus: ExitStatus { .configuration }
    public var kind: ErrorKind { .configuration }
}
