// TilingRows.swift: tiles a row group (elementwise ops, free-axis reductions) over row tiles, free-axis chunks or a flat view.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// Emits the loop nest of one row group.
///
/// A 2-D group over [R, C] runs over row tiles of `tile_m` partitions (remainder peeled) with the free
/// axis whole when one row tile's SBUF tiles fit its budget; otherwise the free axis is split into chunks
/// of width w (the largest that fits, tried by emitting into a throwaway emitter and summing its SBUF
/// tiles), as an outer loop over chunks around the row loop. The budget is SBUF / (2 B) for B buffers
/// (`schedule(bufs)`, default 2): `double-buffer` makes B copies of a loop body's tiles, at two loop levels
/// at most (chunks, rows), so what fits the budget still fits SBUF after it, so rows broadcast along the partitions load
/// once per chunk. A group with free-axis reductions or scans along the rows whose row tile does not fit is
/// emitted by `ChunkedReductionTiler` with that chunk width instead, combining partial reductions and carrying
/// scan states across the chunks of each row.
///
/// Sums across rows (axis 0) in the group accumulate in PSUM over the row loop (`ColumnSums`, chunks of
/// at most `tile_n` columns) and are stored after it.
///
/// A rank-1 group over n elements (and a group of scalar math: n = 1) runs on a flat view: the first
/// 128 * (n / 128) elements as [128 | n / 128] tiles, partition-major (chunked the same way when too wide),
/// then the last n mod 128 elements as one [1 | n mod 128] tile; DMA moves such a tile as a contiguous run
/// of a rank-1 HBM tensor.
struct RowGroupTiler {
    let target: MachineTarget
    let types: [ValueID: ValueDef]
    let sizes: TileSizes
    /// Copies of each loop body's tiles `double-buffer` will make.
    let buffers: Int

    /// The space a row group covers: [rows, columns], or a flat run of `elements`.
    enum Space {
        case rows(Int, columns: Int)
        case flat(elements: Int)
    }

    mutating func emit(_ ops: [Operation], into top: TileEmitter, scalars: [ValueID: TileOperand],
                       hbmSources: [ValueID: ValueID], stores: [GroupStore]) throws(TilingError) {
        guard let first = ops.first else { return }
        let space = try self.space(of: ops)
        let full: Int
        switch space {
        case .rows(_, let columns): full = columns
        case .flat(let elements): full = max(1, elements / sizes.m)
        }
        let hasReduction = ops.contains { if case .reduce(_, _, let axis) = $0.kind { axis != 0 } else { false } }
        let hasColumnSums = ops.contains { if case .reduce(_, _, 0) = $0.kind { true } else { false } }
        let capacity = target.sbuf.bytesPerPartition / (2 * buffers)
        // A sum across rows accumulates [1 | width] f32 in one PSUM bank.
        var width = hasColumnSums ? min(full, sizes.n) : full
        while true {
            let trial = TileEmitter(values: TilingValues(top.values.function), span: top.span)
            let bytes = try emit(ops, space: space, width: width, into: trial, measuring: true, scalars: scalars, hbmSources: hbmSources,
                                 stores: stores)
            if bytes <= capacity { break }
            guard width > 1 else {
                throw TilingError(.at(first) { DiagnosticCatalogue.tilingRowsExceedSBUF(
                    bytes: bytes, capacity: capacity, target: target.name, at: $0) })
            }
            width = Self.narrower(width, bytes: bytes, capacity: capacity)
        }
        let hasRowScan = ops.contains { op in
            guard case .scan = op.kind else { return false }
            return (op.result?.type.tensorType?.shape.last ?? 1) > 1
        }
        if hasReduction || hasRowScan, width < full, case .rows(let rows, let columns) = space {
            let chunked = ChunkedReductionTiler(types: types, sizes: sizes, rows: rows, columns: columns, width: width)
            return try chunked.emit(ops, into: top, scalars: scalars, hbmSources: hbmSources, stores: stores)
        }
        _ = try emit(ops, space: space, width: width, into: top, measuring: false, scalars: scalars, hbmSources: hbmSources,
                     stores: stores)
    }

    /// A chunk width that should fit: scaled down by the overshoot, rounded down to a multiple of 512 (or a
    /// power of two below that), and always smaller than `width`.
    static func narrower(_ width: Int, bytes: Int, capacity: Int) -> Int {
        let (product, overflow) = width.multipliedReportingOverflow(by: capacity)
        let fitting = overflow ? width / max(1, bytes / max(1, capacity)) : product / max(1, bytes)
        let scaled = max(1, min(width - 1, fitting))
        if scaled >= 512 { return scaled / 512 * 512 }
        var power = 1
        while power * 2 <= scaled { power *= 2 }
        return power
    }

