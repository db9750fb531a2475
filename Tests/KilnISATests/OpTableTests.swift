// OpTableTests.swift: the op table's own consistency: unique opcodes and mnemonics, fields the rules can see.

import KilnISA
import KilnMachine
import Testing

@Test func everyOpHasAUniqueMnemonicAndOpcode() {
    let mnemonics = EngineOp.allCases.map(\.mnemonic)
    #expect(Set(mnemonics).count == mnemonics.count)
    for op in EngineOp.allCases {
        #expect(EngineOp(mnemonic: op.mnemonic) == op)
        #expect(op.rawValue >= 0x10, "0x01-0x0F are the control opcodes")
        #expect(op.mnemonic.hasPrefix(op.engine.rawValue + "."), "\(op): the mnemonic names its engine")
    }
}

@Test func everyRuleAndCostNamesAFieldTheOpHas() {
    for op in EngineOp.allCases {
        let declaration = op.declaration
        let count = declaration.fields.count
        for rule in declaration.rules {
            let fields: [Int] = switch rule {
            case .sameShape(let a, let b), .sameElements(let a, let b): [a, b]
            case .fitsWithin(let s, let d): [s, d]
            case .partitionBroadcast(let s, let d): [s, d]
            case .perPartition(let a, let like): [a, like]
            case .reducesLastFreeDim(let s, let d): [s, d]
            case .matmul(let s, let m, let acc): [s, m, acc]
            case .transpose(let s, let d): [s, d]
            case .functionOnTarget(let f): [f]
            case .transferElement(let h, let t): [h, t]
            case .integerIn(let f, _): [f]
            case .initialOnlyForAdd(let op, let initial): [op, initial]
            case .gather(let table, let indices, let tile): [table, indices, tile]
            case .columnWindow(let s, let offset, let d): [s, offset, d]
            case .stridedWindow(let s, let offset, let step, let d): [s, offset, step, d]
            case .freeBroadcast(let source, let destination): [source, destination]
            case .dmaSteps(let hbm, let transpose, let broadcast, let row, let column): [hbm, transpose, broadcast, row, column]
            case .eightPerPartition(let data, let values, let destination): [data, values ?? data, destination]
            case .statistics(let source, let destination, _, _, _): [source, destination]
            case .mxOnTarget: []
            case .mxQuantize(let source, let destination, _): [source, destination]
            case .matmulMX(let s, let m, let ss, let ms, let acc): [s, m, ss, ms, acc]
            }
            #expect(fields.allSatisfy { $0 < count }, "\(op): \(rule)")
        }
        if case .dmaTransfer(let tile, let hbm, let flag) = declaration.cost {
            #expect(tile < count && hbm < count && (flag ?? 0) < count)
            #expect(op.engine == .dma)
        }
        let names = declaration.fields.map(\.name)
        #expect(Set(names).count == names.count, "\(op): field names are unique")
        #expect(declaration.fields.contains { $0.access != nil && $0.access != .read }, "\(op) writes something")
    }
}

@Test func aReductionStartsAtAValueOnlyWhenItAdds() {
    let declaration = EngineOp.dveReduce.declaration
    let row = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [512])
    let column = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [1])
    func violations(_ op: EngineReduceOp, _ initial: OperandFact) -> [RuleViolation] {
        let facts = OperandFacts([.reduceOperator(op), .tile(row), .tile(column), initial])
        return declaration.violations(facts, target: .trn1)
    }
    #expect(violations(.add, .scalarTile(column)).isEmpty)
    #expect(violations(.max, .scalarConstant(0)).isEmpty)
    #expect(violations(.max, .scalarTile(column)).count == 1)
    #expect(violations(.min, .scalarConstant(2)).count == 1)
}

