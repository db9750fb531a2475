// OpcodeNumericsTests.swift: each engine opcode's numerics on a small tile, against values computed here.

import Foundation
import KilnMachine
import KilnNumerics
import KilnSim
import Testing

/// Loads x[4, 8] into %x (f32), runs `body` on the given engine, stores %y (of `outType`) to out[4, outFree].
private func run(_ body: String, engine: String, outType: String = "f32", outFree: Int = 8,
                 extra: String = "") throws -> (x: [Double], out: [Double]) {
    let text = """
        kiln.module target "trn1" {
          func @k(%x: hbm f32[4, 8]) -> (%out: hbm \(outType)[4, \(outFree)]) {
            %xt = alloc sbuf f32[4 | 8] at partition 0 offset 0
            %y = alloc sbuf \(outType)[4 | \(outFree)] at partition 0 offset 64
            %c = alloc sbuf f32[4 | 1] at partition 0 offset 128
        \(extra)
            dma.load %x[0, 0] -> %xt queue 0
            sync.signal sem 0 on dma queue 0
            sync.wait sem 0 >= 1 on \(engine)
            \(body)
            sync.signal sem 1 on \(engine)
            sync.wait sem 1 >= 1 on dma queue 1
            dma.store %y -> %out[0, 0] queue 1
            return
          }
        }
        """
    let x = try SimSamples.tensor(.f32, [4, 8]) { Double($0) / 4 - 3.3 }
    let result = try Simulator.run(try SimSamples.compile(text), inputs: ["x": x])
    #expect(result.findings.isEmpty, "\(result.findings.map { $0.rendered() })")
    return (x.values, try #require(result.outputs.first?.tensor.values))
}

private func f32(_ value: Double) -> Double { Double(Float(value)) }

@Test func vectorEngineOpcodes() throws {
    var (x, out) = try run("dve.tensor_tensor mul %xt, %xt -> %y", engine: "dve")
    #expect(out == x.map { f32($0 * $0) })
    (x, out) = try run("dve.tensor_scalar rem %xt, 1.5 -> %y", engine: "dve")
    #expect(out == x.map { f32(fmod($0, 1.5)) })
    (x, out) = try run("dve.tensor_tensor lt %xt, %xt -> %y", engine: "dve", outType: "bool")
    #expect(out == x.map { _ in 0 })
    (x, out) = try run("dve.reciprocal %xt -> %y", engine: "dve", outType: "bf16")
    #expect(out == x.map { ElementType.bf16.storeComputed(1 / $0) })
    (x, out) = try run("dve.reduce max %xt -> %y", engine: "dve", outFree: 1)
    #expect(out == (0..<4).map { row in x[(row * 8)..<(row * 8 + 8)].max() ?? 0 })
}

@Test func scalarEngineActivationWithBiasAndReduction() throws {
    let (x, out) = try run("""
        act.activate identity %xt -> %y reduce add -> %c
            act.activate tanh %xt -> %y scale 0.5 bias %c reduce add -> %c
        """, engine: "act")
    // %c is first the row sums (identity with a reduction), then the bias of tanh(x / 2 + rowsum).
    let rowSums: [Double] = (0..<4).map { row in Double(x[(row * 8)..<(row * 8 + 8)].reduce(Float(0)) { $0 + Float($1) }) }
    let expected: [Double] = x.indices.map { index in f32(Foundation.tanh(f32(x[index] * 0.5 + rowSums[index / 8]))) }
    #expect(out == expected)
}

@Test func gpsimdIotaAndSelect() throws {
    let (_, iota) = try run("pool.iota base 5 partition_step 10 free_step -1 -> %y", engine: "pool", outType: "i32")
    let expectedIota: [Double] = (0..<32).map { index in
        let (partition, element) = (index / 8, index % 8)
        return Double(5 + partition * 10 - element)
    }
    #expect(iota == expectedIota)
    let (x, out) = try run("""
        pool.iota base -2 partition_step 0 free_step 1 -> %s
            pool.select %s, %xt, %s -> %y
        """, engine: "pool", extra: "    %s = alloc sbuf f32[4 | 8] at partition 0 offset 256")
    #expect(out == x.indices.map { Double($0 % 8 - 2) != 0 ? x[$0] : 0 })
}

@Test func identityActivationScalesAndBiasesWithOneRounding() throws {
    let (x, out) = try run("act.activate identity %xt -> %y scale -1.7 bias 0.3", engine: "act", outType: "bf16")
    #expect(out == x.map { ElementType.bf16.storeComputed(f32($0 * -1.7 + 0.3)) })
}

@Test func transposeOfATileWhoseSidesAreNotMultiplesOfTheBlock() throws {
    // 20 x 40: neither side a multiple of the 16 x 16 blocks the transpose works in.
    let text = """
        kiln.module target "trn1" {
          func @k(%x: hbm f32[20, 40]) -> (%out: hbm f32[40, 20]) {
            %xt = alloc sbuf f32[20 | 40] at partition 0 offset 0
            %t = alloc psum f32[40 | 20] at partition 0 offset 0
            %y = alloc sbuf f32[40 | 20] at partition 0 offset 256
            dma.load %x[0, 0] -> %xt queue 0
            sync.signal sem 0 on dma queue 0
            sync.wait sem 0 >= 1 on pe
            pe.transpose %xt -> %t
            sync.signal sem 1 on pe
            sync.wait sem 1 >= 1 on dve
            dve.copy %t -> %y
            sync.signal sem 2 on dve
            sync.wait sem 2 >= 1 on dma queue 1
            dma.store %y -> %out[0, 0] queue 1
            return
          }
        }
        """
    let x = try SimSamples.tensor(.f32, [20, 40]) { Double($0) / 8 - 50 }
    let result = try Simulator.run(try SimSamples.compile(text), inputs: ["x": x])
    #expect(result.findings.isEmpty, "\(result.findings.map { $0.rendered() })")
    let out = try #require(result.outputs.first?.tensor.values)
    let transposed: [Double] = (0..<800).map { (index: Int) -> Double in x.values[(index % 20) * 40 + index / 20] }
    #expect(out == transposed)
}

@Test func vectorEngineIotaGivesPartitionOrFreeIndexPlusOffset() throws {
    let (_, partitions) = try run("dve.iota axis 0 offset 3 -> %y", engine: "dve", outType: "i32")
    let expectedPartitions: [Double] = (0..<32).map { index in Double(index / 8 + 3) }
    #expect(partitions == expectedPartitions)
    let (_, free) = try run("dve.iota axis 1 offset -2 -> %y", engine: "dve", outType: "bf16")
    let expectedFree: [Double] = (0..<32).map { index in Double(index % 8 - 2) }
    #expect(free == expectedFree)
}

@Test func tensorCornerChangesOnlyTheCornerTheSourceCovers() throws {
    let (x, out) = try run("""
        dve.iota axis 0 offset 3 -> %s
            dve.copy %xt -> %y
            dve.tensor_corner mul %s -> %y
        """, engine: "dve", outType: "bf16", extra: "    %s = alloc sbuf f32[3 | 5] at partition 0 offset 256")
    let expected: [Double] = x.indices.map { index in
        let (partition, element) = (index / 8, index % 8)
        let stored = ElementType.bf16.storeComputed(x[index])
        return partition < 3 && element < 5 ? ElementType.bf16.storeComputed(stored * Double(partition + 3)) : stored
    }
    #expect(out == expected)
}

@Test func partitionBroadcastCopiesTheRowIntoEveryPartition() throws {
    let (_, out) = try run("dve.iota axis 1 offset 2 -> %r\n    dve.partition_broadcast %r -> %y", engine: "dve",
                           extra: "    %r = alloc sbuf f32[1 | 8] at partition 0 offset 192")
    let expected: [Double] = (0..<32).map { index in Double(index % 8 + 2) }
    #expect(out == expected)
}

@Test func copyColumnsTakesAWindowOfEachPartition() throws {
    let (x, out) = try run("dve.copy_columns %xt offset 5 -> %y", engine: "dve", outFree: 3)
    let expected = (0..<4).flatMap { p in (5..<8).map { x[p * 8 + $0] } }
    #expect(out == expected)
}

@Test func chunkedScanCarriesItsStateThroughCopyColumns() throws {
    // Two chunks of 4 columns: the second scans from the first's last state, as one scan of 8 columns does.
    let (_, whole) = try run("dve.tensor_scan mul add %xt, %xt -> %y", engine: "dve")
    let (_, second) = try run("""
        dve.copy_columns %xt offset 0 -> %a
            dve.copy_columns %xt offset 4 -> %b
            dve.tensor_scan mul add %a, %a -> %ha
            dve.copy_columns %ha offset 3 -> %c
            dve.tensor_scan mul add %b, %b -> %y initial %c
        """, engine: "dve", outFree: 4, extra: """
            %a = alloc sbuf f32[4 | 4] at partition 0 offset 192
            %b = alloc sbuf f32[4 | 4] at partition 0 offset 208
            %ha = alloc sbuf f32[4 | 4] at partition 0 offset 224
        """)
    #expect(second == (0..<4).flatMap { p in (4..<8).map { whole[p * 8 + $0] } })
}

@Test func bnStatsAndBnAggrFollowBatchNormStats() throws {
    // bn_stats of each 8-element row into %s [4 | 6], then bn_aggr of the two tuples into %y [4 | 2].
    let (x, out) = try run("""
        dve.bn_stats %xt -> %s
            dve.bn_aggr %s -> %y
        """, engine: "dve", outFree: 2, extra: "    %s = alloc sbuf f32[4 | 6] at partition 0 offset 192")
    for row in 0..<4 {
        let values = x[(row * 8)..<(row * 8 + 8)].map { Float($0) }
        let expected = BatchNormStats.aggregate(BatchNormStats.stats(values)).map(Double.init)
        #expect(Array(out[(row * 2)..<(row * 2 + 2)]) == expected)
        // Against the population mean and variance in f64: the f32 algorithm is within a few ulps of them.
        let mean = values.reduce(0.0) { $0 + Double($1) } / 8
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 8
        #expect(abs(out[row * 2] - mean) <= 1e-6 * max(1, abs(mean)) && abs(out[row * 2 + 1] - variance) <= 1e-6 * variance)
    }
}
