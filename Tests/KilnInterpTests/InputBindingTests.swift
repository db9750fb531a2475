// InputBindingTests.swift: --input files, dtype conversion rules, --scalar, --random and their errors.

import Foundation
import KilnInterp
import KilnMachine
import KilnNpy
import KilnNumerics
import Testing

private func writeNpy(_ array: NpyArray, _ name: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-interp-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try NpyFile.write(array, path: path)
    return path
}

private func float32Array(_ shape: [Int], _ values: [Float]) -> NpyArray {
    NpyArray(shape: shape, encoding: .float32,
             data: values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } })
}

private let bf16Kernel = "kernel k<N>(x: bf16[N, 2]) -> bf16[N, 2] { return x * 2.0 }"

@Test func inputShapesBindDimsAndWiderFloatsAreRoundedWithANote() throws {
    let path = try writeNpy(float32Array([3, 2], [1, 1.00390625, 1.01171875, 2, 3, 4]), "wide.npy")
    let out = try InterpTest.run(bf16Kernel, options: RunInputOptions(files: [("x", path)]))
    // 1 + 2^-8 is a tie: to even (1.0); 1 + 3 * 2^-8 rounds up to 1 + 2^-6.
    #expect(out["out"]?.shape == [3, 2])
    #expect(out["out"]?.values == [2, 2, 2.03125, 4, 6, 8])
}

@Test func strictDTypesRejectsAConversion() throws {
    let path = try writeNpy(float32Array([1, 2], [1, 2]), "strict.npy")
    do {
        _ = try InterpTest.run(bf16Kernel, options: RunInputOptions(files: [("x", path)], strictDTypes: true))
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("input 'x' holds f32 data ('<f4') but the parameter is bf16: --strict-dtypes requires the exact dtype [K4504]"))
    }
}

@Test func rawBitsAreReadAsTheParametersType() throws {
    let path = try writeNpy(NpyArray(shape: [1, 2], encoding: .bits16, data: [0x80, 0x3F, 0xC0, 0xBF]), "bits.npy")
    let out = try InterpTest.run(bf16Kernel, options: RunInputOptions(files: [("x", path)], strictDTypes: true))
    #expect(out["out"]?.values == [2, -3])
}

@Test(arguments: [
    (RunInputOptions(), "no input for parameter 'x' (bf16[N, 2]); pass --input x=FILE.npy or --random SEED [K4502]"),
    (RunInputOptions(files: [("y", "/dev/null")], randomSeed: 1),
     "--input names 'y', which is not a parameter of kernel 'k'; its parameters are 'x' [K4501]"),
    (RunInputOptions(files: [("x", "/no/such.npy")]), "input 'x': /no/such.npy: cannot open: No such file or directory [K4500]"),
])
func bindingErrorsNameTheParameter(options: RunInputOptions, expected: String) throws {
    do {
        _ = try InterpTest.run(bf16Kernel, dims: ["N": 2], options: options)
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains(expected), "\(error)")
    }
}

@Test func shapeMismatchNamesTheParameterAndBothSizes() throws {
    let path = try writeNpy(float32Array([2, 3], [1, 2, 3, 4, 5, 6]), "shape.npy")
    do {
        _ = try InterpTest.run(bf16Kernel, options: RunInputOptions(files: [("x", path)]))
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("'x'"), "\(error)")
        #expect("\(error)".contains("[2, 3]"), "\(error)")
    }
}

@Test func badScalarTextIsAnError() throws {
    let source = "kernel k(x: f32[2], n: i32) -> f32[2] { return x * (n as f32) }"
    do {
        _ = try InterpTest.run(source, options: RunInputOptions(scalars: [("n", "1.5")], randomSeed: 1))
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("--scalar n=1.5: '1.5' is not an integer that fits in i32 [K4505]"))
    }
}

private func int64Array(_ values: [Int64]) -> NpyArray {
    NpyArray(shape: [values.count], encoding: .int64,
             data: values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } })
}

@Test func wideIntegersMustFitInI32() throws {
    let source = "kernel k<N>(n: i32[N]) -> i32[N] { return n + 1 }"
    let fits = try writeNpy(int64Array([-5, 2_147_483_646]), "fits.npy")
    let out = try InterpTest.run(source, options: RunInputOptions(files: [("n", fits)]))
    #expect(out["out"]?.values == [-4, 2_147_483_647])
    let huge = try writeNpy(int64Array([1, 1 << 40]), "huge.npy")
    do {
        _ = try InterpTest.run(source, options: RunInputOptions(files: [("n", huge)]))
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("input 'n' holds 1099511627776, which does not fit in i32 [K4513]"))
    }
    let floats = try writeNpy(float32Array([2], [1, 2]), "floats.npy")
    do {
        _ = try InterpTest.run(source, options: RunInputOptions(files: [("n", floats)]))
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".contains("input 'n' holds '<f4' data but the parameter is i32"))
    }
}
