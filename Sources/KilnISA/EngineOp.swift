// EngineOp.swift: the op table: every engine op Kiln has, each declared once (operands, effects, rules, cost, opcode).

import KilnMachine

/// Every engine op. The raw value is the op's opcode byte in `.kbc` files (loops and semaphores, which are not
/// engine ops, take 0x01-0x0F). To add an op: add a case here with its declaration in `declare()`, then what
/// it computes in KilnSim (`Execute.swift`) and KilnLLVM (`FunctionLowering+TileOps.swift`); the Swift
/// compiler points at each switch that is missing it. Docs/architecture.md, "Adding an op".
public enum EngineOp: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case dmaLoad = 0x10
    case dmaStore = 0x11
    case dmaGather = 0x12
    case dmaScatterAdd = 0x13
    case dmaIndirectLoad = 0x14
    case peMatmul = 0x20
    case peTranspose = 0x21
    case dveQuantizeMX = 0x22
    case dveScaleMX = 0x23
    case peMatmulMX = 0x24
    case actActivate = 0x30
    case dveTensorTensor = 0x40
    case dveTensorScalar = 0x41
    case dveReduce = 0x42
    case dveCopy = 0x43
    case dveReciprocal = 0x44
    case dveIota = 0x45
    case dveTensorCorner = 0x46
    case dveTensorScan = 0x47
    case dvePartitionBroadcast = 0x48
    case dveCopyColumns = 0x4A
    case dveFreeBroadcast = 0x49
    case dveMax8 = 0x4B
    case dveFindIndex8 = 0x4C
    case dveCopyStrided = 0x4D
    case dveBnStats = 0x4E
    case dveBnAggr = 0x4F
    case poolIota = 0x50
    case poolSelect = 0x51
    case poolAffineSelect = 0x52

    public var description: String { mnemonic }

    // Cost formulas are `KilnMachine`'s (CostModel.swift), each with its source; N = elements per partition.
    func declare() -> OpDeclaration {
        typealias F = OperandField
        switch self {
        case .dmaLoad:
            return OpDeclaration("dma.load", on: .dma, [
                F("src", .hbmSlice(.read)), F("dst", .tile(.write)),
                F("transpose", .flag, .keyword()), F("broadcast", .flag, .keyword()),
                F("row_step", .integer, .keyword(default: 1)), F("column_step", .integer, .keyword(default: 1)),
            ], rules: [.transferElement(hbm: 0, tile: 1), .dmaSteps(hbm: 0, transpose: 2, broadcast: 3, row: 4, column: 5)],
               cost: .dmaTransfer(tile: 1, hbm: 0, transposeFlag: 2),
               summary: "an HBM slice into a tile (transposing, broadcast into every partition, or strided: every "
                   + "row_step-th row and column_step-th column)")
        case .dmaStore:
            return OpDeclaration("dma.store", on: .dma, [F("src", .tile(.read)), F("dst", .hbmSlice(.write))],
                                 rules: [.transferElement(hbm: 1, tile: 0)], cost: .dmaTransfer(tile: 0, hbm: 1, transposeFlag: nil),
                                 summary: "a tile into an HBM slice")
        case .dmaGather:
            return OpDeclaration("dma.gather", on: .dma, [
                F("table", .hbmSlice(.read)), F("indices", .hbmSlice(.read)), F("dst", .tile(.write)),
            ], rules: [.gather(table: 0, indices: 1, tile: 2)], cost: .dmaTransfer(tile: 2, hbm: 0, transposeFlag: nil),
               summary: "rows of an HBM table, chosen by an i32 index run in HBM, into a tile (indirect DMA)")
        case .dmaScatterAdd:
            // NKI's dma_copy with dst_rmw_op=add through indirect (vector) offsets (dma_compute's scatter RMW): row p of
            // the tile is added, in f32, into the table row the index run names, rounded to the table's element; the
            // rows are added in partition order, so duplicate indices accumulate in index order.
            return OpDeclaration("dma.scatter_add", on: .dma, [
                F("src", .tile(.read)), F("table", .hbmSlice(.accumulate)), F("indices", .hbmSlice(.read)),
            ], rules: [.gather(table: 1, indices: 2, tile: 0)], cost: .dmaTransfer(tile: 0, hbm: 1, transposeFlag: nil),
               summary: "each row of a tile added into the HBM table row an i32 index run names (indirect DMA, f32 adds)")
        case .dmaIndirectLoad:
            // NKI's indirect DMA with an on-chip index tile (`nl.load(table[idx_tile, cols])`, the offsets a vector
            // operand in SBUF): row p of the tile is table row idx[p], its columns from the table offset's column.
            // The descriptors are those of dma.gather (one row run per partition), so the cost is the same transfer.
            return OpDeclaration("dma.indirect_load", on: .dma, [
                F("table", .hbmSlice(.read)), F("indices", .tile(.read)), F("dst", .tile(.write)),
            ], rules: [.gather(table: 0, indices: 1, tile: 2)], cost: .dmaTransfer(tile: 2, hbm: 0, transposeFlag: nil),
               summary: "rows of an HBM table, chosen by an i32 [P | 1] index tile in SBUF, into a tile (indirect DMA)")
        case .peMatmul:
            return OpDeclaration("pe.matmul", on: .pe, [
                F("stationary", .tile(.read)), F("moving", .tile(.read)), F("acc", .tile(.accumulate)),
                F("start", .condition, .keyword()), F("stop", .condition, .keyword()),
            ], rules: [.matmul(stationary: 0, moving: 1, accumulator: 2)],
               cost: .cycles { o, t in t.matmulCycles(m: o.n(0), n: o.n(1), input: o.tile(0)?.element ?? .bf16) },
               flops: { o in
                   let value = 2.0 * Double(o.tile(0)?.partitions ?? 0) * Double(o.n(0)) * Double(o.n(1))
                   return (value, value)
               },
               summary: "stationary[K | M]^T @ moving[K | N] into a PSUM accumulator (start overwrites, else adds)")
        case .peTranspose:
            return OpDeclaration("pe.transpose", on: .pe, [F("src", .tile(.read)), F("dst", .tile(.write))],
                                 rules: [.transpose(source: 0, destination: 1)],
                                 cost: .cycles { o, t in t.peTransposeCycles(partitions: o.tile(0)?.partitions ?? 0, free: o.n(0)) },
                                 flops: { o in
                                     let p = Double(o.tile(0)?.partitions ?? 0)
                                     return (2.0 * p * p * Double(o.n(0)), 0)
                                 },
                                 summary: "[P | F] in SBUF to [F | P] in PSUM (a matmul against the identity)")
        case .dveQuantizeMX, .dveScaleMX:
            // NKI's nisa.quantize_mx (NeuronCore-v4, vector engine): per partition, blocks of 32 free elements share one
            // scale (KilnNumerics' MXQuantization, OCP MX v1.0 section 6.3); quantize_mx writes the elements (an MX
            // element tile), scale_mx the block scales (f32 powers of two, [P | F / 32]). NKI's one instruction writes
            // both; Kiln's two each cost a pass over the data (CostModel.quantizeMXCycles).
            // scale_mx's `emax` is the exponent of the element type's largest normal (8 f8e4m3fn, 15 f8e5m2, 2
            // f4e2m1fn), the one fact of the element type the scales depend on.
            let elements = self == .dveQuantizeMX
            return OpDeclaration(elements ? "dve.quantize_mx" : "dve.scale_mx", on: .dve,
                                 [F("src", .tile(.read)), F("dst", .tile(.write))]
                                     + (elements ? [] : [F("emax", .integer, .keyword(default: 8))]),
                                 rules: [.mxQuantize(source: 0, destination: 1, scales: !elements), .mxOnTarget]
                                     + (elements ? [] : [.integerIn(2, 2...15)]),
                                 cost: .cycles { o, t in t.quantizeMXCycles(elementsPerPartition: o.n(0)) },
                                 summary: elements ? "each partition's blocks of 32 elements quantized to the MX element type of dst"
                                     : "the scale (a power of two) of each partition's blocks of 32 elements, for dst's MX element type")
        case .peMatmulMX:
            // NKI's nisa.nc_matmul_mx (NeuronCore-v4): MX element operands with their block scales, dequantized in the
            // array, accumulated in f32 PSUM; K per instruction up to 512 on the hardware (4 per PE row), modelled as
            // a K <= 128 instruction at a quarter of the bf16 time (CostModel.matmulMXCycles): the same PE time per K.
            return OpDeclaration("pe.matmul_mx", on: .pe, [
                F("stationary", .tile(.read)), F("moving", .tile(.read)), F("stationary_scale", .tile(.read)),
                F("moving_scale", .tile(.read)), F("acc", .tile(.accumulate)),
                F("start", .condition, .keyword()), F("stop", .condition, .keyword()),
            ], rules: [.matmulMX(stationary: 0, moving: 1, stationaryScale: 2, movingScale: 3, accumulator: 4), .mxOnTarget],
               cost: .cycles { o, t in t.matmulMXCycles(m: o.n(0), n: o.n(1)) },
               flops: { o in
                   let value = 2.0 * Double(o.tile(0)?.partitions ?? 0) * Double(o.n(0)) * Double(o.n(1))
                   return (value, value)
               },
               summary: "(stationary * scale)[K | M]^T @ (moving * scale)[K | N] into a PSUM accumulator, MX operands")
        case .actActivate:
            return OpDeclaration("act.activate", on: .act, [
                F("func", .activationFunction), F("src", .tile(.read)), F("dst", .tile(.write)),
                F("scale", .scalar, .keyword(default: 1)), F("bias", .scalar, .keyword(default: 0)),
                F("reduce", .reduceInto, .keyword()),
            ], rules: [.sameShape(1, 2), .perPartition(3, like: 1), .perPartition(4, like: 1), .perPartition(5, like: 1),
                       .functionOnTarget(0)],
               cost: .cycles { o, t in t.activationCycles(elementsPerPartition: o.n(1), withReduce: o.reduces(5)) },
               summary: "func(src * scale + bias), scale and bias each a constant or one value per partition, "
                   + "optionally reducing each partition's results")
        case .dveTensorTensor:
            return OpDeclaration("dve.tensor_tensor", on: .dve, [
                F("op", .binaryOperator), F("a", .tile(.read)), F("b", .tile(.read)), F("dst", .tile(.write)),
            ], rules: [.sameShape(1, 3), .sameShape(2, 3)],
               cost: .cycles { o, t in
                   t.tensorTensorCycles(elementsPerPartition: o.n(1),
                                        oneInputInPSUM: o.tile(1)?.space == .psum || o.tile(2)?.space == .psum,
                                        perfMode: o.vectorPerfMode([1, 2, 3]))
               },
               summary: "a op b, elementwise")
        case .dveTensorScalar:
            // With `reduce`, NKI's tensor_scalar_reduce: the results (in f32, before dst's rounding) also reduced
            // along each partition, as act.activate's reduce.
            return OpDeclaration("dve.tensor_scalar", on: .dve, [
                F("op", .binaryOperator), F("a", .tile(.read)), F("scalar", .scalar), F("dst", .tile(.write)),
                F("reduce", .reduceInto, .keyword()),
            ], rules: [.sameShape(1, 3), .perPartition(2, like: 1), .perPartition(4, like: 1)],
               cost: .cycles { o, t in
                   t.tensorScalarCycles(elementsPerPartition: o.n(1), perfMode: o.vectorPerfMode([1, 3]), withReduce: o.reduces(4))
               },
               summary: "a op scalar, the scalar a constant or one value per partition, optionally reducing each "
                   + "partition's results")
        case .dveReduce:
            // A sum adds the elements in order to a running f32 sum that starts at `initial` (+0 by default), so a
            // row reduced in chunks gives the bits of one pass (Docs/numerics.md, "Reduction order").
            return OpDeclaration("dve.reduce", on: .dve, [
                F("op", .reduceOperator), F("src", .tile(.read)), F("dst", .tile(.write)),
                F("initial", .scalar, .keyword(default: 0)),
            ], rules: [.reducesLastFreeDim(source: 1, destination: 2), .perPartition(3, like: 1), .initialOnlyForAdd(op: 0, initial: 3)],
               cost: .cycles { o, t in
                   t.tensorReduceCycles(elementsPerPartition: o.n(1), input: o.tile(1)?.element ?? .f32,
                                        isAddOrMax: o.reduceOperator(0) != .min)
               },
               summary: "reduces the last free dim to 1 (a sum in order from `initial`, +0 by default)")
        case .dveCopy:
            return OpDeclaration("dve.copy", on: .dve, [F("src", .tile(.read)), F("dst", .tile(.write))],
                                 rules: [.sameElements(0, 1)],
                                 cost: .cycles { o, t in
                                     t.tensorScalarCycles(elementsPerPartition: o.n(0), perfMode: o.vectorPerfMode([0, 1]))
                                 },
                                 summary: "copies and converts a tile (also how PSUM is evacuated); the free dims may be regrouped")
        case .dveReciprocal:
            return OpDeclaration("dve.reciprocal", on: .dve, [F("src", .tile(.read)), F("dst", .tile(.write))],
                                 rules: [.sameShape(0, 1)],
                                 cost: .cycles { o, t in t.reciprocalCycles(elementsPerPartition: o.n(0)) },
                                 summary: "1 / x, elementwise")
        case .dveIota:
            return OpDeclaration("dve.iota", on: .dve, [
                F("axis", .integer, .keyword()), F("offset", .integer, .keyword(default: 0)), F("dst", .tile(.write)),
            ], rules: [.integerIn(0, 0...1)],
               cost: .cycles { o, t in t.tensorScalarCycles(elementsPerPartition: o.n(2)) },
               summary: "each element's partition index (axis 0) or free index (axis 1) plus offset")
        case .dveTensorCorner:
            // Hardware instructions address a partition range and a free-dim access pattern; this op is that for
            // a remainder tile: the destination is read and written, and only its leading corner changes.
            return OpDeclaration("dve.tensor_corner", on: .dve, [
                F("op", .binaryOperator), F("src", .tile(.read)), F("dst", .tile(.accumulate)),
            ], rules: [.fitsWithin(source: 1, destination: 2)],
               cost: .cycles { o, t in t.tensorTensorCycles(elementsPerPartition: o.n(1), oneInputInPSUM: o.tile(2)?.space == .psum) },
               summary: "dst op src on the leading corner of dst that src covers (partitions and free indices from 0); "
                   + "the rest of dst keeps its values")
        case .dveTensorScan:
            // NKI's tensor_tensor_scan: per partition, s = op1(op0(data0[f], s), data1[f]) from s = initial, each
            // step in fp32; dst[f] = s. The cost assumes the two-input pass of tensor_tensor (2N cycles).
            return OpDeclaration("dve.tensor_scan", on: .dve, [
                F("op0", .binaryOperator), F("op1", .binaryOperator), F("data0", .tile(.read)), F("data1", .tile(.read)),
                F("dst", .tile(.write)), F("initial", .scalar, .keyword(default: 0)),
            ], rules: [.sameShape(2, 4), .sameShape(3, 4), .perPartition(5, like: 2)],
               cost: .cycles { o, t in
                   t.tensorTensorCycles(elementsPerPartition: o.n(2),
                                        oneInputInPSUM: o.tile(2)?.space == .psum || o.tile(3)?.space == .psum)
               },
               summary: "a scan along the free axis: s = op1(op0(data0, s), data1) from `initial`, each result in dst")
        case .dvePartitionBroadcast:
            return OpDeclaration("dve.partition_broadcast", on: .dve, [F("src", .tile(.read)), F("dst", .tile(.write))],
                                 rules: [.partitionBroadcast(source: 0, destination: 1)],
                                 cost: .cycles { o, t in
                                     t.partitionBroadcastCycles(elementsPerPartition: o.n(0), partitions: o.tile(1)?.partitions ?? 1)
                                 },
                                 summary: "the one partition of src copied into every partition of dst (a row broadcast)")
        case .dveCopyColumns:
            // A vector-engine copy whose source access pattern starts `offset` elements into each partition (NKI's
            // tensor_copy of a free-dim slice): how a scan in column chunks carries its last state to the next chunk, and
            // how a tile is cropped to the leading corner a remainder tile holds.
            return OpDeclaration("dve.copy_columns", on: .dve, [
                F("src", .tile(.read)), F("offset", .integer, .keyword(default: 0)), F("dst", .tile(.write)),
            ], rules: [.columnWindow(source: 0, offset: 1, destination: 2)],
               cost: .cycles { o, t in t.tensorScalarCycles(elementsPerPartition: o.n(2)) },
               summary: "dst = src's free elements offset ..< offset + F of each of dst's partitions (src's leading ones), converted")
        case .dveCopyStrided:
            // A vector-engine copy whose source access pattern steps `step` elements along the free dim (NKI's
            // tensor_copy of a strided slice `t[:, lo : hi : step]`, an access pattern with a free-dim stride): a tile
            // slice with a step. The engine walks the strided pattern at the rate of a contiguous one, so the cost is
            // tensor_scalar's formula on the elements written (dve.copy_columns').
            return OpDeclaration("dve.copy_strided", on: .dve, [
                F("src", .tile(.read)), F("offset", .integer, .keyword(default: 0)), F("step", .integer, .keyword()),
                F("dst", .tile(.write)),
            ], rules: [.stridedWindow(source: 0, offset: 1, step: 2, destination: 3)],
               cost: .cycles { o, t in t.tensorScalarCycles(elementsPerPartition: o.n(3)) },
               summary: "dst = src's free elements offset, offset + step, ... (F of them) of each of dst's partitions "
                   + "(src's leading ones), converted")
        case .dveFreeBroadcast:
            return OpDeclaration("dve.free_broadcast", on: .dve, [F("src", .tile(.read)), F("dst", .tile(.write))],
                                 rules: [.freeBroadcast(source: 0, destination: 1)],
                                 cost: .cycles { o, t in
                                     t.tensorScalarCycles(elementsPerPartition: o.n(1), perfMode: o.vectorPerfMode([0, 1]))
                                 },
                                 summary: "src repeated along its size-1 free dims to dst's free dims (a per-row value "
                                     + "[P | F1, 1] stretched to [P | F1, F2]); a copy with a zero-stride access pattern")
        case .dveMax8:
            // NKI's max8: the 8 largest of each partition's elements, in descending order (KilnMachine's TopKOrder: NaN
            // first, ties by position), compared in fp32 and written converted to dst's element.
            return OpDeclaration("dve.max8", on: .dve, [F("src", .tile(.read)), F("dst", .tile(.write))],
                                 rules: [.eightPerPartition(data: 0, values: nil, destination: 1)],
                                 cost: .cycles { o, t in t.vectorSearchCycles(elementsPerPartition: o.n(0)) },
                                 summary: "the 8 largest values of each partition (NaN first, ties by position), descending")
        case .dveFindIndex8:
            // NKI's nc_find_index8: for each of the 8 values of a partition, the position of its first occurrence in
            // data, duplicates of one value taking its occurrences in ascending order (TopKOrder.findIndex8); as i32.
            return OpDeclaration("dve.find_index8", on: .dve, [
                F("data", .tile(.read)), F("vals", .tile(.read)), F("dst", .tile(.write)),
            ], rules: [.eightPerPartition(data: 0, values: 1, destination: 2)],
               cost: .cycles { o, t in t.vectorSearchCycles(elementsPerPartition: o.n(0)) },
               summary: "the positions in data of each partition's 8 vals (first occurrences, duplicates in order), i32")
        case .dveBnStats:
            // NKI's bn_stats: per partition, (count, mean, variance * count) of the even-position elements, then of the
            // odd-position ones, in f32 (KilnMachine's BatchNormStats: the one order of operations).
            return OpDeclaration("dve.bn_stats", on: .dve, [F("src", .tile(.read)), F("dst", .tile(.write))],
                                 rules: [.statistics(source: 0, destination: 1, outputs: BatchNormStats.statsWidth,
                                                     inputLimit: BatchNormStats.maxFree, inputMultiple: 1)],
                                 cost: .cycles { o, t in t.bnStatsCycles(elementsPerPartition: o.n(0)) },
                                 summary: "per partition, (count, mean, variance * count) of the even and of the odd elements")
        case .dveBnAggr:
            // NKI's bn_aggr: the (count, mean, variance * count) tuples of a partition combined into its mean and
            // variance, in f32 (BatchNormStats.aggregate).
            return OpDeclaration("dve.bn_aggr", on: .dve, [F("src", .tile(.read)), F("dst", .tile(.write))],
                                 rules: [.statistics(source: 0, destination: 1, outputs: 2, inputLimit: nil,
                                                     inputMultiple: BatchNormStats.tupleWidth)],
                                 cost: .cycles { o, t in t.bnAggrCycles(elementsPerPartition: o.n(0)) },
                                 summary: "per partition, the mean and variance of bn_stats tuples (count, mean, variance * count)")
        case .poolIota:
            return OpDeclaration("pool.iota", on: .pool, [
                F("base", .affine, .keyword()), F("partition_step", .integer, .keyword()),
                F("free_step", .integer, .keyword()), F("dst", .tile(.write)),
            ], cost: .cycles { o, t in t.gpsimdCycles(elementsPerPartition: o.n(3)) },
               summary: "base + p * partition_step + f * free_step at partition p, free index f")
        case .poolSelect:
            return OpDeclaration("pool.select", on: .pool, [
                F("cond", .tile(.read)), F("a", .tile(.read)), F("b", .tile(.read)), F("dst", .tile(.write)),
            ], rules: [.sameShape(0, 3), .sameShape(1, 3), .sameShape(2, 3)],
               cost: .cycles { o, t in t.gpsimdCycles(elementsPerPartition: o.n(3)) },
               summary: "cond ? a : b, elementwise")
        case .poolAffineSelect:
            // NKI's nki.isa.affine_select (GpSimd): the predicate offset + p * partition_step + f * free_step >= 0 is
            // computed in the engine for each element (p the partition, f the free index), selecting src or the f32
            // immediate fill; one instruction where iota + compare + select take three. Cost: "150 + N GpSimd Engine
            // cycles" (the nki.isa.affine_select page), the gpsimd formula pool.iota uses.
            return OpDeclaration("pool.affine_select", on: .pool, [
                F("src", .tile(.read)), F("dst", .tile(.write)), F("offset", .affine, .keyword()),
                F("partition_step", .integer, .keyword()), F("free_step", .integer, .keyword()), F("fill", .float, .keyword()),
            ], rules: [.sameShape(0, 1)],
               cost: .cycles { o, t in t.gpsimdCycles(elementsPerPartition: o.n(1)) },
               summary: "src where offset + p * partition_step + f * free_step >= 0, else fill (an f32 immediate)")
        }
    }
}
