// StreamBuilder.swift: walks a tile-level function and distributes its ops over per-engine and per-queue streams.

import KilnBytecode
import KilnMachine
import KilnSource
import KilnTileIR

/// Builds the tables and streams of one kernel (the algorithm is described on `SimBackend`).
struct StreamBuilder {
    let function: Function
    let target: String
    let sourcePath: String
    let kernelSource: SourceFile?
    let values: [ValueID: ValueDef]

    var diagnostics: [Diagnostic] = []
    var tensors: [TensorEntry] = []
    var tensorIndex: [ValueID: Int] = [:]
    var buffers: [BufferEntry] = []
    var bufferIndex: [ValueID: Int] = [:]
    var semaphoreCount = 0
    var loopSlotCount = 0
    /// The IR loops enclosing the current op, outermost first: induction variable, slot, the loop op.
    var loopStack: [(variable: ValueID, slot: Int, op: Operation)] = []
    var streams: [StreamUnit: InstructionStream] = [:]
    /// For each stream, the slots of the loops it has opened (always a prefix of `loopStack`).
    var openLoops: [StreamUnit: [Int]] = [:]
    var lastDMAQueue = 0
    /// Scalar values defined by `constant` ops (scalar parameters bound at compile time, folded scalars):
    /// scalar operands that name them become immediate constants.
    var scalarConstants: [ValueID: Double] = [:]

    init(function: Function, target: String, sourcePath: String, kernelSource: SourceFile?) {
        self.function = function
        self.target = target
        self.sourcePath = sourcePath
        self.kernelSource = kernelSource
        self.values = function.valueTable()
    }

    mutating func build() -> BytecodeProgram {
        for parameter in function.parameters { addTensor(parameter.value, role: .input, defaultValue: parameter.defaultValue) }
        for output in function.outputs { addTensor(output, role: .output, defaultValue: nil) }
        visit(function.body)
        return BytecodeProgram(target: target, kernelName: function.name, sourcePath: sourcePath, tensors: tensors,
                               buffers: buffers, semaphoreCount: semaphoreCount, loopSlotCount: loopSlotCount,
                               streams: streams.keys.sorted().compactMap { streams[$0] })
    }

    mutating func addTensor(_ value: ValueDef, role: TensorRole, defaultValue: Double?) {
        let name = value.nameHint ?? "\(value.id.raw)"
        switch value.type {
        case .hbm(let tensor):
            tensorIndex[value.id] = tensors.count
            tensors.append(TensorEntry(name: name, dtype: tensor.element, shape: tensor.shape, role: role))
        case .scalar(let element) where role != .scratch:
            tensors.append(TensorEntry(name: name, dtype: element, shape: [], role: .scalar, defaultValue: defaultValue))
        default:
            diagnostics.append(DiagnosticCatalogue.simBackendInvalidIR(
                "parameter or output %\(name) is \(value.type); the sim backend needs HBM tensors", at: function.span))
        }
    }

    private mutating func visit(_ block: Block) {
        for op in block.ops { visit(op) }
    }