    /// The group's space; K3606 when its ops disagree, K3601 for ranks above 2.
    private func space(of ops: [Operation]) throws(TilingError) -> Space {
        var rows: Int?
        var columns = 1
        var flat: Int?
        for op in ops {
            guard let type = op.result?.type else { throw .unsupported(op, "it defines no value") }
            var shape = type.tensorType?.shape ?? [1]
            if case .reduce(_, let source, 0) = op.kind,
               let sourceShape = types[source].flatMap({ $0.type.tensorType ?? $0.type.hbmType })?.shape,
               sourceShape.count == 2 {
                shape = sourceShape  // a sum across rows runs over its operand's rows
            }
            if shape.count == 1 {
                if let known = flat, known != shape[0] {
                    throw TilingError(.at(op) { DiagnosticCatalogue.tilingInconsistentGroup(
                        "it mixes rank-1 tensors of \(known) and \(shape[0]) elements", at: $0) })
                }
                flat = shape[0]
                continue
            }
            guard shape.count == 2 else {
                throw .unsupported(op, "only tensors of rank 1 and 2 are tiled (rows on the partition axis)")
            }
            if let known = rows, known != shape[0] {
                throw TilingError(.at(op) { DiagnosticCatalogue.tilingInconsistentGroup(
                    "it mixes \(known) and \(shape[0]) rows", at: $0) })
            }
            rows = shape[0]
            for value in op.kind.reads + [op.result?.id].compactMap({ $0 }) {
                guard let type = types[value]?.type, let width = (type.tensorType ?? type.hbmType)?.shape.last,
                      width > 1 else { continue }
                if columns > 1, width != columns {
                    throw TilingError(.at(op) { DiagnosticCatalogue.tilingInconsistentGroup(
                        "it mixes rows of \(columns) and \(width) elements", at: $0) })
                }
                columns = width
            }
        }
        if let rows {
            if let flat, let op = ops.first {
                throw TilingError(.at(op) { DiagnosticCatalogue.tilingInconsistentGroup(
                    "it mixes rank-1 tensors of \(flat) elements with \(rows)-row matrices", at: $0) })
            }
            return .rows(rows, columns: columns)
        }
        return .flat(elements: flat ?? 1)
    }

    /// Emits the group with free-axis chunks of `width`; returns the most SBUF bytes per partition one
    /// tile body allocates. When `measuring` (a trial emission, only its tiles counted), a scan in a chunk
    /// allocates its carried state as if the chunks came in order, which `ChunkedReductionTiler` then makes true.
    private func emit(_ ops: [Operation], space: Space, width: Int, into top: TileEmitter, measuring: Bool,
                      scalars: [ValueID: TileOperand],
                      hbmSources: [ValueID: ValueID], stores: [GroupStore]) throws(TilingError) -> Int {
        var largest = 0
        top.span = ops.first?.span ?? top.span
        switch space {
        case .rows(let rows, let columns):
            try top.tiled(extent: columns, tile: width, name: "j") { (_, chunk, columnOffset, chunkWidth) throws(TilingError) in
                let sums = ColumnSums(rows: rows, rowTile: sizes.m)
                try chunk.tiled(extent: rows, tile: sizes.m, name: "i") { (hoist, body, rowOffset, partitions) throws(TilingError) in
                    let window = TileWindow(partitions: partitions, width: chunkWidth, rowOffset: rowOffset,
                                            columnOffset: columnOffset, rows: rows, columns: columns)
                    largest = max(largest, try lower(ops, window: window, hoist: hoist, body: body, scalars: scalars,
                                                     hbmSources: hbmSources, stores: stores, sums: sums,
                                                     carry: measuring ? ScanCarry(measuring: true) : nil))
                }
                sums.finish(into: chunk, columnOffset: columnOffset, width: chunkWidth, types: types, stores: stores)
            }
        case .flat(let elements):
            let partitions = sizes.m
            let perPartition = elements / partitions
            if perPartition > 0 {
                try top.tiled(extent: perPartition, tile: width, name: "c") { (hoist, body, offset, chunkWidth) throws(TilingError) in
                    let window = TileWindow(partitions: partitions, width: chunkWidth, rowOffset: offset.scaled(by: partitions),
                                            columnOffset: .constant(0), rows: elements, columns: 1, flat: true)
                    largest = max(largest, try lower(ops, window: window, hoist: hoist, body: body, scalars: scalars,
                                                     hbmSources: hbmSources, stores: stores))
                }
            }
            let tail = elements - perPartition * partitions
            if tail > 0 {
                let window = TileWindow(partitions: 1, width: tail, rowOffset: .constant(perPartition * partitions),
                                        columnOffset: .constant(0), rows: elements, columns: 1, flat: true)
                largest = max(largest, try lower(ops, window: window, hoist: top, body: top, scalars: scalars,
                                                 hbmSources: hbmSources, stores: stores))
            }
        }
        return largest
    }

    /// Lowers the group's ops and stores for one window; returns the SBUF bytes per partition it allocated.
    private func lower(_ ops: [Operation], window: TileWindow, hoist: TileEmitter, body: TileEmitter,
                       scalars: [ValueID: TileOperand], hbmSources: [ValueID: ValueID],
                       stores: [GroupStore], sums: ColumnSums? = nil, carry: ScanCarry? = nil) throws(TilingError) -> Int {
        let hoistStart = hoist.ops.count, bodyStart = body.ops.count
        var lowering = ElementwiseLowering(body: body, hoist: hoist, window: window, types: types,
                                           hbmSources: hbmSources, operands: scalars)
        lowering.columnSums = sums
        lowering.scanCarry = carry
        lowering.planInPlace(ops, keeping: stores.map(\.value))
        for op in ops {
            body.span = op.span
            hoist.span = op.span
            try lowering.lower(op)
        }
        let summed = sums?.values ?? []
        for store in stores where !summed.contains(store.value) {
            body.span = store.op.span
            try lowering.store(store.value, to: store.output, for: store.op)
        }
        let emitted = hoist === body ? Array(body.ops[min(hoistStart, bodyStart)...])
            : Array(hoist.ops[hoistStart...]) + Array(body.ops[bodyStart...])
        return emitted.reduce(0) { total, op in
            if case .alloc(let tile, _) = op.kind, tile.space == .sbuf { return total + tile.bytesPerPartition }
            return total
        }
    }
}

extension AffineExpr {
    /// The expression times a constant.
    func scaled(by factor: Int) -> AffineExpr {
        AffineExpr(terms: terms.map { .init($0.variable, $0.coefficient * factor) }, constant: constant * factor)
    }
}
