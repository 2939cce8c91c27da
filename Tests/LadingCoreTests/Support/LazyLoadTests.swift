import CLazyLoad
import Testing
@testable import LadingSupport

/// The system libraries lading loads on first use (CLazyLoad): a missing library or
/// function is a message naming it and the way out, never a crash at start-up.
@Suite struct LazyLoadTests {
    @Test func aMissingLibraryNamesItselfItsReasonAndTheHint() {
        var message = [CChar](repeating: 0, count: 512)
        let library = lading_lazy_open("liblading-absent.so.9", "Testing", "Install it (apt-get install nothing)", &message, message.count)
        #expect(library == nil)
        let text = String(cString: message)
        #expect(text.hasPrefix("Testing needs liblading-absent.so.9, which could not be loaded: "))
        #expect(text.contains("liblading-absent.so.9: cannot open shared object file"))
        #expect(text.hasSuffix(". Install it (apt-get install nothing)"))
    }

    @Test func aMissingFunctionIsNamed() throws {
        var message = [CChar](repeating: 0, count: 512)
        let library = try #require(lading_lazy_open("libz.so.1", "Testing", "", &message, message.count))
        #expect(lading_lazy_symbol(library, "libz.so.1", "inflate", "hint", &message, message.count) != nil)
        #expect(lading_lazy_symbol(library, "libz.so.1", "lading_no_such_function", "install a newer zlib", &message, message.count) == nil)
        #expect(String(cString: message) == "the libz.so.1 found has no lading_no_such_function: install a newer zlib")
    }

    /// libcrypto is not linked: the first hasher loads it, and the digest is OpenSSL's.
    @Test func theFirstHasherLoadsLibcrypto() throws {
        let hasher = try SHA256Hasher()
        try hasher.update(Array("abc".utf8))
        #expect(try hasher.finalize() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
