// TileTensorOps.swift: the `tile` pass: turns tensor-level ops (by fusion group) into tile loops of engine ops.

import KilnMachine
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// `tile`: lowers every tensor-level function to tile level: loops over tiles, `alloc`ed SBUF/PSUM tiles
/// (unplaced), DMA loads and stores, and engine ops (pe, act, dve, pool); no semaphores yet.
///
/// Algorithm, per kernel (helpers, whose outputs are not HBM, and tile-level kernels, whose only tensor-level
/// ops are scalar constants, are left alone):
/// 1. Collect the groups (`TilingGroups`): ops with the same `group N` (from `fuse`) form one group; an
///    ungrouped op is a group of its own; groups are ordered so each runs after the groups it reads from
///    (K3606 if they depend on each other in a cycle). Scalar constants become immediate operands.
///    An output that returns a kernel input unchanged is copied through tiles (load, store).
/// 2. Give every value that crosses groups an HBM home: the kernel output it is returned as, or else an
///    internal scratch tensor (`%s = hbm.alloc T`, made at the top of the kernel) that the producing group
///    stores to and the consuming groups load from (a computed scalar gets an `[1]` scratch).
/// 3. A *row group* (elementwise ops and free-axis reductions over [R, C]) becomes a loop over row
///    tiles of `tile_m` (128) partitions with the remainder peeled (300 rows = a loop of 2 x 128, then 44)
///    (`RowGroupTiler`); when a row tile does not fit its SBUF budget the free axis is split too (with
///    partial reductions combined across chunks, `ChunkedReductionTiler`). The body loads each HBM operand
///    once ([P | C] slices, [P | 1] columns; [C] / [1, C] rows broadcast across partitions by one DMA,
///    hoisted before the loop), lowers the ops in order (`ElementwiseLowering`: act for math, dve for
///    operators, reductions and copies, pool for select; `x + c`, `x - col`, `c * x` stay pending
///    and fold into the next activation's scale and bias; a reduction of an activation's output
///    becomes that activation's free-axis reduce; a sum across rows accumulates in PSUM over the loop,
///    `ColumnSums`; a result is written over an input tile of the body that no later op reads and no store
///    needs, `ElementwiseLowering.planInPlace`), and stores each returned value. A rank-1 group and a group of scalar math run the
///    same way on a flat view (`TileWindow.flat`).
/// 4. A *matmul group* (a matmul and its elementwise epilogue) becomes the blocked nest of `MatmulTiler`:
///    resident B slabs per column block, transposed A tiles, PSUM accumulation over K, the epilogue
///    fused into the PSUM evacuation. Tile sizes come from `@schedule` (K3604 when out of range) or the
///    target; K3605 when a B slab cannot fit.
/// 5. A `slice` or a `concat` copies blocks of HBM tensors through SBUF (`RegionCopyTiler`); a `gather` reads
///    table rows by index into SBUF with `dma.gather` and stores them (`GatherTiler`); a `topk` loads whole rows and
///    finds their largest with `dve.max8` and `dve.find_index8` (`TopKTiler`); a `permute` copies rows of
///    the last dim with strided loads in loops over the other dims (`PermuteTiler`), and a `reshape` the runs both
///    shapes share (`ReshapeTiler`).
/// 6. A reduction over a batch axis of a rank-3/4 tensor becomes `tileBatchAxisReduction`'s accumulation loop;
///    a group with batch dims otherwise runs the rules above on the last two dims in loops over the batch
///    (`tileBatched`). A transpose becomes `TransposeTiler`'s block loop; a reduction across rows (axis 0) on its own, or
///    of a rank-1 tensor, becomes `ColumnReductionTiler`'s loop (ones-vector matmuls into PSUM for sums,
///    transposes for max/min).
/// 7. Loads of the HBM tensor a `slice` value was copied to read the slice's source at its offsets instead,
///    so the copy is left with no reader unless the value is an output, and `dce` removes it; a `concat`
///    operand read by nothing else is stored straight into its place in the concat's tensor; loads of a `permute`
///    of batch dims only read its operand at permuted offsets (`HBMViews`).
/// Anything else is reported (K3601) at the op's kernel span; the function is then left unchanged.
///
/// Options (`tile{tile_m=64,...}`) override the kernel's `@schedule` hints of the same names.
public struct TileTensorOps: Pass {
    public let name = "tile"
    public let summary = "lower tensor-level ops and fusion groups to tile loops of engine ops"
    public let options: [PassOption] = [
        PassOption("tile_m", .integers(1...128), default: "@schedule's, else 128",
                   help: "rows per tile (partitions); a matmul's stationary width"),
        PassOption("tile_n", .integers(1...512), default: "@schedule's, else 512",
                   help: "columns of a matmul's moving operand per PSUM accumulator"),
        PassOption("tile_k", .integers(1...128), default: "@schedule's, else 128",
                   help: "contraction rows per matmul instruction"),
        PassOption("accumulators", .integers(1...8), default: "half the PSUM banks (4)",
                   help: "PSUM accumulators per matmul column block: the resident B slab is this many tile_n wide"),
        PassOption("a_bufs", .integers(1...8), default: "2",
                   help: "sets of A working tiles a matmul rotates through: A loads in flight ahead of the matmuls"),
        PassOption("block_k", .integers(0...64), default: "0: not given",
                   help: "K-blocked matmul (any block_ option given; else B slabs stay resident, summed in PSUM over all "
                       + "of K): K tiles per block (8 when not given); A^T and B blocks in SBUF, results summed in SBUF"),
        PassOption("block_m", .integers(0...64), default: "0: not given",
                   help: "K-blocked matmul: row tiles per block (16 when not given)"),
        PassOption("block_n", .integers(0...16), default: "0: not given",
                   help: "K-blocked matmul: column tiles per block (2 when not given)"),
        PassOption("chains", .integers(0...1), default: "1",
                   help: "keep matmul -> row ops -> matmul chains (attention) on chip, S and P in SBUF row blocks (1), or "
                       + "tile their groups one by one through HBM scratch (0)"),
        PassOption("chain_online", .choices(ChainOnlineMode.allCases.map(\.rawValue)), default: "auto",
                   help: "stream a softmax chain's keys by online softmax (flash attention) when its whole rows do not "
                       + "fit SBUF (auto), always (on) or never (off)"),
        PassOption("chain_blocks", .integers(1...8), default: "4",
                   help: "row blocks of an on-chip chain per loop body, their ops merged by a list schedule (fewer when "
                       + "SBUF or half the PSUM banks do not hold them)"),
    ]

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        for index in module.functions.indices {
            let function = module.functions[index]
            let returnsValues = function.body.ops.contains { if case .ret(let values) = $0.kind { !values.isEmpty } else { false } }
            // Scalar constants (a bound scalar parameter, a folded expression) are immediates in tile-level
            // code too: they alone do not make a kernel tensor-level.
            // Scalar math on parameters in a tile-level kernel (`t - (alpha as bf16)`) stays as it is, for the
            // backends to compute once.
            let tileLevel = function.body.ops.contains { op in
                if case .forLoop = op.kind { return true }
                return op.kind.engine != nil
            }
            let tensorLevel = !tileLevel && function.body.ops.contains {
                $0.kind.isTensorLevel && !FusionPlanner.isScalarConstant($0)
            }
            guard returnsValues || tensorLevel,
                  function.outputs.allSatisfy({ $0.type.hbmType != nil }) else { continue }
            var tiler = FunctionTiler(function, target: context.target, schedule: context.options.overriding(function.schedule))
            tiler.chainOnline = context.options.word("chain_online").flatMap(ChainOnlineMode.init(rawValue:)) ?? .auto
            let tiled = tiler.run()
            for diagnostic in tiler.diagnostics { context.report(diagnostic) }
            if let tiled { module.functions[index] = tiled }
        }
    }
}

