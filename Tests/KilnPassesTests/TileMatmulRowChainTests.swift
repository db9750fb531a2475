// TileMatmulRowChainTests.swift: `tile` keeps matmul -> row ops -> matmul chains (attention) on chip, and only those.

import KilnMachine
@testable import KilnPasses
import KilnPluginAPI
import KilnSource
import KilnTileIR
import Testing

/// Single-head attention at the tensor level as `fuse` takes it: q [S, D], k [T, D], v [T, E].
private func attention(s: Int = 300, t: Int = 200, d: Int = 64, e: Int = 64, returnScores: Bool = false) -> String {
    let outputs = returnScores ? "(%out: hbm f32[\(s), \(e)], %sc: hbm f32[\(s), \(t)])" : "(%out: hbm f32[\(s), \(e)])"
    return kernelModule("(%q: hbm bf16[\(s), \(d)], %k: hbm bf16[\(t), \(d)], %v: hbm bf16[\(t), \(e)]) -> \(outputs)", """
            %kt = transpose %k : bf16[\(d), \(t)]
            %qk = matmul %q, %kt : f32[\(s), \(t)]
            %c = constant 11.0 : f32[\(s), \(t)]
            %scores = div %qk, %c : f32[\(s), \(t)]
            %m = reduce max %scores axis 1 : f32[\(s), 1]
            %mb = broadcast %m : f32[\(s), \(t)]
            %x = sub %scores, %mb : f32[\(s), \(t)]
            %ex = exp %x : f32[\(s), \(t)]
            %l = reduce sum %ex axis 1 : f32[\(s), 1]
            %lb = broadcast %l : f32[\(s), \(t)]
            %p = div %ex, %lb : f32[\(s), \(t)]
            %pb = cast %p : bf16[\(s), \(t)]
            %o = matmul %pb, %v : f32[\(s), \(e)]
            return \(returnScores ? "%o, %scores" : "%o")
        """)
}

private func hbmAllocs(_ module: Module) -> Int {
    allOps(module).filter { if case .hbmAlloc = $0.kind { true } else { false } }.count
}

@Test func attentionIsOneChainWithTheKeysTransposeMerged() throws {
    let parsed = TileIR.parse(SourceFile(path: "t.tir", text: attention()))
    var module = try #require(parsed.module)
    let manager = PassManager(registry: BuiltinPasses.makeRegistry(), target: .trn1, options: PassManagerOptions(verifyEach: true))
    _ = try manager.run("fuse", on: &module)
    let chains = TilingGroups(module.functions[0]).matmulRowChains()
    #expect(chains.count == 1)
    let chain = try #require(chains.first)
    #expect(chain.groups.count == 4)   // the transpose of k, the scores, the softmax rows, the product
    #expect(chain.transposed.count == 1)
    #expect(chain.rows.count >= 7 && chain.product.count == 1)
}

@Test func attentionScoresNeverReachHBM() throws {
    for target in [MachineTarget.trn1, .trn2] {
        let module = try tiledModule(attention(), target: target)
        #expect(hbmAllocs(module) == 0)
        let stores = allOps(module).compactMap { $0.kind.asStore }
        #expect(Set(stores.map(\.hbm)).count == 1)
        // The row max is folded into the evacuations of the scores (one dve.tensor_scalar per window, with a reduce).
        let fused = allOps(module).filter { $0.kind.instruction?.op == .dveTensorScalar && $0.kind.instruction?["reduce"] != .reduceInto(nil) }
        #expect(!fused.isEmpty)
    }
}

@Test func chainsOffOrScoresReturnedGoThroughScratch() throws {
    #expect(hbmAllocs(try tiledModule(attention(), pipeline: "fuse,tile{chains=0}")) >= 1)
    #expect(hbmAllocs(try tiledModule(attention(returnScores: true))) >= 1)
}

@Test func aChainWhoseRowsDoNotFitFallsBackToScratchWhenNotStreamed() throws {
    // 20000 keys: 80 KB of f32 scores and 40 KB of probabilities per partition beside 100 KB of resident keys and
    // values, more than trn1's 192 KiB.
    let module = try tiledModule(attention(s: 128, t: 20000, d: 130, e: 64), pipeline: "fuse,tile{chains=1,chain_online=off}")
    #expect(hbmAllocs(module) >= 1)
}

