// GenericKernelTests.swift: dtype parameters through the front end and a run: --dtype, input dtypes, errors, helpers.

import Foundation
import KilnDriver
import KilnInterp
import KilnMachine
import KilnNpy
import KilnSema
import KilnSource
import Testing

private let generic = """
    fn scale<T: float>(x: T[N, D], s: f32) -> T[N, D] {
      return (x * s) as T
    }

    kernel twice<T: float>(x: T[N, D], w: T[D]) -> T[N, D] {
      return ((scale(x, 2.0) as f32) + (w as f32) * 0.0) as T
    }
    """

private func frontEnd(_ text: String, dtypes: [String: DType] = [:], inputs: [String: DType] = [:]) -> FrontEndResult {
    Driver.runFrontEnd(SourceFile(path: "g.kiln", text: text), dtypes: dtypes, inputDTypes: inputs)
}

/// "K2152 5:18 message" for each error, sorted, for readable expectations.
private func errors(_ result: FrontEndResult) -> [String] {
    result.diagnostics.sorted().filter { $0.severity == .error }.map {
        "\($0.id.code) \(result.source.lineColumn(of: $0.span.start)) \($0.message)"
    }
}

private func paramDTypes(_ result: FrontEndResult, _ kernel: String) -> [DType] {
    guard let checked = result.program.kernel(named: kernel) else { return [] }
    return checked.params.map(\.type.dtype) + checked.results.map(\.type.dtype)
}

@Suite struct GenericKernelTests {
    @Test func aDTypeFlagBindsTheKernelsParameterEverywhereItIsWritten() {
        let result = frontEnd(generic, dtypes: ["T": .bf16])
        #expect(errors(result).isEmpty)
        #expect(paramDTypes(result, "twice") == [.bf16, .bf16, .bf16])
        #expect(result.program.kernel(named: "twice")?.syntax.dtypeBindings.map { "\($0.name)=\($0.dtype)" } == ["T=bf16"])
        #expect(paramDTypes(frontEnd(generic, dtypes: ["T": .f16]), "twice") == [.f16, .f16, .f16])
    }

    @Test func inputDTypesBindTheParameterAndAgreeingInputsAreFine() {
        let result = frontEnd(generic, inputs: ["x": .f16, "w": .f16])
        #expect(errors(result).isEmpty)
        #expect(paramDTypes(result, "twice") == [.f16, .f16, .f16])
        // One input is enough; a flag that agrees with it is no conflict.
        #expect(paramDTypes(frontEnd(generic, inputs: ["w": .bf16]), "twice") == [.bf16, .bf16, .bf16])
        #expect(errors(frontEnd(generic, dtypes: ["T": .bf16], inputs: ["x": .bf16])).isEmpty)
    }

    @Test func npyFilesBindTheDTypeOfARun() throws {
        let folder = NSTemporaryDirectory() + "kiln-generic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let one: [UInt8] = [0x00, 0x3C]  // f16 1.0, little-endian
        try NpyFile.write(NpyArray(shape: [2, 4], encoding: .float16, data: Array([[UInt8]](repeating: one, count: 8).joined())),
                          path: folder + "/x.npy")
        try NpyFile.write(NpyArray(shape: [4], encoding: .float16, data: Array([[UInt8]](repeating: one, count: 4).joined())),
                          path: folder + "/w.npy")
        let inputs = RunInputOptions(files: [("x", folder + "/x.npy"), ("w", folder + "/w.npy")])
        #expect(Driver.inputDTypes(inputs) == ["x": .f16, "w": .f16])
        let outcome = Driver.run(SourceFile(path: "g.kiln", text: generic), request: RunRequest(inputs: inputs))
        #expect(!outcome.hasErrors, "\(outcome.renderedDiagnostics())")
        let output = try #require(outcome.outputs?.first?.tensor)
        #expect(output.dtype == .f16 && output.shape == [2, 4] && output.values == Array(repeating: 2.0, count: 8))
    }