@Test func aGatherNeedsARankTwoTableOfTheTilesElementAndI32Indices() {
    let declaration = EngineOp.dmaGather.declaration
    let rows = TileShape(space: .sbuf, element: .bf16, partitions: 128, freeDims: [64])
    let ok = OperandFacts([.hbm(.bf16, [1000, 64]), .hbm(.i32, [2, 300]), .tile(rows)])
    #expect(declaration.violations(ok, target: .trn1).isEmpty)
    let wrongElement = OperandFacts([.hbm(.f32, [1000, 64]), .hbm(.i32, [300]), .tile(rows)])
    #expect(declaration.violations(wrongElement, target: .trn1).count == 1)
    let narrowTable = OperandFacts([.hbm(.bf16, [1000, 32]), .hbm(.i32, [300]), .tile(rows)])
    #expect(declaration.violations(narrowTable, target: .trn1).count == 1)
    let floatIndices = OperandFacts([.hbm(.bf16, [1000, 64]), .hbm(.f32, [300]), .tile(rows)])
    #expect(declaration.violations(floatIndices, target: .trn1) == [.immediate(role: "indices", expected: "an i32 tensor", found: "f32")])
    #expect(DMAGather.tableExtents(rows: 1000, free: 64) == [1000, 64])
    #expect(DMAGather.indexExtents(rank: 3, partitions: 128) == [1, 1, 128])
}

@Test func aRuleBrokenByTheOperandsIsReported() {
    let declaration = EngineOp.dveTensorTensor.declaration
    let a = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [64])
    let b = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [32])
    let facts = OperandFacts([.binaryOperator(.add), .tile(a), .tile(b), .tile(a)])
    let found = declaration.violations(facts, target: .trn1)
    #expect(found == [.shape("\(b) and \(a)")])
    #expect(declaration.violations(OperandFacts([.binaryOperator(.add), .tile(a), .tile(a), .tile(a)]), target: .trn1).isEmpty)
}

@Test func aCornerSourceLargerThanItsDestinationInAnyDimIsReported() {
    let declaration = EngineOp.dveTensorCorner.declaration
    let full = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [64])
    let rows = TileShape(space: .sbuf, element: .f32, partitions: 44, freeDims: [64])
    let wide = TileShape(space: .sbuf, element: .f32, partitions: 44, freeDims: [65])
    #expect(declaration.violations(OperandFacts([.binaryOperator(.add), .tile(rows), .tile(full)]), target: .trn1).isEmpty)
    #expect(declaration.violations(OperandFacts([.binaryOperator(.add), .tile(wide), .tile(full)]), target: .trn1)
        == [.shape("\(wide) does not fit within \(full)")])
    #expect(declaration.violations(OperandFacts([.binaryOperator(.add), .tile(full), .tile(rows)]), target: .trn1)
        == [.shape("\(full) does not fit within \(rows)")])
}

@Test func costsComeFromTheMachineFormulas() {
    let tile = TileShape(space: .sbuf, element: .bf16, partitions: 128, freeDims: [512])
    let psum = TileShape(space: .psum, element: .f32, partitions: 128, freeDims: [512])
    let matmul = OperandFacts([.tile(tile), .tile(tile), .tile(psum), .condition(isAlways: true), .condition(isAlways: true)])
    #expect(EngineOp.peMatmul.declaration.cycles(matmul, target: .trn1) == MachineTarget.trn1.matmulCycles(m: 512, n: 512, input: .bf16))
    let copy = OperandFacts([.tile(tile), .tile(tile)])
    // N plus the 60-cycle access start; on trn2 a bf16 SBUF-to-SBUF copy runs in the perf mode (N / 4), a copy
    // out of PSUM does not.
    #expect(EngineOp.dveCopy.declaration.cycles(copy, target: .trn1) == 512 + 60)
    #expect(EngineOp.dveCopy.declaration.cycles(copy, target: .trn2) == 128 + 60)
    let evacuation = OperandFacts([.tile(psum), .tile(tile)])
    #expect(EngineOp.dveCopy.declaration.cycles(evacuation, target: .trn2) == 512 + 60)
}

@Test func anIntegerOutsideItsRangeBreaksTheRule() {
    let fields = [OperandField("axis", .integer, .keyword())]
    let rule = OperandRule.integerIn(0, 0...1)
    #expect(rule.violations(OperandFacts([.integer(1)]), fields: fields, target: .trn1).isEmpty)
    #expect(rule.violations(OperandFacts([.integer(2)]), fields: fields, target: .trn1) == [.immediate(role: "axis", expected: "a value in 0...1", found: "2")])
}

