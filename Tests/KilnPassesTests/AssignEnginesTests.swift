// AssignEnginesTests.swift: the `assign-engines` pass: fixed ops stay, portable ops balance by busy time and ports.

import KilnMachine
import KilnPasses
import KilnPluginAPI
import KilnTileIR
import Testing

/// The engines of the body's engine ops, in order.
private func engines(_ module: Module) -> [String] {
    opsWithLoops(module.functions[0].body).compactMap { $0.op.kind.engine.map(\.rawValue) }
}

private let signature = "(%x: hbm f32[128, 512]) -> (%y: hbm f32[128, 512])"

@Test func copiesAlternateBetweenActAndDveByBusyTime() throws {
    var body = "        %a = alloc sbuf f32[128 | 512]\n        dma.load %x[0, 0] -> %a\n"
    for i in 0..<4 { body += "        %c\(i) = alloc sbuf f32[128 | 512]\n        dve.copy %a -> %c\(i)\n" }
    body += "        dma.store %c3 -> %y[0, 0]\n        return"
    let module = try scheduled("assign-engines", SchedulingSamples.module(signature, body))
    // act: 512 cycles at 1.4 GHz = 366 ns; dve: 512 at 1.12 GHz = 457 ns. Finish times pick act, dve, act, dve.
    #expect(engines(module) == ["dma", "act", "dve", "act", "dve", "dma"])
    #expect(TileIR.print(module).contains("act.activate identity %a -> %c0\n"))
    #expect(TileIR.print(module).contains("dve.copy %a -> %c1\n"))
}

@Test func exclusiveOpsStayOnTheirEngineAndCountTowardsItsBusyTime() throws {
    let module = try scheduled("assign-engines", SchedulingSamples.module(signature, """
            %a = alloc sbuf f32[128 | 512]
            dma.load %x[0, 0] -> %a
            %e = alloc sbuf f32[128 | 512]
            act.activate exp %a -> %e
            act.activate gelu %e -> %e
            dve.tensor_tensor mul %a, %e -> %e
            %r = alloc sbuf f32[128 | 512]
            act.activate reciprocal %e -> %r
            %i = alloc sbuf i32[128 | 512]
            %j = alloc sbuf i32[128 | 512]
            dve.copy %i -> %j
            dve.copy %e -> %r
            dma.store %r -> %y[0, 0]
            return
        """))
    // exp and gelu keep act busy (732 ns), tensor_tensor keeps dve at 914 ns; the reciprocal costs 366 ns on
    // act and 3657 ns on dve, so it stays on act (1098); the i32 copy cannot move; the last copy goes to act.
    #expect(engines(module) == ["dma", "act", "act", "dve", "act", "dve", "act", "dma"])
}

@Test func trn1KeepsPSUMEvacuationsOnOnePortWhileTrn2Alternates() throws {
    let text = SchedulingSamples.module("(%x: hbm bf16[128, 128]) -> (%y: hbm f32[128, 512])", """
            %s = alloc sbuf bf16[128 | 128]
            dma.load %x[0, 0] -> %s
            %m = alloc sbuf bf16[128 | 512]
            %p = alloc psum f32[128 | 512]
            pe.matmul %s, %m -> %p start stop
            %o1 = alloc sbuf f32[128 | 512]
            %o2 = alloc sbuf f32[128 | 512]
            %o3 = alloc sbuf f32[128 | 512]
            dve.copy %p -> %o1
            dve.copy %p -> %o2
            dve.copy %p -> %o3
            dma.store %o3 -> %y[0, 0]
            return
        """)
    // trn1: act and dve share the PSUM port, so the faster act takes all three.
    #expect(engines(try scheduled("assign-engines", text, target: .trn1)) == ["dma", "pe", "act", "act", "act", "dma"])
    #expect(engines(try scheduled("assign-engines", text, target: .trn2)) == ["dma", "pe", "act", "dve", "act", "dma"])
}

@Test func portableFormsConvertBothWays() throws {
    let module = try scheduled("assign-engines", SchedulingSamples.module(signature, """
            %a = alloc sbuf f32[128 | 512]
            %b = alloc sbuf f32[128 | 512]
            %bias = alloc sbuf f32[128 | 1]
            dma.load %x[0, 0] -> %a
            dve.tensor_scalar mul %a, 3.0 -> %b
            act.activate identity %b -> %b scale 0.5
            dve.tensor_scalar add %b, %bias -> %b
            act.activate relu %b -> %b
            dve.tensor_scalar sub %b, 1.0 -> %b
            dma.store %b -> %y[0, 0]
            return
        """))
    let text = TileIR.print(module)
    #expect(text.contains("act.activate identity %a -> %b scale 3.0\n"))
    #expect(text.contains("dve.tensor_scalar mul %b, 0.5 -> %b\n"))
    #expect(text.contains("act.activate identity %b -> %b bias %bias\n"))
    #expect(text.contains("dve.tensor_scalar max %b, 0.0 -> %b\n"))
    #expect(text.contains("act.activate identity %b -> %b bias -1.0\n"))
}