/// The loads of the kernel's `index`th parameter.
private func loads(of index: Int, in module: Module) -> Int {
    allOps(module).filter { $0.kind.asLoad?.hbm == module.functions[0].parameters[index].value.id }.count
}

@Test func aSoftmaxChainWhoseRowsDoNotFitStreamsItsKeysByOnlineSoftmax() throws {
    // As above, by default: no scratch, and the keys and values (100 KB, more than half of SBUF) are loaded per
    // window of keys, once for the 2 blocks of rows of a loop body: 157 pieces of 128 keys in 2 K tiles and 157 of
    // values. At 300 rows and 2 blocks per body, the body and the 44-row remainder after it each load them.
    let module = try tiledModule(attention(s: 256, t: 20000, d: 130, e: 64), pipeline: "fuse,tile")
    #expect(hbmAllocs(module) == 0)
    #expect(loads(of: 1, in: module) == 157 * 2)
    #expect(loads(of: 2, in: module) == 157)
    let three = try tiledModule(attention(s: 300, t: 20000, d: 130, e: 64), pipeline: "fuse,tile{chain_blocks=2}")
    #expect(loads(of: 1, in: three) == 2 * 157 * 2)
}

/// A dve.tensor_scalar dividing by a per-row value (the softmax's division by the row sum).
private func dividesByARowValue(_ instruction: EngineInstruction) -> Bool {
    guard instruction.op == .dveTensorScalar, instruction.operands.first == .binary(.div),
          case .scalar(.value)? = instruction["scalar"] else { return false }
    return true
}

@Test func theStreamedFormHasNoScratchAndRescalesByTheRunningMax() throws {
    for target in [MachineTarget.trn1, .trn2] {
        let module = try tiledModule(attention(s: 300, t: 700), target: target, pipeline: "fuse,tile{chain_online=on}")
        #expect(hbmAllocs(module) == 0)
        let ops = allOps(module).compactMap(\.kind.instruction)
        // exp(s - m) with its row sum, per 512-key window (2) of each 128-row block (3), and the rescalings
        // exp(m_old - m) of the second window; O = acc / l once per block.
        let exps = ops.filter { $0.op == .actActivate && $0.operands.first == .function(.exp) }
        #expect(exps.filter { $0["reduce"] != .reduceInto(nil) }.count == 3 * 2)
        #expect(exps.filter { $0["reduce"] == .reduceInto(nil) }.count == 3)
        #expect(ops.filter(dividesByARowValue).count == 3)
        // Small keys and values stay resident: loaded once.
        #expect(loads(of: 2, in: module) == 6)
    }
}

@Test func onlySoftmaxRowsStream() throws {
    // p = exp(x - max(x)) without the division is no softmax: the chain keeps its whole rows.
    let text = attention().replacingOccurrences(of: "%p = div %ex, %lb", with: "%p = mul %ex, %lb")
    let module = try tiledModule(text, pipeline: "fuse,tile{chain_online=on}")
    #expect(hbmAllocs(module) == 0)
    #expect(!allOps(module).compactMap(\.kind.instruction).contains(where: dividesByARowValue))
}

@Test func fourRowBlocksShareOneLoopBodyWhenTheyFit() throws {
    // 1024 rows: a loop of two bodies of four 128-row blocks; each block loads its q rows once.
    let module = try tiledModule(attention(s: 1024, t: 256), pipeline: "fuse,tile")
    let loop = try #require(loops(module.functions[0].body).first)
    #expect(loop.upperBound == 2)
    var loads = 0
    loop.body.walk { if let load = $0.kind.asLoad, load.hbm == module.functions[0].parameters[0].value.id { loads += 1 } }
    #expect(loads == 4)
}

@Test func aChainWhoseOutputAccumulatorsLeaveNoPSUMForTheWindowsKeepsItsWholeRows() throws {
    // E 3500: 7 PSUM accumulators per block; with an S window and a P^T tile that is 9 of trn1's 8 banks, so even
    // forced on the chain keeps whole rows (no running max across its two windows of keys).
    let runningMax = { (module: Module) in
        allOps(module).contains { $0.kind.instruction?.op == .dveTensorTensor && $0.kind.instruction?.operands.first == .binary(.max) }
    }
    #expect(runningMax(try tiledModule(attention(s: 128, t: 700, e: 3000), pipeline: "fuse,tile{chain_online=on}")))
    #expect(!runningMax(try tiledModule(attention(s: 128, t: 700, e: 3500), pipeline: "fuse,tile{chain_online=on}")))
}
