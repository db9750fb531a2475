// SchedulingTestSupport.swift: samples and helpers for the assign-engines, double-buffer, allocate and schedule tests.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

enum SchedulingSamples {
    /// A 1024^3 bf16 matmul at tile level, as Examples/matmul_tiled.kiln lowers with K = M = N = 1024.
    static let matmul1024 = """
        kiln.module target "trn1" source "Examples/matmul_tiled.kiln" {
          func @matmul_tiled(%a_t: hbm bf16[1024, 1024], %b: hbm bf16[1024, 1024]) -> (%out: hbm f32[1024, 1024]) {
            for %m = 0 to 1024 step 128 {
              for %n = 0 to 1024 step 512 {
                %acc = alloc psum f32[128 | 512]
                for %k = 0 to 1024 step 128 {
                  %at = alloc sbuf bf16[128 | 128]
                  dma.load %a_t[%k, %m] -> %at
                  %bt = alloc sbuf bf16[128 | 512]
                  dma.load %b[%k, %n] -> %bt
                  pe.matmul %at, %bt -> %acc start(%k == 0) stop(%k == 896)
                }
                %r = alloc sbuf f32[128 | 512]
                dve.copy %acc -> %r
                dma.store %r -> %out[%m, %n]
              }
            }
            return
          }
        }

        """

    /// A one-function module around `body` with the given signature.
    static func module(_ signature: String, _ body: String, target: String = "trn1") -> String {
        kernelModule(signature, body, target: target)
    }
}

/// Parses `text`, runs `pipeline` with verification after each pass, and returns the module and report.
func schedulingRun(_ pipeline: String, on text: String, target: MachineTarget = .trn1) throws -> (Module, PassRunReport) {
    try runPipeline(pipeline, on: text, target: target)
}

/// Runs `pipeline`, expects success, verification and a text round trip; returns the module.
func scheduled(_ pipeline: String, _ text: String, target: MachineTarget = .trn1,
               sourceLocation: SourceLocation = #_sourceLocation) throws -> Module {
    let (module, report) = try schedulingRun(pipeline, on: text, target: target)
    #expect(report.succeeded, "\(report.diagnostics.map(\.message))", sourceLocation: sourceLocation)
    let printed = TileIR.print(module)
    let reparsed = TileIR.parse(SourceFile(path: "out.tir", text: printed))
    #expect(reparsed.module.map { TileIR.print($0) } == printed, sourceLocation: sourceLocation)
    return module
}

/// Every op of a block with the loops enclosing it (outermost first), in text order.
func opsWithLoops(_ block: Block, loops: [ForLoop] = []) -> [(op: Operation, loops: [ForLoop])] {
    var out: [(op: Operation, loops: [ForLoop])] = []
    for op in block.ops {
        out.append((op, loops))
        if case .forLoop(let loop) = op.kind { out += opsWithLoops(loop.body, loops: loops + [loop]) }
    }
    return out
}
