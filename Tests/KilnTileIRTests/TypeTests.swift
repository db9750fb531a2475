// TypeTests.swift: tile IR types: their text and their byte sizes.

import KilnMachine
import KilnTileIR
import Testing

@Test func typesPrintInTheirTextForm() {
    #expect(IRType.tensor(TensorType(.f32, [256, 512])).description == "f32[256, 512]")
    #expect(IRType.hbm(TensorType(.bf16, [4, 8])).description == "hbm bf16[4, 8]")
    #expect(IRType.tile(TileType(.sbuf, .f32, partitions: 128, free: [4, 512])).description == "sbuf f32[128 | 4, 512]")
    #expect(IRType.scalar(.f32).description == "f32")
    #expect(IRType.index.description == "index")
}

@Test func tileSizes() {
    let tile = TileType(.psum, .f32, partitions: 128, free: [512])
    #expect(tile.bytesPerPartition == 2048)
    #expect(tile.shape == [128, 512])
}
