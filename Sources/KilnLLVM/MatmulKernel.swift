// MatmulKernel.swift: the register-blocked f32 matmul micro-kernel shared by tensor-level matmul and pe.matmul.

internal import CLLVM

/// `C[m][n] (+)= sum_k A(m, k) * B[k][n]`, all f32: A read through strides (so a `[K | M]` stationary tile is
/// read transposed in place), B and C dense row-major with row length `n`.
struct MatmulOperands {
    var a: LLVMValueRef
    var aRowStride: Int
    var aColumnStride: Int
    var b: LLVMValueRef
    var c: LLVMValueRef
    var m: Int
    var n: Int
    var k: Int
}

extension LoweringContext {
    /// The kernel's blocking: `rowBlock` rows of C by `vectorsPerRow` vectors of `matmulLanes` floats (16 with
    /// AVX-512, else 8), 12 accumulators held in registers across the whole k loop.
    var matmulLanes: Int { vectorLanes }
    static let matmulRowBlock = 6
    static let matmulVectorsPerRow = 2

    /// Cache blocking: the contraction is split into slices of `matmulKBlock` and the columns into panels of
    /// `matmulColumnPanel`, so one [kc x nc] slice of B (256 x 512 floats, 512 KiB) stays in L2 while every row
    /// block of C passes over it.
    static let matmulKBlock = 256
    static let matmulColumnPanel = 512

    /// Emits the matmul.
    ///
    /// Algorithm. C is covered by blocks of 6 rows x 2 vectors (16 or 32 columns). For each block the twelve
    /// vector accumulators start at 0 (`accumulate` false) or at C, then for every k one row slice of B is
    /// loaded as two vectors and each of the six A(m, k) is splatted, multiplied and added into its row's
    /// accumulators: 12 multiply-adds per 2 vector loads and 6 scalar loads, with the accumulators in registers for
    /// the whole k slice (enough independent multiply-adds to hide their latency; never fused into FMAs, so each product
    /// and each sum rounds as the simulator and the reference interpreter round them). Around the blocks: a loop over k
    /// slices of 256 (the first overwrites C unless `accumulate`, later ones add to it), and in each slice a
    /// loop over column panels of 512, inside which every 6-row block walks the panel: the slice of B is read
    /// from L2, not memory, by each row block. Columns past the last full block are done by a 6-row scalar
    /// block per column, rows past the last full 6 by 1-row blocks of the same two shapes. LLVM legalises
    /// the vectors to whatever the CPU has (SSE, AVX2, AVX-512, NEON).
    func emitMatmulKernel(_ operands: MatmulOperands, accumulate: LLVMValueRef,
                          slots: (LLVMTypeRef, String) -> LLVMValueRef) {
        let kBlock = max(1, min(operands.k, Self.matmulKBlock))
        let fullSlices = operands.k / kBlock * kBlock
        if fullSlices > 0 {
            emitLoop(from: 0, to: fullSlices, step: kBlock, name: "kc") { k0 in
                let later = LLVMBuildICmp(b, LLVMIntNE, k0, int64(0), "")!
                let sliceAccumulates = LLVMBuildOr(b, accumulate, later, "")!
                emitMatmulSlice(operands, kStart: k0, kCount: kBlock, accumulate: sliceAccumulates, slots: slots)
            }
        }
        if fullSlices < operands.k {
            let tailAccumulates = fullSlices > 0 ? bool(true) : accumulate
            emitMatmulSlice(operands, kStart: int64(fullSlices), kCount: operands.k - fullSlices,
                            accumulate: tailAccumulates, slots: slots)
        }
    }

    /// C (+)= A[:, kStart ..< kStart + kCount] @ B[kStart ..< kStart + kCount, :], panel by panel.
    private func emitMatmulSlice(_ operands: MatmulOperands, kStart: LLVMValueRef, kCount: Int, accumulate: LLVMValueRef,
                                 slots: (LLVMTypeRef, String) -> LLVMValueRef) {
        let rowBlock = Self.matmulRowBlock
        let width = matmulLanes * Self.matmulVectorsPerRow
        let fullRows = operands.m / rowBlock * rowBlock
        let fullColumns = operands.n / width * width
        let panel = max(width, Self.matmulColumnPanel / width * width)
        let kEnd = LLVMBuildNSWAdd(b, kStart, int64(kCount), "")!
        func block(rows: Int, rowStart: LLVMValueRef, columnStart: LLVMValueRef, lanes: Int, vectors: Int) {
            emitMatmulBlock(operands, rowStart: rowStart, rows: rows, columnStart: columnStart, lanes: lanes, vectors: vectors,
                            kStart: kStart, kEnd: kEnd, accumulate: accumulate, slots: slots)
        }
        func tailColumns(rows: Int, rowStart: LLVMValueRef) {
            guard fullColumns < operands.n else { return }
            emitLoop(from: fullColumns, to: operands.n, name: "n.tail") { n0 in
                block(rows: rows, rowStart: rowStart, columnStart: n0, lanes: 1, vectors: 1)
            }
        }
        if fullRows > 0 && fullColumns > 0 {
            emitLoop(from: 0, to: fullColumns, step: panel, name: "nc") { panelStart in
                let panelEnd = LLVMBuildNSWAdd(b, panelStart, int64(panel), "")!
                let beyond = LLVMBuildICmp(b, LLVMIntSGT, panelEnd, int64(fullColumns), "")!
                let columnEnd = LLVMBuildSelect(b, beyond, int64(fullColumns), panelEnd, "")!
                emitLoop(from: 0, to: fullRows, step: rowBlock, name: "m") { m0 in
                    emitLoop(from: panelStart, to: columnEnd, step: width, name: "n") { n0 in
                        block(rows: rowBlock, rowStart: m0, columnStart: n0, lanes: matmulLanes, vectors: Self.matmulVectorsPerRow)
                    }
                }
            }
        }
        if fullRows > 0 && fullColumns < operands.n {
            emitLoop(from: 0, to: fullRows, step: rowBlock, name: "m") { m0 in tailColumns(rows: rowBlock, rowStart: m0) }
        }
        if fullRows < operands.m {
            emitLoop(from: fullRows, to: operands.m, name: "m.tail") { m0 in
                if fullColumns > 0 {
                    emitLoop(from: 0, to: fullColumns, step: width, name: "n") { n0 in
                        block(rows: 1, rowStart: m0, columnStart: n0, lanes: matmulLanes, vectors: Self.matmulVectorsPerRow)
                    }
                }
                tailColumns(rows: 1, rowStart: m0)
            }
        }
    }