    private mutating func visit(_ op: Operation) {
        switch op.kind {
        case .forLoop(let loop):
            let slot = loopSlotCount
            loopSlotCount += 1
            loopStack.append((loop.inductionVariable.id, slot, op))
            visit(loop.body)
            loopStack.removeLast()
            let closing = openLoops.keys.filter { openLoops[$0]?.last == slot }
            let endLine = line(of: op)
            for unit in closing {
                openLoops[unit]?.removeLast()
                streams[unit]?.append(Instruction(.loopEnd, [.loopSlot(slot)]), line: endLine)
            }
        case .alloc(let tile, let placement):
            allocate(op, tile, placement)
        case .view(let base, let offset):
            view(op, of: base, offset: offset)
        case .hbmAlloc:
            // A scratch tensor: a tensor-table entry of role scratch, named uniquely after its IR name.
            guard let result = op.result else { return }
            let base = result.nameHint ?? "scratch"
            var name = base
            var suffix = 1
            while tensors.contains(where: { $0.name == name }) {
                name = "\(base).\(suffix)"
                suffix += 1
            }
            addTensor(ValueDef(id: result.id, type: result.type, nameHint: name), role: .scratch, defaultValue: nil)
        case .constant(let value):
            guard let result = op.result, case .scalar = result.type else {
                diagnostics.append(DiagnosticCatalogue.simBackendUnsupportedOp(op.opcode, at: op.span))
                return
            }
            scalarConstants[result.id] = value
        case .ret(let results):
            if !results.isEmpty { diagnostics.append(DiagnosticCatalogue.simBackendUnsupportedOp("return with values", at: op.span)) }
        case .syncSignal(let semaphore, let engine, let queue), .syncWait(let semaphore, _, let engine, let queue):
            semaphoreCount = max(semaphoreCount, semaphore + 1)
            let unit: StreamUnit = engine == .dma ? .dmaQueue(queue ?? lastDMAQueue) : .engine(engine)
            if let instruction = select(op) { append(instruction, to: unit, op) }
        case .engine(let instruction):
            let unit: StreamUnit
            if instruction.op.engine == .dma {
                lastDMAQueue = instruction.queue ?? 0
                unit = .dmaQueue(lastDMAQueue)
            } else {
                unit = .engine(instruction.op.engine)
            }
            if let selected = select(op) { append(selected, to: unit, op) }
        default:
            diagnostics.append(DiagnosticCatalogue.simBackendUnsupportedOp(op.opcode, at: op.span))
        }
    }

    /// A `view`: a buffer-table entry over its base's memory (the same first partition, `offset` elements on), so
    /// the simulator reads and writes the base's bytes through it and checks races on them.
    private mutating func view(_ op: Operation, of base: ValueID, offset: Int) {
        guard let result = op.result, case .tile(let tile) = result.type, let index = bufferIndex[base] else {
            if let result = op.result {
                diagnostics.append(DiagnosticCatalogue.simBackendUnplacedTile("%\(result.nameHint ?? "\(result.id.raw)")", at: op.span))
            }
            return
        }
        let whole = buffers[index]
        bufferIndex[result.id] = buffers.count
        buffers.append(BufferEntry(name: result.nameHint ?? "\(result.id.raw)", space: whole.space, dtype: whole.dtype,
                                   partitionStart: whole.partitionStart, partitions: tile.partitions,
                                   offset: whole.offset + offset * whole.dtype.byteSize, freeDims: tile.freeDims))
    }

    private mutating func allocate(_ op: Operation, _ tile: TileType, _ placement: TilePlacement?) {
        guard let result = op.result else { return }
        let name = result.nameHint ?? "\(result.id.raw)"
        guard let placement else {
            diagnostics.append(DiagnosticCatalogue.simBackendUnplacedTile("%\(name)", at: op.span))
            return
        }
        bufferIndex[result.id] = buffers.count
        buffers.append(BufferEntry(name: name, space: tile.space, dtype: tile.element, partitionStart: placement.partition,
                                   partitions: tile.partitions, offset: placement.offset, freeDims: tile.freeDims))
    }

    /// Appends to a stream, first opening the enclosing loops the stream has not opened yet.
    private mutating func append(_ instruction: Instruction, to unit: StreamUnit, _ op: Operation) {
        var stream = streams[unit] ?? InstructionStream(unit: unit)
        var open = openLoops[unit] ?? []
        for loop in loopStack.dropFirst(open.count) {
            guard case .forLoop(let body) = loop.op.kind else { continue }
            stream.append(Instruction(.loopBegin, [.loopSlot(loop.slot), .integer(body.lowerBound), .integer(body.tripCount),
                                                   .integer(body.step)]), line: line(of: loop.op))
            open.append(loop.slot)
        }
        stream.append(instruction, line: line(of: op))
        streams[unit] = stream
        openLoops[unit] = open
    }

    func line(of op: Operation) -> LineEntry {
        guard let kernelSource, op.span.isKnown else { return .unknown }
        let position = kernelSource.lineColumn(of: op.span.start)
        return LineEntry(line: position.line, column: position.column)
    }

    /// The loop slot of an induction variable, if it belongs to an enclosing loop.
    func slot(of variable: ValueID) -> Int? {
        loopStack.last { $0.variable == variable }?.slot
    }

    func name(of value: ValueID) -> String {
        "%" + (values[value]?.nameHint ?? "\(value.raw)")
    }
}