@Test func aColumnWindowStaysInsideItsSourceAndPartitions() {
    let declaration = EngineOp.dveCopyColumns.declaration
    let row = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [512])
    func violations(_ offset: Int, partitions: Int = 128, free: Int = 1) -> [RuleViolation] {
        let window = TileShape(space: .sbuf, element: .bf16, partitions: partitions, freeDims: [free])
        return declaration.violations(OperandFacts([.tile(row), .integer(offset), .tile(window)]), target: .trn1)
    }
    #expect(violations(511).isEmpty)
    #expect(violations(0, free: 512).isEmpty)
    #expect(violations(512).count == 1)
    #expect(violations(1, free: 512).count == 1)
    #expect(violations(-1).count == 1)
    #expect(violations(3, partitions: 64).isEmpty)
    #expect(violations(3, partitions: 129).count == 1)
}

@Test func anIndirectLoadNeedsAnI32IndexTileWithTheTilesPartitions() {
    let declaration = EngineOp.dmaIndirectLoad.declaration
    let rows = TileShape(space: .sbuf, element: .bf16, partitions: 128, freeDims: [64])
    let index = TileShape(space: .sbuf, element: .i32, partitions: 128, freeDims: [1])
    #expect(declaration.violations(OperandFacts([.hbm(.bf16, [1000, 64]), .tile(index), .tile(rows)]), target: .trn1).isEmpty)
    let floatIndex = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [1])
    let fewer = TileShape(space: .sbuf, element: .i32, partitions: 64, freeDims: [1])
    let wide = TileShape(space: .sbuf, element: .i32, partitions: 128, freeDims: [2])
    for bad in [floatIndex, fewer, wide] {
        #expect(declaration.violations(OperandFacts([.hbm(.bf16, [1000, 64]), .tile(bad), .tile(rows)]), target: .trn1)
            == [.operand(role: "indices", expected: "an i32 [128 | 1] index tile", found: bad)])
    }
    #expect(declaration.violations(OperandFacts([.hbm(.bf16, [1000, 32]), .tile(index), .tile(rows)]), target: .trn1).count == 1)
}

@Test func aStridedWindowStaysInsideItsSourceWithAPositiveStep() {
    let declaration = EngineOp.dveCopyStrided.declaration
    let source = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [200])
    let half = TileShape(space: .sbuf, element: .f32, partitions: 128, freeDims: [100])
    func facts(_ offset: Int, _ step: Int, _ destination: TileShape) -> OperandFacts {
        OperandFacts([.tile(source), .integer(offset), .integer(step), .tile(destination)])
    }
    #expect(declaration.violations(facts(0, 2, half), target: .trn1).isEmpty)
    #expect(declaration.violations(facts(1, 2, half), target: .trn1).isEmpty)    // the last element read is 199
    #expect(declaration.violations(facts(2, 2, half), target: .trn1).count == 1)  // 200 is past the source
    #expect(declaration.violations(facts(0, 0, half), target: .trn1).count == 1)
    let more = TileShape(space: .sbuf, element: .f32, partitions: 129, freeDims: [10])
    #expect(declaration.violations(facts(0, 2, more), target: .trn1).count == 1)
}