    @Test func conflictingBindingsAreLocatedErrors() {
        #expect(errors(frontEnd(generic, dtypes: ["T": .bf16], inputs: ["x": .f32])) == [
            "K2152 5:24 conflicting dtypes for T: --dtype T=bf16 and input 'x' (f32)",
        ])
        #expect(errors(frontEnd(generic, inputs: ["x": .f16, "w": .f32])) == [
            "K2152 5:36 conflicting dtypes for T: input 'x' (f16) and input 'w' (f32)",
        ])
    }

    @Test func anUnboundParameterIsAnErrorForABuildButEveryDTypeForCheck() {
        #expect(errors(frontEnd(generic)) == [
            "K2153 5:14 dtype parameter 'T' of kernel 'twice' is not bound; pass --dtype T=DTYPE, give an input declared with T, or a default in the <...> list",
        ])
        let checked = Driver.checkEveryInstantiation(SourceFile(path: "g.kiln", text: generic))
        #expect(errors(checked).isEmpty)
        // A body that is fine at f32, the bound's first dtype, and wrong at every other: check reports those.
        let narrow = "kernel k<T: float>(x: T[N], y: f32[N]) -> f32[N] { return x + y }"
        #expect(errors(frontEnd(narrow, dtypes: ["T": .f32])).isEmpty)
        let all = Driver.checkEveryInstantiation(SourceFile(path: "n.kiln", text: narrow))
        let reported = errors(all)
        #expect(reported.count == 5 && reported.allSatisfy { $0.hasPrefix("K2030 1:59") })
        #expect(reported.contains { $0.contains("hbm bf16[N] and hbm f32[N]") })
        // Each names the instantiation it comes from, at the dtype parameter.
        let bf16 = all.diagnostics.diagnostics.first { $0.message.contains("hbm bf16[N]") }
        #expect(bf16?.notes.map(\.message) == ["with T = bf16 in kernel 'k' (check tries every dtype of the bound; --dtype T=... checks one)"])
        #expect(bf16?.notes.first?.span.map { all.source.lineColumn(of: $0.start).description } == "1:10")
    }

    @Test func aGenericHelperIsInstantiatedOncePerDTypeItIsCalledAt() {
        let text = """
            fn scale<T: float>(x: T[N], s: f32) -> T[N] {
              return (x * s) as T
            }

            kernel mixed(a: bf16[N], b: f32[N]) -> f32[N] {
              let x = scale(a, 2.0)
              let y = scale(b, 3.0)
              let z = scale(a, 4.0)
              return (x as f32) + y + (z as f32)
            }
            """
        let result = frontEnd(text)
        #expect(errors(result).isEmpty)
        #expect(result.program.functions.map(\.name).sorted() == ["scale<bf16>", "scale<f32>"])
        let outcome = Driver.run(frontEnd(text), request: RunRequest(dims: ["N": 3], inputs: RunInputOptions(randomSeed: 1)))
        #expect(!outcome.hasErrors, "\(outcome.renderedDiagnostics())")
        #expect(outcome.outputs?.first?.tensor.dtype == .f32)
    }

    @Test func theFloatBoundRejectsI32FromAFlagAnInputAndAnArgument() {
        let bound = "(f32, bf16, f16, f8e4m3, f8e4m3fn, f8e5m2)"
        #expect(errors(frontEnd(generic, dtypes: ["T": .i32])) == [
            "K2151 5:14 --dtype T=i32 gives T = i32, but T is bounded by 'float' \(bound)",
        ])
        #expect(errors(frontEnd(generic, inputs: ["x": .i32])) == [
            "K2151 5:24 input 'x' gives T = i32, but T is bounded by 'float' \(bound)",
        ])
        let call = """
            fn scale<T: float>(x: T[N], s: f32) -> T[N] { return (x * s) as T }
            kernel k(a: i32[N]) -> f32[N] { return scale(a, 2.0) as f32 }
            """
        #expect(errors(frontEnd(call)) == [
            "K2151 2:46 argument 'x' gives T = i32, but T is bounded by 'float' \(bound)",
        ])
        #expect(errors(frontEnd(generic.replacingOccurrences(of: "T: float", with: "T: any"), dtypes: ["T": .i32]))
            .allSatisfy { !$0.hasPrefix("K2151") })
    }

    @Test func aDTypeParameterNamedTwiceOrUsedAsADimIsALocatedError() {
        let twice = "kernel k<T: float, T: float>(x: T[N]) -> T[N] { return x }"
        #expect(errors(frontEnd(twice, dtypes: ["T": .f32])) == [
            "K2002 1:20 'T' is already defined as a dtype parameter of kernel 'k'",
        ])
        let asDim = "kernel k<T: float>(x: T[N, T]) -> T[N, T] { return x }"
        #expect(errors(frontEnd(asDim, dtypes: ["T": .f32])) == [
            "K2157 1:28 'T' is a dtype parameter of kernel 'k' and cannot also be a dim in a shape; give the dim another name",
        ])
    }
}
