// TileIR.swift: the tile IR's front door: print, parse and verify in one place.

import KilnMachine
import KilnSource

/// Entry points for tools: `TileIR.print(module)`, `TileIR.parse(file)`, `TileIR.verify(module, target:)`.
public enum TileIR {
    /// The module's text; with the kernel source at hand, locations also show line:col.
    public static func print(_ module: Module, kernelSource: SourceFile? = nil) -> String {
        TileIRPrinter(kernelSource: kernelSource).print(module)
    }

    /// Parses IR text; diagnostics are located in `file`.
    public static func parse(_ file: SourceFile) -> TileIRParseResult {
        TileIRParser.parse(file)
    }

    /// Parses IR text given as a string (for tests and embedders).
    public static func parse(_ text: String, path: String = "<tile-ir>") -> TileIRParseResult {
        TileIRParser.parse(SourceFile(path: path, text: text))
    }

    /// Structural and machine checks against `target`.
    public static func verify(_ module: Module, target: MachineTarget) -> [Diagnostic] {
        TileIRVerifier(target: target).verify(module)
    }

    /// Checks against the module's own target; an unknown target name is itself reported.
    public static func verify(_ module: Module) -> [Diagnostic] {
        guard let target = MachineTarget.named(module.target) else {
            return [DiagnosticCatalogue.tileIRUnknownTarget(module.target, known: MachineTarget.allNames, at: .unknown)]
        }
        return verify(module, target: target)
    }
}
