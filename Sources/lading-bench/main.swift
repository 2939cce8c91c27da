import Foundation
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Measurement helper for `make bench`: runs one stage of lading in isolation (parsing,
/// hashing) so the benchmark can say where the time goes. Not installed, not a product.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else {
    FileHandle.standardError.write(Data("usage: lading-bench read FILE [csv|tsv|jsonl] | hash FILE...\n".utf8))
    exit(64)
}

func table(format: TableConfig.Format?) throws -> TableConfig {
    var table = try ConfigLoader.parse(yaml: "tables:\n  - table_name: bench\n    source_path: /\n", path: "/tmp/bench.yaml").tables[0]
    table.format = format
    return table
}

do {
    switch mode {
    case "read":
        let path = arguments[1]
        let format = arguments.count > 2 ? TableConfig.Format(rawValue: arguments[2]) : nil
        let started = Date()
        let reader = try ReaderFactory.open(path: path, table: try table(format: format), maxRecordBytes: 64 << 20)
        var records = 0, bad = 0, fieldBytes = 0
        loop: while true {
            switch try reader.next() {
            case .end: break loop
            case .bad: bad += 1
            case .record:
                records += 1
                for index in 0..<reader.fieldCount { fieldBytes &+= reader.field(index)?.count ?? 0 }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("records=\(records) bad=\(bad) field_bytes=\(fieldBytes) seconds=\(seconds)")
    case "hash":
        let started = Date()
        var bytes: Int64 = 0
        for path in arguments.dropFirst() {
            _ = try FileHasher.sha256(path: path)
            bytes += Int64((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
        print("bytes=\(bytes) seconds=\(Date().timeIntervalSince(started))")
    default:
        FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("lading-bench: \(error)\n".utf8))
    exit(1)
}
