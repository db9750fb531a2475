// LoweringSupport.swift: helpers for the lowering tests: compile source text or an example to tile IR.

import Foundation
import KilnDriver
import KilnLowering
import KilnSema
import KilnSource
import KilnTileIR
import Testing

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    // Tests/KilnLoweringTests/LoweringSupport.swift, with symlinks resolved (the folder may be linked).
    URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}()

/// Parses, checks, binds dims and lowers; records an issue for front-end errors.
func lowerSource(_ text: String, dims: [String: Int] = [:], path: String = "test.kiln",
                 sourceLocation: SourceLocation = #_sourceLocation) -> (Module?, [Diagnostic]) {
    let source = SourceFile(path: path, text: text)
    let frontEnd = Driver.runFrontEnd(source)
    #expect(!frontEnd.hasErrors, "\(frontEnd.renderedDiagnostics())", sourceLocation: sourceLocation)
    let (bound, bindDiagnostics) = Driver.bindDims(frontEnd, options: CompileOptions(dims: dims))
    #expect(!bindDiagnostics.hasErrors, sourceLocation: sourceLocation)
    let (module, diagnostics) = Driver.lower(frontEnd, bound: bound, options: PipelineOptions())
    return (module, diagnostics.sorted())
}

/// The lowered IR's text (with a recorded issue if lowering failed).
func loweredText(_ text: String, dims: [String: Int] = [:], sourceLocation: SourceLocation = #_sourceLocation) -> String {
    let (module, diagnostics) = lowerSource(text, dims: dims, sourceLocation: sourceLocation)
    #expect(module != nil, "\(diagnostics.map(\.message))", sourceLocation: sourceLocation)
    return module.map { TileIR.print($0) } ?? ""
}

/// print(parse(print(m))) == print(m).
func expectRoundTrip(_ module: Module, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let printed = TileIR.print(module)
    let parsed = TileIR.parse(printed, path: "\(what).tir")
    #expect(parsed.diagnostics.isEmpty, "\(what): \(parsed.diagnostics.map(\.message))", sourceLocation: sourceLocation)
    if let reparsed = parsed.module {
        #expect(TileIR.print(reparsed) == printed, "\(what) does not round-trip", sourceLocation: sourceLocation)
    }
}
