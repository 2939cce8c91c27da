import CZlib
import FuzzSupport
import LadingReaders

/// The gzip byte source (a decoder any parser sits on). The first byte chooses a mode:
/// - raw: the input itself as a .gz file. It must decode or throw a `ReaderError`
///   (not gzip, truncated, corrupt), never crash, read past a buffer or hang; output is
///   read in uneven pieces and capped (a small input may inflate hugely);
/// - round trip: the input is compressed with zlib into one or two gzip members (the
///   second from a split point; `cat a.gz b.gz`), optionally cut short. Whole, it must
///   decode to exactly the input; cut anywhere before its end (except exactly between
///   the members, which leaves a complete file), it must throw `truncatedGzip` (never a
///   partial success, SPEC: nothing of a truncated file loads).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    let outputStep = 1 + input.int(below: 5000)
    let inputStep = 1 + input.int(below: 300)
    if mode & 1 == 0 {
        let file = input.rest
        switch decode(file, inputStep: inputStep, outputStep: outputStep, cap: 4 << 20) {
        case .success, .failure(.notGzip), .failure(.truncatedGzip), .failure(.corruptGzip):
            break
        case .failure(let error):
            require(false, "unexpected error \(error)")
        }
        if file.count >= 2 && (file[0] != 0x1F || file[1] != 0x8B) {
            if case .failure(.notGzip) = decode(file, inputStep: inputStep, outputStep: outputStep, cap: 1 << 20) {} else {
                require(false, "a file without the gzip signature was not refused as not gzip")
            }
        }
        return 0
    }
    let split = input.int(below: 1 << 16)
    let cutChoice = input.int(below: 1 << 16)
    let level = Int32(input.int(below: 10))
    let payload = input.rest
    var compressed = gzip(Array(payload.prefix(split)), level: level)
    let firstMember = compressed.count
    if mode & 2 == 2 { compressed += gzip(Array(payload.dropFirst(split)), level: level) }
    let expected = mode & 2 == 2 ? payload : Array(payload.prefix(split))
    if mode & 4 == 4 && !compressed.isEmpty {
        let cut = cutChoice % compressed.count
        let result = decode(Array(compressed.prefix(cut)), inputStep: inputStep, outputStep: outputStep, cap: 1 << 22)
        switch result {
        case .failure(.truncatedGzip): break
        case .failure(.notGzip) where cut < 2: break
        case .success(let bytes) where cut == firstMember:
            // Cut exactly after the first member: a complete gzip file of its own.
            require(bytes == Array(payload.prefix(split)), "the first member alone decoded to \(bytes.count) bytes")
        default: require(false, "gzip cut at \(cut) of \(compressed.count) bytes gave \(result), not a truncation error")
        }
    } else {
        let result = decode(compressed, inputStep: inputStep, outputStep: outputStep, cap: 1 << 22)
        guard case .success(let bytes) = result else { require(false, "valid gzip failed: \(result)"); return 0 }
        require(bytes == expected, "decoded \(bytes.count) bytes, compressed \(expected.count)")
    }
    return 0
}

private func decode(_ file: [UInt8], inputStep: Int, outputStep: Int, cap: Int) -> Result<[UInt8], ReaderError> {
    do {
        let source = try GzipByteSource(input: MemoryByteSource(file, step: inputStep), path: "fuzz.gz", bufferSize: 4096)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: outputStep)
        while out.count < cap {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            require(count <= outputStep, "read returned \(count) for a \(outputStep)-byte buffer")
            if count == 0 { break }
            out += buffer[0..<count]
        }
        return .success(out)
    } catch let error as ReaderError {
        return .failure(error)
    } catch {
        require(false, "unexpected error type \(error)")
        return .success([])
    }
}

/// One gzip member, written by zlib itself (the format `gzip` writes).
private func gzip(_ bytes: [UInt8], level: Int32) -> [UInt8] {
    var stream = z_stream()
    require(deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK, "deflateInit2")
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
    let written: Int = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            let code = deflate(&stream, Z_FINISH)
            require(code == Z_STREAM_END, "deflate returned \(code)")
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output.prefix(written))
}
