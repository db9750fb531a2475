// FlopCount.swift: the `flop-count` pass plugin: per engine stream, the FLOPs executed and the bytes moved.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// An analysis pass: reports, for each function and each engine stream in it (pe, act, dve, pool, dma),
/// how many instructions it executes, the floating-point operations they do and the bytes they move,
/// as notes located at the function (K6050); the module is not changed.
///
/// Algorithm: one walk of the body in program order, carrying the product of the trip counts of the
/// enclosing loops, so each op counts as many times as it executes. Tile shapes come from the function's
/// value table. Per op: `pe.matmul` stationary[K | M], moving[K | N] does 2*K*M*N FLOPs and moves the
/// bytes of both operands and of the [M | N] fp32 accumulator; `act.activate` does one operation per
/// output element, plus one per element for the scale and for the bias when they are not 1 and 0, plus
/// one per element when it also reduces; `dve` tensor-tensor, tensor-scalar, reduce and reciprocal do
/// one per source element (copies and transposes do none); `pool.select` one per element, `pool.iota`
/// none. Compute ops move the bytes of their source and destination tiles; DMA ops move their tile's
/// bytes. Sync ops are counted as instructions of their engine's stream and move nothing.
public struct FlopCount: Pass {
    public init() {}
    public var name: String { "flop-count" }
    public var summary: String { "analysis: report FLOPs and bytes moved per engine stream (notes; the IR is unchanged)" }

    /// What one engine stream executes.
    struct StreamCount {
        var instructions = 0
        var flops = 0
        var bytes = 0
    }

    public func run(on module: inout Module, context: inout PassContext) throws {
        for function in module.functions {
            let table = function.valueTable()
            var streams: [Engine: StreamCount] = [:]
            count(function.body, times: 1, table: table, into: &streams)
            guard !streams.isEmpty else {
                context.report(.at(function) {
                    DiagnosticCatalogue.pluginRemark(pass: name, "@\(function.name) has no engine ops yet (run it after 'tile')", at: $0)
                })
                continue
            }
            var total = StreamCount()
            for engine in Engine.allCases {
                guard let stream = streams[engine] else { continue }
                total.instructions += stream.instructions
                total.flops += stream.flops
                total.bytes += stream.bytes
                context.report(.at(function) {
                    DiagnosticCatalogue.pluginRemark(pass: name, "@\(function.name) \(engine): \(stream.instructions) instructions, "
                                                     + "\(stream.flops) FLOP, \(stream.bytes) bytes", at: $0)
                })
            }
            context.report(.at(function) {
                DiagnosticCatalogue.pluginRemark(pass: name, "@\(function.name) total: \(total.instructions) instructions, "
                                                 + "\(total.flops) FLOP, \(total.bytes) bytes", at: $0)
            })
        }
    }

    /// Adds every op of `block`, executed `times` times, to its engine's stream; loop bodies multiply.
    func count(_ block: Block, times: Int, table: [ValueID: ValueDef], into streams: inout [Engine: StreamCount]) {
        for op in block.ops {
            if case .forLoop(let loop) = op.kind {
                let (product, overflow) = times.multipliedReportingOverflow(by: loop.tripCount)
                count(loop.body, times: overflow ? Int.max : product, table: table, into: &streams)
                continue
            }
            guard let engine = op.kind.engine else { continue }
            let (flops, bytes) = cost(of: op.kind, table: table)
            var stream = streams[engine] ?? StreamCount()
            stream.instructions = saturatingAdd(stream.instructions, times)
            stream.flops = saturatingAdd(stream.flops, saturatingMultiply(flops, times))
            stream.bytes = saturatingAdd(stream.bytes, saturatingMultiply(bytes, times))
            streams[engine] = stream
        }
    }

    /// FLOPs and bytes of one execution of an engine op, read generically from the op table: the tensor
    /// engine's model FLOPs as the op declares them (matmuls; a transpose counts none), one FLOP per element
    /// written (and per fused scale, bias or reduction) on the other compute engines, none for DMA; bytes of
    /// every tile the op reads or writes.
    func cost(of kind: OpKind, table: [ValueID: ValueDef]) -> (flops: Int, bytes: Int) {
        guard let instruction = kind.instruction else { return (0, 0) }
        func tile(_ id: ValueID) -> TileType? { table[id]?.type.tileType }
        // A tile read and written (an in-place result, an accumulator) moves its bytes both ways.
        let tiles = (instruction.reads + instruction.writes).filter { tile($0) != nil }
        let bytes = tiles.reduce(0) { saturatingAdd($0, tile($1).map { saturatingMultiply($0.partitions, $0.bytesPerPartition) } ?? 0) }
        let declaration = instruction.declaration
        if let flops = declaration.flops {
            let counted = flops(instruction.facts { table[$0]?.type }).model
            return (counted < Double(Int.max) ? Int(counted) : Int.max, bytes)
        }
        guard declaration.engine != .dma, declaration.engine != .pe,
              let written = instruction.writes.first, let shape = tile(written) else { return (0, bytes) }
        var perElement = 1
        if case .float(let scale)? = instruction["scale"], scale != 1 { perElement += 1 }
        if case .scalar(let bias)? = instruction["bias"], bias != .constant(0) { perElement += 1 }
        if case .reduceInto(.some)? = instruction["reduce"] { perElement += 1 }
        return (saturatingMultiply(saturatingMultiply(shape.partitions, shape.freeElements), perElement), bytes)
    }

    private func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    private func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : product
    }
}

/// The plugin's entry point: the descriptor, whose callback registers `flop-count`.
@_cdecl("kiln_plugin_entry")
public func kilnPluginEntry() -> UnsafeRawPointer {
    KilnPlugin.descriptor(name: "flop-count", register: { raw in
        PluginRegistrar.fromOpaque(raw).register(pass: FlopCount())
    })
}
