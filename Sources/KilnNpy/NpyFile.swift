// NpyFile.swift: reading and writing NumPy .npy files (format 1.0, 2.0, 3.0), with atomic writes.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KilnNumerics

/// Reads and writes the NumPy .npy format: the magic `\x93NUMPY`, a version byte pair, the header
/// length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), the header (a Python dict literal;
/// latin-1 in 1.0/2.0, UTF-8 in 3.0), then the elements. Kiln reads little-endian data in C order,
/// and converts Fortran-order arrays to C order; anything else is a clear error naming the file.
public enum NpyFile {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads the .npy file at `path`: its prefix and header first (`decodeHead`, every check `decode` makes),
    /// then the data straight into the array's own storage, so a large file is copied once.
    public static func read(path: String) throws(NpyError) -> NpyArray {
        guard let handle = fopen(path, "rb") else {
            throw NpyError(path: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }
        var status = stat()
        guard fstat(fileno(handle), &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            return try decode(try readAll(handle, path: path), path: path)   // a pipe or device: read to its end
        }
        let fileSize = Int(status.st_size)
        var head = try readExactly(handle, count: min(fileSize, 4096), path: path)
        if let end = headerEnd(head), end > head.count, end <= fileSize {
            head += try readExactly(handle, count: end - head.count, path: path)
        }
        let (header, encoding, dataOffset) = try decodeHead(head, fileSize: fileSize, path: path)
        guard fseeko(handle, off_t(dataOffset), SEEK_SET) == 0 else {
            throw NpyError(path: path, "cannot read: \(String(cString: strerror(errno)))")
        }
        var data = try readExactly(handle, count: fileSize - dataOffset, path: path)
        if header.fortranOrder && header.shape.count > 1 {
            data = fortranToC(data, shape: header.shape, elementSize: encoding.byteSize)
        }
        return NpyArray(shape: header.shape, encoding: encoding, data: data)
    }

    /// The element encoding of the .npy file at `path`, from its prefix and header alone.
    public static func readEncoding(path: String) throws(NpyError) -> NpyElementEncoding {
        guard let handle = fopen(path, "rb") else {
            throw NpyError(path: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }
        var status = stat()
        guard fstat(fileno(handle), &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw NpyError(path: path, "not a regular file")
        }
        let fileSize = Int(status.st_size)
        var head = try readExactly(handle, count: min(fileSize, 4096), path: path)
        if let end = headerEnd(head), end > head.count, end <= fileSize {
            head += try readExactly(handle, count: end - head.count, path: path)
        }
        return try decodeHead(head, fileSize: fileSize, path: path).1
    }

    /// Decodes the bytes of a .npy file; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(NpyError) -> NpyArray {
        let (header, encoding, dataOffset) = try decodeHead(bytes, fileSize: bytes.count, path: path)
        var data = Array(bytes[dataOffset...])
        if header.fortranOrder && header.shape.count > 1 {
            data = fortranToC(data, shape: header.shape, elementSize: encoding.byteSize)
        }
        return NpyArray(shape: header.shape, encoding: encoding, data: data)
    }

    /// Where the header ends (prefix + header length), once the prefix is there and valid.
    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic, (1...3).contains(bytes[6]) else { return nil }
        let lengthSize = bytes[6] == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthSize else { return nil }
        var headerLength = 0
        for index in 0..<lengthSize { headerLength |= Int(bytes[8 + index]) << (8 * index) }
        return 8 + lengthSize + headerLength
    }

