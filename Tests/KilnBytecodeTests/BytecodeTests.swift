// BytecodeTests.swift: encoder/decoder round trip, the opcode table, validator errors, the disassembly.

import KilnBytecode
import KilnMachine
import KilnSimBackend
import KilnSource
import KilnTileIR
import Testing

/// A program that uses every opcode and every operand kind (it need not make numerical sense).
func everyOpcodeProgram() -> BytecodeProgram {
    let tile = BufferEntry(name: "t", space: .sbuf, dtype: .f32, partitionStart: 0, partitions: 64, offset: 0, freeDims: [64])
    let column = BufferEntry(name: "c", space: .sbuf, dtype: .f32, partitionStart: 0, partitions: 64, offset: 512, freeDims: [1])
    let acc = BufferEntry(name: "acc", space: .psum, dtype: .f32, partitionStart: 0, partitions: 64, offset: 0, freeDims: [64])
    let row = BufferEntry(name: "r", space: .sbuf, dtype: .f32, partitionStart: 0, partitions: 1, offset: 1024, freeDims: [64])
    let eight = BufferEntry(name: "e", space: .sbuf, dtype: .f32, partitionStart: 0, partitions: 64, offset: 1536, freeDims: [8])
    let positions = BufferEntry(name: "i", space: .sbuf, dtype: .i32, partitionStart: 0, partitions: 64, offset: 1600, freeDims: [8])
    let rowIndex = BufferEntry(name: "ri", space: .sbuf, dtype: .i32, partitionStart: 0, partitions: 64, offset: 1632, freeDims: [1])
    let stats = BufferEntry(name: "s", space: .sbuf, dtype: .f32, partitionStart: 0, partitions: 64, offset: 1664, freeDims: [6])
    let meanVar = BufferEntry(name: "mv", space: .sbuf, dtype: .f32, partitionStart: 0, partitions: 64, offset: 1696, freeDims: [2])
    let mxData = BufferEntry(name: "q", space: .sbuf, dtype: .f8e4m3fn, partitionStart: 0, partitions: 64, offset: 1712, freeDims: [64])
    let mxRowScales = BufferEntry(name: "qs", space: .sbuf, dtype: .f32, partitionStart: 0, partitions: 64, offset: 1776, freeDims: [2])
    let mxScales = BufferEntry(name: "ms", space: .sbuf, dtype: .f32, partitionStart: 0, partitions: 2, offset: 1784, freeDims: [64])
    let offset = AffineOffset(constant: 4, terms: [.init(slot: 1, coefficient: 64)])
    let body: [Instruction] = [
        Instruction(.loopBegin, [.loopSlot(0), .integer(0), .integer(2), .integer(1)]),
        Instruction(.semWait, [.semaphore(1), .affine(AffineOffset(constant: 1))]),
        Instruction(.engine(.peMatmul), [.buffer(0), .buffer(0), .buffer(2), .condition(.when(slot: 0, equals: 0)), .condition(.always)]),
        Instruction(.engine(.peTranspose), [.buffer(0), .buffer(2)]),
        Instruction(.engine(.peMatmulMX), [.buffer(9), .buffer(9), .buffer(11), .buffer(11), .buffer(2), .condition(.always),
                                           .condition(.when(slot: 0, equals: 1))]),
        Instruction(.semSignal, [.semaphore(0)]),
        Instruction(.loopEnd, [.loopSlot(0)]),
    ]
    var streams = [InstructionStream(unit: .engine(.pe), instructions: body,
                                     lines: body.indices.map { LineEntry(line: $0 + 1, column: 3) })]
    let others: [(StreamUnit, [Instruction])] = [
        (.engine(.act), [Instruction(.engine(.actActivate), [.activationFunction(.gelu), .buffer(0), .buffer(0), .scalarSource(.constant(0.5)),
                                                           .scalarSource(.buffer(1)), .reduceInto(nil)]),
                         Instruction(.engine(.actActivate), [.activationFunction(.exp), .buffer(2), .buffer(0), .scalarSource(.buffer(1)),
                                                           .scalarSource(.constant(-1.5)), .reduceInto(ReduceInto(.max, into: 1))])]),
        (.engine(.dve), [Instruction(.engine(.dveTensorTensor), [.binaryOperator(.rem), .buffer(0), .buffer(0), .buffer(0)]),
                         Instruction(.engine(.dveTensorScalar), [.binaryOperator(.lt), .buffer(0), .scalarSource(.constant(2)), .buffer(0),
                                                                   .reduceInto(ReduceInto(.max, into: 1))]),
                         Instruction(.engine(.dveReduce), [.reduceOperator(.add), .buffer(0), .buffer(1), .scalarSource(.buffer(1))]),
                         Instruction(.engine(.dveCopy), [.buffer(2), .buffer(0)]),
                         Instruction(.engine(.dveReciprocal), [.buffer(0), .buffer(0)]),
                         Instruction(.engine(.dveIota), [.integer(1), .integer(-4), .buffer(0)]),
                         Instruction(.engine(.dveTensorCorner), [.binaryOperator(.add), .buffer(1), .buffer(0)]),
                         Instruction(.engine(.dveTensorScan), [.binaryOperator(.mul), .binaryOperator(.add), .buffer(0), .buffer(0),
                                                               .buffer(0), .scalarSource(.buffer(1))]),
                         Instruction(.engine(.dvePartitionBroadcast), [.buffer(3), .buffer(0)]),
                         Instruction(.engine(.dveFreeBroadcast), [.buffer(1), .buffer(0)]),
                         Instruction(.engine(.dveCopyColumns), [.buffer(0), .integer(3), .buffer(1)]),
                         Instruction(.engine(.dveCopyStrided), [.buffer(0), .integer(1), .integer(2), .buffer(1)]),
                         Instruction(.engine(.dveMax8), [.buffer(0), .buffer(4)]),
                         Instruction(.engine(.dveFindIndex8), [.buffer(0), .buffer(4), .buffer(5)]),
                         Instruction(.engine(.dveBnStats), [.buffer(0), .buffer(7)]),
                         Instruction(.engine(.dveBnAggr), [.buffer(7), .buffer(8)]),
                         Instruction(.engine(.dveQuantizeMX), [.buffer(0), .buffer(9)]),
                         Instruction(.engine(.dveScaleMX), [.buffer(0), .buffer(10), .integer(15)])]),
        (.engine(.pool), [Instruction(.engine(.poolIota), [.affine(AffineOffset(constant: -3)), .integer(1), .integer(-1), .buffer(0)]),
                          Instruction(.engine(.poolSelect), [.buffer(0), .buffer(0), .buffer(0), .buffer(0)]),
                          Instruction(.engine(.poolAffineSelect), [.buffer(0), .buffer(0), .affine(AffineOffset(constant: 5)), .integer(1), .integer(-1),
                                                                   .float(-.infinity)])]),
        (.dmaQueue(5), [Instruction(.loopBegin, [.loopSlot(1), .integer(0), .integer(2), .integer(1)]),
                        Instruction(.engine(.dmaLoad), [.tensor(0), .affineList([offset, .init()]), .buffer(0), .flag(false), .flag(false),
                                                        .integer(2), .integer(1)]),
                        Instruction(.engine(.dmaStore), [.buffer(0), .tensor(1), .affineList([.init(), .init(terms: [.init(slot: 1, coefficient: 64)])])]),
                        Instruction(.engine(.dmaGather), [.tensor(0), .affineList([.init(), .init()]), .tensor(3),
                                                          .affineList([.init(terms: [.init(slot: 1, coefficient: 32)])]), .buffer(0)]),
                        Instruction(.engine(.dmaIndirectLoad), [.tensor(0), .affineList([.init(), .init()]), .buffer(6), .buffer(0)]),
                        Instruction(.engine(.dmaScatterAdd), [.buffer(0), .tensor(1), .affineList([.init(), .init()]), .tensor(3),
                                                              .affineList([.init(terms: [.init(slot: 1, coefficient: 32)])])]),
                        Instruction(.loopEnd, [.loopSlot(1)])]),
    ]
    for (unit, instructions) in others {
        streams.append(InstructionStream(unit: unit, instructions: instructions, lines: instructions.map { _ in .unknown }))
    }
    return BytecodeProgram(
        target: "trn3", kernelName: "every", sourcePath: "every.kiln",   // trn3: the MX ops need its MX mode
        tensors: [TensorEntry(name: "x", dtype: .f32, shape: [132, 64], role: .input),
                  TensorEntry(name: "y", dtype: .f32, shape: [64, 128], role: .output),
                  TensorEntry(name: "eps", dtype: .f32, shape: [], role: .scalar, defaultValue: 1e-5),
                  TensorEntry(name: "ids", dtype: .i32, shape: [128], role: .input)],
        buffers: [tile, column, acc, row, eight, positions, rowIndex, stats, meanVar, mxData, mxRowScales, mxScales], semaphoreCount: 2, loopSlotCount: 2, streams: streams)
}