@Test func theMXOpsTakeWholeBlocksAndRunOnlyWhereTheTargetHasTheMXMode() {
    func tile(_ partitions: Int, _ free: Int, _ element: ElementType = .f32, _ space: MemorySpace = .sbuf) -> TileShape {
        TileShape(space: space, element: element, partitions: partitions, freeDims: [free])
    }
    func quantize(_ source: TileShape, _ destination: TileShape, target: MachineTarget = .trn3) -> [RuleViolation] {
        EngineOp.dveQuantizeMX.declaration.violations(OperandFacts([.tile(source), .tile(destination)]), target: target)
    }
    #expect(quantize(tile(128, 512, .bf16), tile(128, 512, .f8e4m3fn)).isEmpty)
    #expect(quantize(tile(128, 48, .bf16), tile(128, 48, .f8e4m3fn)).count == 1)      // not whole blocks
    #expect(quantize(tile(128, 64, .bf16), tile(128, 64, .bf16)).count == 1)          // not an MX element type
    #expect(quantize(tile(128, 64, .bf16), tile(128, 64, .f4e2m1fn), target: .trn2).count == 1)   // no MX mode
    let scales = EngineOp.dveScaleMX.declaration
    #expect(scales.violations(OperandFacts([.tile(tile(128, 64)), .tile(tile(128, 2)), .integer(2)]), target: .trn3).isEmpty)
    #expect(scales.violations(OperandFacts([.tile(tile(128, 64)), .tile(tile(128, 64)), .integer(2)]), target: .trn3).count == 1)
    let matmul = EngineOp.peMatmulMX.declaration
    func mm(_ s: TileShape, _ m: TileShape, _ ss: TileShape, _ ms: TileShape, target: MachineTarget = .trn3) -> [RuleViolation] {
        matmul.violations(OperandFacts([.tile(s), .tile(m), .tile(ss), .tile(ms), .tile(tile(128, 512, .f32, .psum)),
                                        .condition(isAlways: true), .condition(isAlways: true)]), target: target)
    }
    #expect(mm(tile(96, 128, .f8e4m3fn), tile(96, 512, .f4e2m1fn), tile(3, 128), tile(3, 512)).isEmpty)
    #expect(mm(tile(96, 128, .bf16), tile(96, 512, .f8e5m2), tile(3, 128), tile(3, 512)).count == 1)
    #expect(mm(tile(96, 128, .f8e4m3fn), tile(96, 512, .f8e5m2), tile(96, 128), tile(3, 512)).count == 1)
    #expect(mm(tile(80, 128, .f8e4m3fn), tile(80, 512, .f8e5m2), tile(2, 128), tile(2, 512)).count >= 1)   // K = 80
    #expect(mm(tile(96, 128, .f8e4m3fn), tile(96, 512, .f8e5m2), tile(3, 128), tile(3, 512), target: .trn1).count == 1)
    // trn3: a quarter of the bf16 instruction's max(min(64, M), N) cycles; trn1 has no MX mode (bf16's, unused).
    let facts = OperandFacts([.tile(tile(128, 128, .f8e4m3fn)), .tile(tile(128, 512, .f8e4m3fn)), .tile(tile(4, 128)),
                              .tile(tile(4, 512)), .tile(tile(128, 512, .f32, .psum)), .condition(isAlways: true), .condition(isAlways: true)])
    #expect(matmul.cycles(facts, target: .trn3) == 128)
    #expect(EngineOp.peMatmul.declaration.cycles(OperandFacts([.tile(tile(128, 128, .bf16)), .tile(tile(128, 512, .bf16)),
                                                               .tile(tile(128, 512, .f32, .psum)), .condition(isAlways: true),
                                                               .condition(isAlways: true)]), target: .trn3) == 512)
}

@Test func bnStatsTakesAtMost512ElementsAndBnAggrWholeTuples() {
    func tile(_ free: Int, _ element: ElementType = .f32) -> TileShape {
        TileShape(space: .sbuf, element: element, partitions: 128, freeDims: [free])
    }
    func violations(_ op: EngineOp, _ source: TileShape, _ destination: TileShape) -> [RuleViolation] {
        op.declaration.violations(OperandFacts([.tile(source), .tile(destination)]), target: .trn1)
    }
    #expect(violations(.dveBnStats, tile(512), tile(6)).isEmpty)
    #expect(violations(.dveBnStats, tile(513), tile(6)).count == 1)
    #expect(violations(.dveBnStats, tile(64, .i32), tile(6)).count == 1)
    #expect(violations(.dveBnStats, tile(64), tile(2)).count == 1)
    #expect(violations(.dveBnAggr, tile(96), tile(2)).isEmpty)
    #expect(violations(.dveBnAggr, tile(7), tile(2)).count == 1)
    #expect(violations(.dveBnAggr, tile(96), tile(6)).count == 1)
    // NKI's estimates [isa]: bn_stats max(64, N), bn_aggr max(64, 13 N / 3), each plus the 60-cycle access start.
    #expect(EngineOp.dveBnStats.declaration.cycles(OperandFacts([.tile(tile(512)), .tile(tile(6))]), target: .trn1) == 572)
    #expect(EngineOp.dveBnAggr.declaration.cycles(OperandFacts([.tile(tile(96)), .tile(tile(2))]), target: .trn1) == 476)
}
