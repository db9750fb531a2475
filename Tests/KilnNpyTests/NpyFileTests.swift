// NpyFileTests.swift: reading numpy's files, writing files numpy's way, and a clear error for every malformed file.

import Foundation
import Testing

@testable import KilnNpy
import KilnNumerics

private func floats(_ array: NpyArray) -> [Float] {
    (0..<array.count).map { Float(bitPattern: UInt32(truncatingIfNeeded: array.rawElement($0))) }
}

@Test func readsNumpyFilesOfEveryVersion() throws {
    let matrix = try NpyFile.decode(NumpyFixtures.float32Matrix, path: "m.npy")
    #expect(matrix.shape == [2, 3] && matrix.encoding == .float32)
    #expect(floats(matrix) == [1.5, -2, 3.25, 0, 4, -0.5])
    let half = try NpyFile.decode(NumpyFixtures.float16Version2, path: "h.npy")
    #expect(half.shape == [2] && half.encoding == .float16 && half.rawElement(0) == 0x3C00 && half.rawElement(1) == 0x4000)
    let flags = try NpyFile.decode(NumpyFixtures.boolVersion3, path: "b.npy")
    #expect(flags.encoding == .bool && flags.data == [1, 0, 1])
    let scalar = try NpyFile.decode(NumpyFixtures.scalarFloat64, path: "s.npy")
    #expect(scalar.shape == [] && scalar.count == 1 && Double(bitPattern: scalar.rawElement(0)) == 7)
}

@Test func convertsFortranOrderToCOrder() throws {
    let array = try NpyFile.decode(NumpyFixtures.fortranInt32, path: "f.npy")
    #expect(array.shape == [2, 3])
    #expect((0..<6).map { array.rawElement($0) } == [0, 1, 2, 3, 4, 5])
}

@Test func writesExactlyWhatNumpyWrites() throws {
    let matrix = try NpyFile.decode(NumpyFixtures.float32Matrix, path: "m.npy")
    #expect(NpyFile.encode(matrix) == NumpyFixtures.float32Matrix)
    let flags = try NpyFile.decode(NumpyFixtures.boolVersion3, path: "b.npy")
    let encoded = NpyFile.encode(flags)
    #expect(encoded.count % 64 == 3 && encoded[6] == 1)   // version 1.0, data after a 64-byte aligned header
    #expect(try NpyFile.decode(encoded, path: "b.npy") == flags)
}

@Test func writesAtomicallyAndReadsBack() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-npy-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("out.npy").path
    let array = NpyArray(shape: [3, 1], encoding: .bits16, data: [0x80, 0x3F, 0, 0x40, 0x40, 0x40])
    try NpyFile.write(array, path: path)
    #expect(try NpyFile.read(path: path) == array)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.npy"])
    #expect(throws: NpyError.self) { try NpyFile.write(array, path: directory.appendingPathComponent("no/such/dir.npy").path) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.npy"])
    #expect(throws: NpyError(path: "/no/such.npy", "cannot open: No such file or directory")) {
        try NpyFile.read(path: "/no/such.npy")
    }
}

/// Replaces the header of a valid file with `header` (re-padded), keeping the data.
private func withHeader(_ header: String, data: [UInt8] = [0, 0, 0x80, 0x3F]) -> [UInt8] {
    var text = Array(header.utf8) + [UInt8(ascii: "\n")]
    while (10 + text.count) % 64 != 0 { text.insert(UInt8(ascii: " "), at: text.count - 1) }
    return NpyFile.magic + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
}

@Test(arguments: [
    (Array("PK\u{3}\u{4}not numpy".utf8), "does not start with the magic"),
    (NpyFile.magic + [1, 0, 0x40], "ends inside the header length"),
    (NpyFile.magic + [1, 0, 0x76, 0x00, 0x7B], "truncated: the header says it is 118 bytes"),
    (NpyFile.magic + [4, 0, 0, 0], "unsupported .npy format version 4.0"),
    (withHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }"), "big-endian data ('>f4')"),
    (withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"), "unsupported dtype '<c8'"),
    (withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), "structured dtypes"),
    (withHeader("{'descr': '<f4', 'shape': (1,), }"), "lacks 'fortran_order'"),
    (withHeader("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }"), "bad header dictionary at header byte 34"),
    (withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}"), "unexpected key 'extra'"),
    (withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), "needs 8 bytes of data, the file has 4"),
    (withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"), "is too large"),
    (withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), "expected a non-negative integer"),
    (withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk"), "unexpected text after"),
])
func malformedFilesGetClearErrors(bytes: [UInt8], expected: String) {
    do {
        let array = try NpyFile.decode(bytes, path: "bad.npy")
        Issue.record("read \(array.shape) instead of failing with '\(expected)'")
    } catch {
        #expect(error.path == "bad.npy")
        #expect(error.message.contains(expected), "\(error.message)")
    }
}

@Test func mutatedFilesFailCleanlyOrReadConsistently() {
    let seeds = [NumpyFixtures.float32Matrix, NumpyFixtures.fortranInt32, NumpyFixtures.float16Version2,
                 NumpyFixtures.boolVersion3, NumpyFixtures.scalarFloat64]
    var state: UInt64 = 0x1234_5678
    func draw(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(bound))
    }
    var (errors, reads) = (0, 0)
    for round in 0..<5000 {
        var bytes = seeds[round % seeds.count]
        for _ in 0...draw(3) {
            switch draw(4) {
            case 0: bytes[draw(bytes.count)] = UInt8(draw(256))                     // flip a byte
            case 1: bytes.removeLast(min(bytes.count - 1, draw(40) + 1))            // truncate
            case 2: bytes.insert(UInt8(draw(256)), at: draw(bytes.count))           // insert a byte
            default: bytes[draw(min(bytes.count, 12))] = UInt8(draw(256))           // damage the prefix
            }
        }
        do {
            let array = try NpyFile.decode(bytes, path: "fuzz.npy")
            reads += 1
            #expect(array.data.count == array.count * array.encoding.byteSize)
            #expect(try NpyFile.decode(NpyFile.encode(array), path: "again.npy") == array)
        } catch {
            errors += 1
            #expect(error.path == "fuzz.npy" && !error.message.isEmpty)
        }
    }
    #expect(errors > 1000 && reads > 50, "errors \(errors), reads \(reads)")
}

@Test func tensorsEncodeAsTheirStoredBits() throws {
    let bf16 = try #require(Tensor(dtype: .bf16, shape: [2], values: [1, -2]))
    #expect(NpyArray(bf16) == NpyArray(shape: [2], encoding: .bits16, data: [0x80, 0x3F, 0x00, 0xC0]))
    let e4m3 = try #require(Tensor(dtype: .f8e4m3, shape: [1, 1], values: [240]))
    #expect(NpyArray(e4m3).data == [0x77] && NpyArray(e4m3).encoding.descr == "|u1")
    let e4m3fn = try #require(Tensor(dtype: .f8e4m3fn, shape: [2], values: [448, -.nan]))
    #expect(NpyArray(e4m3fn).data == [0x7E, 0xFF] && NpyArray(e4m3fn).encoding.descr == "|u1")
    let ints = try #require(Tensor(dtype: .i32, shape: [], values: [-1]))
    #expect(NpyArray(ints).data == [0xFF, 0xFF, 0xFF, 0xFF] && NpyArray(ints).shape == [])
}