/// Where one group's values go: every kernel output and scratch tensor the value is stored to.
typealias GroupStore = (value: ValueID, output: ValueDef, op: Operation)

/// Tiles one kernel; `diagnostics` holds every problem found (then `run` gives nil).
struct FunctionTiler {
    let function: Function
    let target: MachineTarget
    /// Every value's definition, the scratch tensors `run` makes included.
    var types: [ValueID: ValueDef]
    var diagnostics: [Diagnostic] = []
    /// `concat` operands computed straight into their place in the concat's tensor (`HBMViews`).
    var placedInConcat: [ValueID: (concat: ValueID, offsets: [Int])] = [:]

    /// The schedule hints in force: the function's `@schedule`, overridden by the pass's options.
    let schedule: [String: Int]
    /// The on-chip chains being tiled as one group, by their key (the second matmul's result).
    var chains: [ValueID: MatmulRowChain] = [:]
    /// `tile{chain_online}`.
    var chainOnline = ChainOnlineMode.auto

    init(_ function: Function, target: MachineTarget, schedule: [String: Int]? = nil) {
        self.function = function
        self.target = target
        self.schedule = schedule ?? function.schedule
        self.types = function.valueTable()
    }

    /// Tiles the kernel with its on-chip chains merged; a chain that does not fit SBUF is left unmerged and the
    /// kernel tiled again.
    mutating func run() -> Function? {
        var unfit = Set<ValueID>()
        while true {
            types = function.valueTable()
            diagnostics = []
            placedInConcat = [:]
            switch attempt(excludingChains: unfit) {
            case .tiled(let result): return result
            case .failed: return nil
            case .chainDoesNotFit(let key): unfit.insert(key)
            }
        }
    }