    /// One block of `rows` x (`vectors` x `lanes`) elements of C, accumulated over k in `kStart ..< kEnd`.
    private func emitMatmulBlock(_ operands: MatmulOperands, rowStart: LLVMValueRef, rows: Int, columnStart: LLVMValueRef,
                                 lanes: Int, vectors: Int, kStart: LLVMValueRef, kEnd: LLVMValueRef, accumulate: LLVMValueRef,
                                 slots: (LLVMTypeRef, String) -> LLVMValueRef) {
        let vectorType = lanes == 1 ? types.f32 : LLVMVectorType(types.f32, UInt32(lanes))!
        let zero = LLVMConstNull(vectorType)!
        func cAddress(_ row: Int, _ vector: Int) -> LLVMValueRef {
            let rowIndex = LLVMBuildNSWAdd(b, rowStart, int64(row), "")!
            let column = LLVMBuildNSWAdd(b, columnStart, int64(vector * lanes), "")!
            let index = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, rowIndex, int64(operands.n), ""), column, "")!
            return elementAddress(operands.c, storage: types.f32, index: index)
        }
        func load(_ address: LLVMValueRef) -> LLVMValueRef {
            let value = LLVMBuildLoad2(b, vectorType, address, "")!
            LLVMSetAlignment(value, 4)
            return value
        }
        // Accumulators live in stack slots (promoted to registers by the optimiser).
        var accumulators: [[LLVMValueRef]] = []
        for row in 0..<rows {
            var rowSlots: [LLVMValueRef] = []
            for vector in 0..<vectors {
                let slot = slots(vectorType, "c\(row)_\(vector)")
                let initial = LLVMBuildSelect(b, accumulate, load(cAddress(row, vector)), zero, "")
                LLVMBuildStore(b, initial, slot)
                rowSlots.append(slot)
            }
            accumulators.append(rowSlots)
        }
        emitLoop(from: kStart, to: kEnd, name: "k") { k in
            let bRow = LLVMBuildNSWMul(b, k, int64(operands.n), "")!
            let bVectors = (0..<vectors).map { vector -> LLVMValueRef in
                let column = LLVMBuildNSWAdd(b, columnStart, int64(vector * lanes), "")!
                return load(elementAddress(operands.b, storage: types.f32, index: LLVMBuildNSWAdd(b, bRow, column, "")))
            }
            for row in 0..<rows {
                let rowIndex = LLVMBuildNSWAdd(b, rowStart, int64(row), "")!
                let aIndex = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, rowIndex, int64(operands.aRowStride), ""),
                                             LLVMBuildNSWMul(b, k, int64(operands.aColumnStride), ""), "")!
                let aScalar = LLVMBuildLoad2(b, types.f32, elementAddress(operands.a, storage: types.f32, index: aIndex), "")!
                let aSplat = lanes == 1 ? aScalar : splat(aScalar, type: vectorType, lanes: lanes)
                for vector in 0..<vectors {
                    let slot = accumulators[row][vector]
                    let current = LLVMBuildLoad2(b, vectorType, slot, "")!
                    // A multiply and an add, each rounded, never fused (Docs/numerics.md, "Matmul accumulation order").
                    let product = LLVMBuildFMul(b, aSplat, bVectors[vector], "")!
                    let next = LLVMBuildFAdd(b, current, product, "")!
                    LLVMBuildStore(b, next, slot)
                }
            }
        }
        for row in 0..<rows {
            for vector in 0..<vectors {
                let value = LLVMBuildLoad2(b, vectorType, accumulators[row][vector], "")!
                let store = LLVMBuildStore(b, value, cAddress(row, vector))!
                LLVMSetAlignment(store, 4)
            }
        }
    }

    /// A vector with every lane equal to `scalar`.
    func splat(_ scalar: LLVMValueRef, type: LLVMTypeRef, lanes: Int) -> LLVMValueRef {
        let inserted = LLVMBuildInsertElement(b, LLVMGetUndef(type), scalar, int(types.i32, 0), "")!
        let mask = LLVMConstNull(LLVMVectorType(types.i32, UInt32(lanes)))!
        return LLVMBuildShuffleVector(b, inserted, LLVMGetUndef(type), mask, "")!
    }
}
