// Driver+Generics.swift: dtype parameters in the driver: dtypes of --input files, and `check` of every instantiation.

import KilnInterp
import KilnMachine
import KilnNpy
import KilnSema
import KilnSource

extension Driver {
    /// The dtype each `--input` file holds, by parameter name, read from its header only (a file that cannot
    /// be read is left out: reading it for the run reports why). `<f4`/`<f8` are f32, `<f2` f16, 2-byte patterns
    /// (`<u2`, ml_dtypes' `<V2`) bf16, integers i32, `|b1` bool; 1-byte patterns could be either fp8 and bind nothing.
    public static func inputDTypes(_ options: RunInputOptions) -> [String: DType] {
        var dtypes: [String: DType] = [:]
        for (name, path) in options.files {
            guard let encoding = try? NpyFile.readEncoding(path: path) else { continue }
            switch encoding {
            case .float32, .float64: dtypes[name] = .f32
            case .float16: dtypes[name] = .f16
            case .bits16: dtypes[name] = .bf16
            case .int32, .int64: dtypes[name] = .i32
            case .bool: dtypes[name] = .bool
            case .bits8: break
            }
        }
        return dtypes
    }

    /// `kiln check`: the front end with every kernel dtype parameter that nothing binds checked at each dtype of
    /// its bound in turn (so a generic kernel passes only if every instantiation does), each distinct diagnostic
    /// reported once; one that only some instantiations report gets a note naming the dtypes (`with T = bf16`).
    /// Returns the first instantiation's result with all the diagnostics.
    public static func checkEveryInstantiation(_ source: SourceFile, dtypes: [String: DType] = [:]) -> FrontEndResult {
        var result = runFrontEnd(source, dtypes: dtypes, unbound: .member(0))
        let count = Generics.unboundInstantiationCount(result.syntax, flags: dtypes)
        guard count > 1 else { return result }
        let runs = [result.diagnostics] + (1..<count).map { runFrontEnd(source, dtypes: dtypes, unbound: .member($0)).diagnostics }
        var all = DiagnosticBag()
        for (index, run) in runs.enumerated() {
            for diagnostic in run.diagnostics {
                var reported = diagnostic
                if !runs.allSatisfy({ $0.diagnostics.contains(diagnostic) }) {
                    reported.notes += Generics.instantiationNotes(result.syntax, flags: dtypes, index: index,
                                                                  for: diagnostic.span)
                }
                all.report(reported)
            }
        }
        all.removeDuplicates()
        result.diagnostics = all
        return result
    }
}
