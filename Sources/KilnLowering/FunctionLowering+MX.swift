// FunctionLowering+MX.swift: the MX builtins as engine ops: dve.quantize_mx, dve.scale_mx and pe.matmul_mx.

import KilnMachine
import KilnNumerics
import KilnSema
import KilnSource
import KilnSyntax
import KilnTileIR

extension FunctionLowering {
    /// `quantize_mx(t, dt)` / `scale_mx(t, dt)`: one `dve.quantize_mx` into a fresh SBUF `dt` tile of t's shape, or
    /// one `dve.scale_mx` (with dt's emax) into a fresh f32 `[P | F / 32]` SBUF tile.
    func quantizeMXTile(_ builtin: Builtin, _ arguments: [Expr], at span: SourceSpan) throws(LoweringFailed) -> Lowered {
        guard arguments.count == 2, case .name(let name) = arguments[1].kind, let element = DType(name: name),
              let (source, tile) = try lower(arguments[0]).tile else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: span))
        }
        if builtin == .quantize_mx {
            let result = TileType(.sbuf, element, partitions: tile.partitions, free: [tile.freeElements])
            let destination = allocate(result, at: span)
            emit(.engine(EngineInstruction(.dveQuantizeMX, [.tile(source), .tile(destination)])), at: span)
            return .value(destination, .tile(result))
        }
        let result = TileType(.sbuf, .f32, partitions: tile.partitions, free: [tile.freeElements / MXQuantization.blockSize])
        let destination = allocate(result, at: span)
        emit(.engine(EngineInstruction(.dveScaleMX, [.tile(source), .tile(destination),
                                                     .integer(MXQuantization.largestNormalExponent(element))])), at: span)
        return .value(destination, .tile(result))
    }

    /// `nc_matmul_mx(s, m, s_scale, m_scale)` of operands already lowered, into a fresh PSUM tile (or `into`).
    func matmulMXTile(_ operands: [Lowered], into destination: ValueID?, at span: SourceSpan,
                      start: IterationCondition = .always, stop: IterationCondition = .always) throws(LoweringFailed) -> Lowered {
        guard operands.count == 4, let (s, sTile) = operands[0].tile, let (m, mTile) = operands[1].tile,
              let (ss, _) = operands[2].tile, let (ms, _) = operands[3].tile else {
            throw fail(DiagnosticCatalogue.loweringUntyped(at: span))
        }
        let result = TileType(.psum, .f32, partitions: sTile.freeElements, free: [mTile.freeElements])
        let accumulator = destination ?? allocate(result, at: span)
        emit(.peMatmulMX(PEMatmul(stationary: s, moving: m, accumulator: accumulator, start: start, stop: stop),
                         stationaryScale: ss, movingScale: ms), at: span)
        return .value(accumulator, .tile(result))
    }
}
