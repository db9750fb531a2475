// FunctionLowering+Views.swift: tile views on the host: a view's own buffer, copied from its base before an op and back after.

internal import CLLVM
import KilnTileIR

extension FunctionLowering {
    /// Lowers an engine op whose operands may be `view`s. The host runs ops one at a time in program order, so a
    /// view can be its own buffer: before the op, every view it refers to is filled from its base (the base's
    /// leading partitions, the view's free elements from its offset on); after it, every view it writes is
    /// copied back. The op itself then sees plain row-major buffers, and a write through a view lands in its base
    /// exactly as on the machine, where the view is the base's memory. Views of views copy through each level.
    func lowerViewAccess(_ op: Operation, _ instruction: EngineInstruction) {
        var referenced: [ValueID] = []
        instruction.forEachValue { if viewBases[$0] != nil, !referenced.contains($0) { referenced.append($0) } }
        for view in referenced { copyView(view, intoView: true) }
        lowerTileOp(op, instruction)
        for view in instruction.writes.reversed() where viewBases[view] != nil { copyView(view, intoView: false) }
    }

    /// Copies between a view's buffer and its base's: into the view (`intoView`) or back into the base. A base
    /// that is itself a view is brought up to date first (into) or written through afterwards (back).
    private func copyView(_ view: ValueID, intoView: Bool) {
        guard let (base, offset) = viewBases[view], case .buffer(let window)? = values[view],
              case .buffer(let whole)? = values[base] else { return }
        if intoView, viewBases[base] != nil { copyView(base, intoView: true) }
        let partitions = window.shape.first ?? 1
        let free = window.count / max(1, partitions)
        let baseFree = whole.count / max(1, whole.shape.first ?? 1)
        lowering.emitLoopNest([partitions, free]) { index in
            let inWindow = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, index[0], lowering.int64(free), ""), index[1], "")!
            let inBase = LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, index[0], lowering.int64(baseFree), ""),
                                         LLVMBuildNSWAdd(b, index[1], lowering.int64(offset), ""), "")!
            if intoView {
                copyElement(from: whole, inBase, to: window, inWindow)
            } else {
                copyElement(from: window, inWindow, to: whole, inBase)
            }
        }
        if !intoView, viewBases[base] != nil { copyView(base, intoView: false) }
    }
}