@Test func everyOpcodeIsExercisedAndRoundTrips() throws {
    let program = everyOpcodeProgram()
    let used = Set(program.streams.flatMap { $0.instructions.map(\.opcode) })
    #expect(used == Set(Opcode.allCases))
    let bytes = BytecodeEncoder.encode(program)
    let (decoded, layout) = try BytecodeDecoder.decode(bytes)
    #expect(decoded == program)
    #expect(BytecodeEncoder.encode(decoded) == bytes)
    #expect(layout.instructionOffsets.map(\.count) == program.streams.map(\.instructions.count))
    try BytecodeValidator.validate(decoded, layout: layout)
}

@Test func opcodeTableIsConsistent() {
    #expect(Set(Opcode.allCases.map(\.spec.mnemonic)).count == Opcode.allCases.count)
    for opcode in Opcode.allCases {
        let names = opcode.spec.fields.map(\.name)
        #expect(Set(names).count == names.count, "\(opcode) repeats a field name")
    }
}

/// Validates bytes and returns the error's message and offset.
private func rejection(_ bytes: [UInt8]) -> BytecodeError? {
    do {
        _ = try BytecodeValidator.load(bytes)
        return nil
    } catch {
        return error
    }
}

@Test func malformedFilesAreRejectedAtTheirByteOffset() throws {
    let bytes = BytecodeEncoder.encode(everyOpcodeProgram())
    var badMagic = bytes
    badMagic[1] = 0
    #expect(rejection(badMagic)?.diagnostic.id.code == "K4002")
    #expect(rejection(Array(bytes.prefix(40)))?.diagnostic.id.code == "K4001")
    var badVersion = bytes
    badVersion[8] = 9
    let versionError = try #require(rejection(badVersion))
    #expect(versionError.byteOffset == 8)
    #expect(versionError.description.hasPrefix("at byte 8 (0x8): bytecode version 9"))
    #expect(rejection(bytes + [0])?.diagnostic.id.code == "K4006")
    let (_, layout) = try BytecodeDecoder.decode(bytes)
    let matmulOffset = layout.instructionOffsets[0][2]
    var badOpcode = bytes
    badOpcode[matmulOffset] = 0xEE
    let opcodeError = try #require(rejection(badOpcode))
    #expect(opcodeError.diagnostic.id.code == "K4005")
    #expect(opcodeError.byteOffset == matmulOffset)
}

