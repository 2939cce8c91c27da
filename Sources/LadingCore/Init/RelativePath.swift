import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// A path written relative to the config file's folder, as SPEC §3 reads it, so a
/// project folder can be moved or cloned with its config. Both paths are absolute and
/// normalized (`Paths.absolute`); when they share nothing but `/`, the absolute path
/// is clearer than a chain of `../`.
enum RelativePath {
    static func from(_ base: String, to target: String) -> String {
        let baseParts = base.split(separator: "/")
        let targetParts = target.split(separator: "/")
        var shared = 0
        while shared < min(baseParts.count, targetParts.count) && baseParts[shared] == targetParts[shared] { shared += 1 }
        if shared == 0 { return target }
        let up = Array(repeating: "..", count: baseParts.count - shared)
        let down = targetParts[shared...].map(String.init)
        let parts = up + down
        if parts.isEmpty { return "." }
        return up.isEmpty ? "./" + parts.joined(separator: "/") : parts.joined(separator: "/")
    }
}