    /// Checks the prefix and header of a file of `fileSize` bytes whose first bytes are `bytes` (at least the
    /// prefix and header, when the file has them); returns the header, the element encoding and where the
    /// data starts.
    static func decodeHead(_ bytes: [UInt8], fileSize: Int,
                           path: String) throws(NpyError) -> (NpyHeader, NpyElementEncoding, dataOffset: Int) {
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic else {
            throw NpyError(path: path, "not a .npy file: it does not start with the magic string \\x93NUMPY")
        }
        let (major, minor) = (bytes[6], bytes[7])
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: throw NpyError(path: path, "unsupported .npy format version \(major).\(minor) (Kiln reads 1.0, 2.0 and 3.0)")
        }
        let prefix = 8 + lengthSize
        guard bytes.count >= prefix, fileSize >= prefix else { throw NpyError(path: path, "truncated: the file ends inside the header length") }
        var headerLength = 0
        for index in 0..<lengthSize { headerLength |= Int(bytes[8 + index]) << (8 * index) }
        guard fileSize - prefix >= headerLength, bytes.count - prefix >= headerLength else {
            throw NpyError(path: path, "truncated: the header says it is \(headerLength) bytes but the file has \(fileSize - prefix) after the prefix")
        }
        let headerBytes = Array(bytes[prefix..<prefix + headerLength])
        if major < 3, headerBytes.contains(where: { $0 >= 0x80 }) {
            throw NpyError(path: path, "the header of a version \(major).0 file must be ASCII")
        }
        let header: NpyHeader
        do {
            header = try NpyHeaderParser.parse(headerBytes)
        } catch {
            let at = error.offset.map { " at header byte \($0)" } ?? ""
            throw NpyError(path: path, "bad header dictionary\(at): \(error.message)")
        }
        guard let encoding = NpyElementEncoding(descr: header.descr) else {
            throw NpyError(path: path, unsupportedDescrMessage(header.descr))
        }
        guard let count = elementCount(header.shape),
              case (let byteCount, false) = count.multipliedReportingOverflow(by: encoding.byteSize)
        else { throw NpyError(path: path, "shape \(header.shape) is too large") }
        let dataSize = fileSize - prefix - headerLength
        guard dataSize == byteCount else {
            let shape = "(\(header.shape.map(String.init).joined(separator: ", ")))"
            throw NpyError(path: path, "size mismatch: shape \(shape) of '\(header.descr)' needs \(byteCount) bytes of data, the file has \(dataSize)")
        }
        return (header, encoding, prefix + headerLength)
    }

    /// The bytes of a .npy file holding `array`: version 1.0 when the header fits in 65535 bytes,
    /// 2.0 otherwise; the header is padded with spaces and a newline so the data starts at a
    /// multiple of 64 bytes, as numpy does.
    public static func encode(_ array: NpyArray) -> [UInt8] {
        encodeHead(array) + array.data
    }

    /// The prefix and padded header of `encode`, without the data.
    static func encodeHead(_ array: NpyArray) -> [UInt8] {
        let text = Array(NpyHeader(descr: array.encoding.descr, fortranOrder: false, shape: array.shape).text.utf8)
        for (major, lengthSize) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let unpadded = 8 + lengthSize + text.count + 1
            let padded = (unpadded + 63) / 64 * 64
            let headerLength = padded - 8 - lengthSize
            if lengthSize == 2 && headerLength > 0xFFFF { continue }
            var bytes = magic + [major, 0]
            for index in 0..<lengthSize { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * index))) }
            bytes += text
            bytes += Array(repeating: UInt8(ascii: " "), count: padded - unpadded)
            bytes.append(UInt8(ascii: "\n"))
            return bytes
        }
        return []   // unreachable: a 4-byte length holds any header Kiln makes
    }

    /// Writes `array` to `path` atomically: into a temporary file in the same directory, then
    /// renamed over `path`, so a reader never sees a half-written file; on failure the temporary
    /// file is removed and `path` is untouched.
    public static func write(_ array: NpyArray, path: String) throws(NpyError) {
        let head = encodeHead(array)
        let temporary = "\(path).tmp-\(getpid())"
        guard let handle = fopen(temporary, "wb") else {
            throw NpyError(path: path, "cannot create '\(temporary)': \(String(cString: strerror(errno)))")
        }
        let written = head.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, handle) }
            + array.data.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, handle) }
        let flushed = fflush(handle) == 0
        let reason = String(cString: strerror(errno))
        fclose(handle)
        guard written == head.count + array.data.count, flushed else {
            unlink(temporary)
            throw NpyError(path: path, "cannot write: \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw NpyError(path: path, "cannot write: \(reason)")
        }
    }

    /// `count` bytes from the current position; fewer only at the end of the file.
    static func readExactly(_ handle: UnsafeMutablePointer<FILE>, count: Int, path: String) throws(NpyError) -> [UInt8] {
        guard count > 0 else { return [] }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            HugePageArray.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            initialized = fread(buffer.baseAddress, 1, count, handle)
            failed = ferror(handle) != 0
        }
        if failed { throw NpyError(path: path, "cannot read: \(String(cString: strerror(errno)))") }
        return bytes
    }

    /// Everything up to the end of a stream whose size is not known in advance.
    static func readAll(_ handle: UnsafeMutablePointer<FILE>, path: String) throws(NpyError) -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let chunk = try readExactly(handle, count: 1 << 16, path: path)
            bytes += chunk
            if chunk.count < 1 << 16 { return bytes }
        }
    }

    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dim in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// Reorders elements from Fortran (column-major) order to C (row-major) order.
    static func fortranToC(_ data: [UInt8], shape: [Int], elementSize: Int) -> [UInt8] {
        let count = data.count / elementSize
        var result = [UInt8](repeating: 0, count: data.count)
        var fortranStrides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropFirst() { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        for cIndex in 0..<count {
            var source = 0
            for axis in shape.indices { source += index[axis] * fortranStrides[axis] }
            for byte in 0..<elementSize { result[cIndex * elementSize + byte] = data[source * elementSize + byte] }
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    static func unsupportedDescrMessage(_ descr: String) -> String {
        if descr.first == ">" {
            return "big-endian data ('\(descr)') is not supported; save it little-endian, e.g. a.astype(a.dtype.newbyteorder('<'))"
        }
        return "unsupported dtype '\(descr)'; Kiln reads '<f4', '<f2', '<f8', '<i4', '<i8', '|b1', and raw bits '<u2'/'<V2' (bf16, f16) or '|u1'/'<V1' (fp8)"
    }
}