    enum Attempt {
        case tiled(Function)
        case failed
        case chainDoesNotFit(ValueID)
    }

    private mutating func attempt(excludingChains unfit: Set<ValueID>) -> Attempt {
        let function = self.function
        let sizes = TileSizes.resolve(schedule, target: target) { key, value, limit in
            diagnostics.append(.at(function) { DiagnosticCatalogue.tilingScheduleOutOfRange(key, value, limit: limit, at: $0) })
        }
        var groups = TilingGroups(function)
        diagnostics += groups.diagnostics
        chains = [:]
        if (schedule["chains"] ?? 1) != 0 {
            for chain in groups.matmulRowChains() where !unfit.contains(chain.key) {
                groups.merge(chain)
                chains[chain.key] = chain
            }
        }
        guard let order = groups.dependencyOrder() else {
            diagnostics += groups.diagnostics
            return .failed
        }
        placedInConcat = HBMViews.concatPlacements(function, returned: groups.returned)
        let values = TilingValues(function)
        let top = TileEmitter(values: values, span: function.span)
        var hbmSources: [ValueID: ValueID] = [:]
        for parameter in function.parameters where parameter.value.type.hbmType != nil {
            hbmSources[parameter.value.id] = parameter.value.id
        }
        var destinations: [ValueID: [ValueDef]] = [:]
        for (value, output) in zip(groups.returned, function.outputs) {
            destinations[value, default: []].append(output)
            if hbmSources[value] == nil { hbmSources[value] = output.id }
        }
        for value in groups.crossingValues() where hbmSources[value] == nil {
            guard let type = types[value]?.type else { continue }
            let tensor = type.tensorType ?? TensorType(type.element ?? .f32, [1])
            let scratch = values.make(.hbm(tensor), name: types[value]?.nameHint ?? "scratch")
            top.ops.append(Operation(.hbmAlloc(tensor), result: scratch, span: function.span))
            destinations[value, default: []].append(scratch)
            hbmSources[value] = scratch.id
            types[scratch.id] = scratch
        }
        for (value, output) in zip(groups.returned, function.outputs) where groups.definingGroup[value] == nil {
            // An output that returns a kernel input as it is: copied through tiles, as a broadcast of the input
            // to its own shape.
            let span = function.body.ops.last?.span ?? function.span
            guard let tensor = types[value]?.type.hbmType else {
                diagnostics.append(.at(function) { DiagnosticCatalogue.tilingUnsupported(
                    "return", "output %\(output.nameHint ?? "out") returns a value that is neither computed nor a tensor input",
                    at: $0) })
                continue
            }
            let copy = values.make(.tensor(tensor), name: output.nameHint)
            types[copy.id] = copy
            let op = Operation(.broadcast(value), result: copy, span: span)
            do {
                try tile([op], into: top, sizes: sizes, scalars: groups.scalars, hbmSources: hbmSources,
                         destinations: [copy.id: [output]])
            } catch {
                diagnostics.append(error.diagnostic)
            }
        }
        for group in order {
            do {
                try tile(groups.groups[group], into: top, sizes: sizes, scalars: groups.scalars, hbmSources: hbmSources,
                         destinations: destinations)
            } catch {
                if let key = error.unfitChain { return .chainDoesNotFit(key) }
                diagnostics.append(error.diagnostic)
            }
        }
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return .failed }
        let views = HBMViews(function.body.ops, hbmSources: hbmSources, placed: placedInConcat)
        var result = values.function
        result.body = Block(views.forwarding(top.ops) + [Operation(.ret([]), span: function.body.ops.last?.span ?? function.span)])
        return .tiled(result)
    }

    /// Dispatches one group to the row, matmul, transpose or column-reduction tiler, in loops over its batch
    /// dims when it has any (`tileBatched`).
    private mutating func tile(_ ops: [Operation], into top: TileEmitter, sizes: TileSizes, scalars: [ValueID: TileOperand],
                               hbmSources: [ValueID: ValueID], destinations: [ValueID: [ValueDef]]) throws(TilingError) {
        let produced = Set(ops.compactMap { $0.result?.id })
        let stores: [GroupStore] = ops.flatMap { op in
            (op.result.flatMap { destinations[$0.id] } ?? []).map { (value: op.result?.id ?? ValueID(-1), output: $0, op: op) }
        }
        // A group reads its own values from tiles, never back from the HBM tensor it stores them to.
        let sources = hbmSources.filter { !produced.contains($0.key) || $0.key == $0.value }
        if ops.count == 1, case .slice(let operand, let offsets, let strides) = ops[0].kind,
           let shape = ops[0].result?.type.tensorType?.shape {
            let (hbm, tensor) = try hbmOperand(operand, of: ops[0], sources: sources)
            top.span = ops[0].span
            RegionCopyTiler(rows: sizes.m).emit(into: top, source: hbm, sourceOffsets: offsets, sourceStrides: strides,
                destinations: stores.map { ($0.output.id, Array(repeating: 0, count: shape.count)) }, shape: shape,
                element: tensor.element)
            return
        }
        if ops.count == 1, case .permute(let operand, let perm) = ops[0].kind, let shape = ops[0].result?.type.tensorType?.shape {
            let (hbm, tensor) = try hbmOperand(operand, of: ops[0], sources: sources)
            top.span = ops[0].span
            PermuteTiler(rows: sizes.m).emit(into: top, source: hbm, perm: perm, outputs: stores.map(\.output.id), shape: shape,
                                             element: tensor.element)
            return
        }
        if ops.count == 1, case .reshape(let operand) = ops[0].kind, let shape = ops[0].result?.type.tensorType?.shape {
            let (hbm, tensor) = try hbmOperand(operand, of: ops[0], sources: sources)
            guard let dims = ReshapeTiler.refined(tensor.shape, shape) else {
                throw .unsupported(ops[0], "\(tensor.shape) to \(shape) is not a merge or a split of adjacent dims")
            }
            top.span = ops[0].span
            ReshapeTiler(rows: sizes.m).emit(into: top, source: hbm, sourceShape: tensor.shape, outputs: stores.map(\.output.id),
                                             shape: shape, element: tensor.element, dims: dims)
            return
        }
        if ops.count == 1, case .scatterAdd(let table, let indices, let values) = ops[0].kind {
            let (tableHBM, tableTensor) = try hbmOperand(table, of: ops[0], sources: sources)
            let (indexHBM, indexTensor) = try hbmOperand(indices, of: ops[0], sources: sources)
            let (valueHBM, _) = try hbmOperand(values, of: ops[0], sources: sources)
            top.span = ops[0].span
            ScatterAddTiler(rows: sizes.m).emit(into: top, table: tableHBM, tableShape: tableTensor.shape, indices: indexHBM,
                                                indexShape: indexTensor.shape, values: valueHBM,
                                                outputs: stores.map(\.output.id), element: tableTensor.element)
            return
        }
        if ops.count == 1, case .topk(let operand, let k, let indices) = ops[0].kind {
            let (hbm, tensor) = try hbmOperand(operand, of: ops[0], sources: sources)
            top.span = ops[0].span
            TopKTiler(rows: sizes.m).emit(into: top, source: hbm, shape: tensor.shape, k: k, indices: indices,
                                          outputs: stores.map(\.output.id), element: tensor.element)
            return
        }
        if ops.count == 1, case .gather(let table, let indices) = ops[0].kind {
            let (tableHBM, tableTensor) = try hbmOperand(table, of: ops[0], sources: sources)
            let (indexHBM, indexTensor) = try hbmOperand(indices, of: ops[0], sources: sources)
            top.span = ops[0].span
            GatherTiler(rows: sizes.m).emit(into: top, table: tableHBM, width: tableTensor.shape.last ?? 1, indices: indexHBM,
                                            indexShape: indexTensor.shape, outputs: stores.map(\.output.id),
                                            element: tableTensor.element)
            return
        }
        if ops.count == 1, case .concat(let operands, let axis) = ops[0].kind, let rank = ops[0].result?.type.tensorType?.rank {
            top.span = ops[0].span
            var start = 0
            for operand in operands {
                let (hbm, tensor) = try hbmOperand(operand, of: ops[0], sources: sources)
                defer { start += tensor.shape[axis] }
                if placedInConcat[operand] != nil { continue }   // computed in place
                var offsets = Array(repeating: 0, count: rank)
                offsets[axis] = start
                RegionCopyTiler(rows: sizes.m).emit(into: top, source: hbm, sourceOffsets: Array(repeating: 0, count: rank),
                    destinations: stores.map { ($0.output.id, offsets) }, shape: tensor.shape, element: tensor.element)
            }
            return
        }
        if ops.count == 1, case .reduce(let kind, let source, let axis) = ops[0].kind,
           let rank = types[source].flatMap({ ($0.type.tensorType ?? $0.type.hbmType)?.rank }), rank > 2, axis < rank - 2 {
            return try tileBatchAxisReduction(ops[0], kind: kind, source: source, axis: axis, into: top, sizes: sizes,
                                              hbmSources: sources, stores: stores)
        }
        let batch = batchShape(ops, stores: stores, hbmSources: sources)
        if !batch.isEmpty {
            return try tileBatched(ops, batch: batch, into: top, sizes: sizes, scalars: scalars, hbmSources: sources,
                                   stores: stores)
        }
        try tileMatrices(ops, into: top, sizes: sizes, scalars: scalars, hbmSources: sources, stores: stores)
    }

    /// Dispatches one group of values of rank 2 or less (or matrix views) to its tiler.
    mutating func tileMatrices(_ ops: [Operation], into top: TileEmitter, sizes: TileSizes, scalars: [ValueID: TileOperand],
                               hbmSources sources: [ValueID: ValueID], stores: [GroupStore]) throws(TilingError) {
        if let chain = ops.compactMap({ $0.result?.id }).first(where: { chains[$0] != nil }).flatMap({ chains[$0] }) {
            top.span = ops[0].span
            return try MatmulRowChainTiler(chain: chain, target: target, types: types, sizes: sizes, scalars: scalars,
                                           hbmSources: sources, stores: stores,
                                           blocksPerBody: schedule["chain_blocks"] ?? MatmulRowChainTiler.defaultBlocks,
                                           online: chainOnline)
                .emit(ops, into: top)
        }
        if let matmul = ops.first(where: { if case .matmul = $0.kind { true } else { false } }) {
            return try tileMatmul(matmul, epilogue: ops.filter { $0 != matmul }, into: top, sizes: sizes, scalars: scalars,
                                  hbmSources: sources, stores: stores)
        }
        if ops.count == 1, case .transpose(let source) = ops[0].kind {
            let (hbm, tensor) = try hbmOperand(source, of: ops[0], sources: sources)
            guard tensor.rank == 2 else { throw .unsupported(ops[0], "only 2-D tensors are transposed") }
            top.span = ops[0].span
            TransposeTiler(target: target, tile: sizes.m)
                .emit(into: top, source: hbm, outputs: stores.map(\.output.id), shape: tensor.shape, element: tensor.element)
            return
        }
        if ops.count == 1, case .reduce(let kind, let source, 0) = ops[0].kind,
           let shape = types[source]?.type.tensorType?.shape ?? types[source]?.type.hbmType?.shape, shape.count == 2 {
            let (hbm, tensor) = try hbmOperand(source, of: ops[0], sources: sources)
            guard tensor.rank == 2 else { throw .unsupported(ops[0], "its operand is held as \(IRType.hbm(tensor))") }
            top.span = ops[0].span
            let element = ops[0].result?.type.element ?? tensor.element
            ColumnReductionTiler(target: target, sizes: sizes)
                .emit(into: top, kind: kind, source: hbm, shape: tensor.shape, element: tensor.element,
                      resultElement: element, outputs: stores.map(\.output.id))
            return
        }
        if ops.count == 1, case .reduce(let kind, let source, 0) = ops[0].kind,
           (types[source]?.type.tensorType ?? types[source]?.type.hbmType)?.rank == 1 {
            let (hbm, tensor) = try hbmOperand(source, of: ops[0], sources: sources)
            guard tensor.rank == 1 else { throw .unsupported(ops[0], "its operand is held as \(IRType.hbm(tensor))") }
            top.span = ops[0].span
            ColumnReductionTiler(target: target, sizes: sizes)
                .emitFlat(into: top, kind: kind, source: hbm, elements: tensor.shape[0], element: tensor.element,
                          resultElement: ops[0].result?.type.element ?? tensor.element, outputs: stores.map(\.output.id))
            return
        }
        let buffers = max(1, function.schedule["bufs"] ?? DoubleBuffer.defaultBuffers)
        var rows = RowGroupTiler(target: target, types: types, sizes: sizes, buffers: buffers)
        try rows.emit(ops, into: top, scalars: scalars, hbmSources: sources, stores: stores)
    }

    /// The HBM tensor holding an operand of a standalone op (an input, an output or a scratch tensor).
    func hbmOperand(_ value: ValueID, of op: Operation,
                            sources: [ValueID: ValueID]) throws(TilingError) -> (ValueID, TensorType) {
        guard let hbm = sources[value], let tensor = types[hbm]?.type.hbmType else {
            throw TilingError(.at(op) { DiagnosticCatalogue.tilingValueCrossesLoopNests(
                types[value]?.nameHint.map { "%" + $0 } ?? "an operand of '\(op.opcode)'", at: $0) })
        }
        return (hbm, tensor)
    }

    private mutating func tileMatmul(_ matmul: Operation, epilogue: [Operation], into top: TileEmitter, sizes: TileSizes,
                                     scalars: [ValueID: TileOperand], hbmSources: [ValueID: ValueID],
                                     stores: [GroupStore]) throws(TilingError) {
        guard case .matmul(let a, let b) = matmul.kind else { throw .unsupported(matmul, "it is not a matmul") }
        let (aHBM, left) = try hbmOperand(a, of: matmul, sources: hbmSources)
        let (bHBM, right) = try hbmOperand(b, of: matmul, sources: hbmSources)
        guard left.rank == 2, right.rank == 2, left.shape[1] == right.shape[0] else {
            throw .unsupported(matmul, "both operands must be 2-D tensors ([M, K] @ [K, N])")
        }
        let (m, k, n) = (left.shape[0], left.shape[1], right.shape[1])
        let choice = MatmulBlocking.choose(m: m, k: k, n: n, element: left.element, sizes: sizes, target: target)
        // The K-blocked schedule keeps no slab: its own budget is checked below.
        let kBlocked = sizes.kBlocked ? MatmulBlocking(sizes: sizes, subtiles: 1, slabBytes: 0) : nil
        guard let blocking = kBlocked ?? choice.blocking else {
            throw TilingError(.at(matmul) { DiagnosticCatalogue.tilingMatmulSlabTooLarge(
                bytes: choice.bytesPerSlab, capacity: choice.budget, target: target.name, at: $0) })
        }
        top.span = matmul.span
        let tiler = MatmulTiler(matmul: matmul, epilogue: epilogue, blocking: blocking, target: target, types: types,
                                hbmSources: hbmSources, scalars: scalars, stores: stores)
        if sizes.kBlocked {
            let blocked = KBlockedMatmulTiler(tiler: tiler)
            let needs = blocked.bytesPerPartition(m: m, k: k, n: n, element: left.element)
            guard needs <= target.sbuf.bytesPerPartition else {
                throw TilingError(.at(matmul) { DiagnosticCatalogue.tilingKBlocksTooLarge(
                    bytes: needs, capacity: target.sbuf.bytesPerPartition, target: target.name, at: $0) })
            }
            return try blocked.emit(into: top, a: aHBM, b: bHBM, m: m, k: k, n: n, element: left.element)
        }
        try tiler.emit(into: top, a: aHBM, b: bHBM, m: m, k: k, n: n, element: left.element)
    }
}
