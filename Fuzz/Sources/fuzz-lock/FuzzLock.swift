import Foundation
import FuzzSupport
import LadingSupport
@testable import LadingStore

/// The lock file's JSON (`LockInfo.decode`, read by every run, `status` and
/// `force-unlock`): whatever a crashed writer, a full disk or an operator left there.
/// Properties: decoding gives a `LockInfo` or nil (an unreadable lock), never a crash;
/// a decoded lock encodes and decodes to itself; its staleness and description work
/// for any content (any pid, any `timeout_at` text, any host).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLock(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = FuzzInput(data, size).bytes
    guard let info = LockInfo.decode(Data(bytes)) else { return 0 }
    let again = LockInfo.decode(info.encoded())
    require(again == info, "lock \(info) does not survive encoding: \(String(describing: again))")
    let process = FakeProcess(hostname: info.hostname.isEmpty ? "other" : info.hostname)
    _ = info.staleReason(now: Date(timeIntervalSince1970: 1_800_000_000), process: process)
    _ = info.staleReason(now: Date(timeIntervalSince1970: 0), process: FakeProcess(hostname: "elsewhere"))
    require(!info.holderDescription.isEmpty, "empty holder description")
    return 0
}

/// A process table where nothing but our own pid runs, on a chosen host.
private struct FakeProcess: ProcessIdentity {
    var hostname: String
    var processID: Int32 { 1 }
    func isAlive(_ pid: Int32) -> Bool { pid == 1 }
}