@Test func validatorNamesTheBrokenRule() {
    func message(_ change: (inout BytecodeProgram) -> Void) -> String {
        var program = everyOpcodeProgram()
        change(&program)
        do {
            try BytecodeValidator.validate(program)
            return "accepted"
        } catch {
            return error.diagnostic.message
        }
    }
    #expect(message { _ in } == "accepted")
    #expect(message { $0.target = "trn9" }.contains("'trn9' is not a known target"))
    #expect(message { $0.buffers[0].offset = 262_100 }.contains("spans bytes 262100..<262356"))   // trn3: 256 KiB a partition
    #expect(message { $0.buffers[0].partitionStart = 100 }.contains("covers partitions 100..<164"))
    #expect(message { $0.streams[0].instructions[2].operands[2] = .buffer(12) }.contains("buffer 12 does not exist"))
    #expect(message { $0.target = "trn2" }.contains("the MX mode (nc_matmul_mx / quantize_mx, NeuronCore-v4) is not supported"))
    #expect(message { $0.streams[0].instructions[1].operands[0] = .semaphore(2) }.contains("semaphore 2 does not exist"))
    #expect(message { $0.streams[0].instructions.removeLast(); $0.streams[0].lines.removeLast() }.contains("still open"))
    #expect(message { $0.streams[1].unit = .dmaQueue(9) }.contains("cannot run on dma.q9"))
    #expect(message { $0.streams[4].instructions[1].operands[1] = .affineList([.init(terms: [.init(slot: 0, coefficient: 1)]), .init()]) }
        .contains("needs an enclosing loop L0"))
    #expect(message { $0.streams[3].instructions[0].operands[3] = .buffer(2) }.contains("pool cannot write psum"))
    #expect(message { $0.buffers[2].dtype = .bf16 }.contains("accumulator must be an f32 psum tile"))
    #expect(message { $0.streams[4].instructions[2].operands[1] = .tensor(0) }.contains("not an output"))
    #expect(message { $0.streams[0].instructions[0].operands[2] = .integer(-1) }.contains("trips and step must be"))
}

@Test func disassemblyShowsStreamsLoopsAndSourceLines() {
    let text = BytecodeDisassembler(everyOpcodeProgram(), sourceLine: { "  line \($0) text" }).render()
    #expect(text.contains("stream pe: 7 instructions"))
    #expect(text.contains("pe.matmul_mx stationary B9(%q) moving B9(%q) stationary_scale B11(%ms) moving_scale B11(%ms) acc B2(%acc)"))
    #expect(text.contains("dve.scale_mx src B0(%t) dst B10(%qs) emax 15"))
    #expect(text.contains("     0  loop slot L0 from 0 trips 2 step 1  ; every.kiln:1:3  line 1 text"))
    #expect(text.contains("     2    pe.matmul stationary B0(%t) moving B0(%t) acc B2(%acc) start L0==0 stop always"))
    #expect(text.contains("dma.load src T0(%x) at [64*L1 + 4, 0] dst B0(%t) transpose no broadcast no row_step 2 column_step 1"))
    #expect(text.contains("T2 %eps: scalar f32 = 1e-05"))
    #expect(text.contains("stream dma.q5: 7 instructions"))
    #expect(text.contains("dma.gather table T0(%x) table_at [0, 0] indices T3(%ids) indices_at [32*L1] dst B0(%t)"))
    #expect(text.contains("dma.scatter_add src B0(%t) table T1(%y) table_at [0, 0] indices T3(%ids) indices_at [32*L1]"))
}
