/// Test fault injection for error classes: `LADING_INJECT_ERROR=<kind>:<text>` makes
/// every load attempt of a file whose path contains `<text>` fail with an error of that
/// class, so the retry matrix can be shown for classes the real world only produces
/// with a failing disk. Inert when unset.
package struct InjectedError: LadingError {
    package let kind: ErrorKind
    let file: String

    package var message: String { "\(file): injected \(kind.rawValue) error (LADING_INJECT_ERROR)" }
    package var exitStatus: ExitStatus { .completedWithFailures }

    /// The error to raise for `file`, if the variable asks for one.
    package static func matching(_ file: String, variables: [String: String]) -> InjectedError? {
        guard let spec = variables["LADING_INJECT_ERROR"], let colon = spec.firstIndex(of: ":"),
              let kind = ErrorKind(rawValue: String(spec[..<colon])) else { return nil }
        let text = String(spec[spec.index(after: colon)...])
        return !text.isEmpty && file.contains(text) ? InjectedError(kind: kind, file: file) : nil
    }
}
