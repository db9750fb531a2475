// OperandRule.swift: the type rules and machine limits an op declares, and their one evaluation for every layer.

import KilnMachine

/// A rule over an op's operands (by field index). The tile IR verifier and the bytecode validator both
/// evaluate an op's rules with `OperandRule.violations`, so a rule is stated once.
public enum OperandRule: Hashable, Sendable {
    /// Two tiles have the same partitions and free dims.
    case sameShape(Int, Int)
    /// Two tiles have the same partitions and the same number of elements per partition (free dims may be grouped
    /// differently: `[P | 1, D]` and `[P | D]` hold the same bytes in each partition).
    case sameElements(Int, Int)
    /// The source tile has the destination's rank and is no larger in any dim (partitions and free dims).
    case fitsWithin(source: Int, destination: Int)
    /// A scalar operand (or a reduction destination) is a constant, a scalar parameter or a `[P | 1]` tile
    /// with the partitions of the tile `like`.
    case perPartition(Int, like: Int)
    /// The destination is the source with its last free dim reduced to 1.
    case reducesLastFreeDim(source: Int, destination: Int)
    /// stationary [K | M], moving [K | N] (same float type) into an f32 PSUM accumulator [M | N], within the
    /// tensor engine's limits and one PSUM bank.
    case matmul(stationary: Int, moving: Int, accumulator: Int)
    /// [P | F] into [F | P], within the tensor engine's limits.
    case transpose(source: Int, destination: Int)
    /// The target's scalar engine implements the function.
    case functionOnTarget(Int)
    /// An op of the tensor engine's MX mode (`TensorEngine.mx`), which only some targets have (trn3).
    case mxOnTarget
    /// `dve.quantize_mx` / `dve.scale_mx`: a float source whose free size is a positive multiple of 32, into an MX
    /// element tile of its shape (quantize_mx) or an f32 `[P | F / 32]` tile (scale_mx).
    case mxQuantize(source: Int, destination: Int, scales: Bool)
    /// `pe.matmul_mx`: MX element tiles `[K | M]`, `[K | N]` (K a multiple of 32), f32 scale tiles `[K / 32 | M]`,
    /// `[K / 32 | N]`, an f32 PSUM accumulator `[M | N]`, within the tensor engine's limits.
    case matmulMX(stationary: Int, moving: Int, stationaryScale: Int, movingScale: Int, accumulator: Int)
    /// An HBM slice and a tile of the same element type.
    case transferElement(hbm: Int, tile: Int)
    /// A one-partition source `[1 | F...]` and a destination with the same element type and free dims.
    case partitionBroadcast(source: Int, destination: Int)
    /// A source with the destination's element type, partitions and free rank whose every free dim is 1 or the
    /// destination's.
    case freeBroadcast(source: Int, destination: Int)
    /// An integer operand within a range.
    case integerIn(Int, ClosedRange<Int>)
    /// `dve.max8` / `dve.find_index8`: a data tile of 8 to 16,384 float elements per partition, an optional `[P | 8]`
    /// tile of values like it, and a `[P | 8]` destination of the same partitions (i32 when it holds positions).
    case eightPerPartition(data: Int, values: Int?, destination: Int)
    /// `dve.bn_stats` / `dve.bn_aggr`: a float source with `inputLimit` elements per partition at most (bn_stats) or
    /// a positive multiple of `inputMultiple` (bn_aggr), into a `[P | outputs]` float tile of the source's partitions.
    case statistics(source: Int, destination: Int, outputs: Int, inputLimit: Int?, inputMultiple: Int)
    /// A load's steps (`DMASteps`): at least 1, and other than 1 only on a plain or flat load (`DMASlice.allows`).
    case dmaSteps(hbm: Int, transpose: Int, broadcast: Int, row: Int, column: Int)
    /// A reduction's starting value other than +0 only with the `add` operator (max and min have none).
    case initialOnlyForAdd(op: Int, initial: Int)
    /// `dma.gather` / `dma.indirect_load`: a rank-2 table of the tile's element, an i32 index tensor (or an i32
    /// `[P | 1]` index tile with the tile's partitions), a `[P | F]` tile with F at most the table's row length
    /// (`DMAGather`).
    case gather(table: Int, indices: Int, tile: Int)
    /// A destination `[P | F]` with at most the source's partitions (its leading ones), reading the source's free
    /// elements `offset ..< offset + F` (its free dims flattened), which must exist.
    case columnWindow(source: Int, offset: Int, destination: Int)
    /// A destination `[P | F]` with at most the source's partitions (its leading ones), reading the source's free
    /// elements `offset, offset + step, ..., offset + (F - 1) * step` (its free dims flattened), which must exist; the
    /// step at least 1.
    case stridedWindow(source: Int, offset: Int, step: Int, destination: Int)
}

/// One broken rule, for the layer to report in its own terms.
public enum RuleViolation: Hashable, Sendable {
    case shape(String)
    case operand(role: String, expected: String, found: TileShape)
    /// An immediate outside what the op allows.
    case immediate(role: String, expected: String, found: String)
    case limit(what: String, actual: Int, limit: Int)
    case psumBank(String)
    case unsupported(String)
}

extension OperandRule {
    /// The ways the operands break this rule on `target` (empty when they keep it or cannot be seen).
    public func violations(_ o: OperandFacts, fields: [OperandField], target: MachineTarget) -> [RuleViolation] {
        func role(_ field: Int) -> String { field < fields.count ? fields[field].name : "operand \(field)" }
        switch self {
        case .sameShape(let a, let b):
            guard let x = o.tile(a), let y = o.tile(b), !x.hasSameShape(as: y) else { return [] }
            return [.shape("\(x) and \(y)")]
        case .sameElements(let a, let b):
            guard let x = o.tile(a), let y = o.tile(b),
                  x.partitions != y.partitions || x.freeElements != y.freeElements else { return [] }
            return [.shape("\(x) and \(y) hold different elements per partition")]
        case .fitsWithin(let a, let b):
            guard let x = o.tile(a), let y = o.tile(b) else { return [] }
            let fits = x.partitions <= y.partitions && x.freeDims.count == y.freeDims.count
                && zip(x.freeDims, y.freeDims).allSatisfy { $0 <= $1 }
            return fits ? [] : [.shape("\(x) does not fit within \(y)")]
        case .perPartition(let scalar, let like):
            guard let input = o.tile(like), let tile = o.tile(scalar) else { return [] }
            if tile.partitions == input.partitions && tile.freeElements == 1 { return [] }
            return [.operand(role: role(scalar), expected: "a [\(input.partitions) | 1] tile", found: tile)]
        case .reducesLastFreeDim(let source, let destination):
            guard let input = o.tile(source), let output = o.tile(destination) else { return [] }
            let expected = Array(input.freeDims.dropLast()) + [1]
            if output.partitions == input.partitions && output.freeDims == expected { return [] }
            return [.shape("reducing \(input) gives [\(input.partitions) | "
                + "\(expected.map(String.init).joined(separator: ", "))], found \(output)")]
        case .matmul(let s, let m, let acc):
            return Self.matmulViolations(o.tile(s), o.tile(m), o.tile(acc), target: target, mx: false)
        case .transpose(let source, let destination):
            guard let input = o.tile(source), let output = o.tile(destination) else { return [] }
            guard input.freeDims.count == 1, output.partitions == input.freeElements, output.freeDims == [input.partitions] else {
                return [.shape("\(input) cannot transpose into \(output)")]
            }
            let engine = target.tensorEngine
            var found: [RuleViolation] = []
            if input.partitions > engine.maxK {
                found.append(.limit(what: "transpose input partitions", actual: input.partitions, limit: engine.maxK))
            }
            if input.freeElements > engine.maxM {
                found.append(.limit(what: "transpose input free size", actual: input.freeElements, limit: engine.maxM))
            }
            return found
        case .mxOnTarget:
            return target.tensorEngine.mx == nil ? [.unsupported("the MX mode (nc_matmul_mx / quantize_mx, NeuronCore-v4)")] : []
        case .mxQuantize(let sourceField, let destination, let scales):
            guard let source = o.tile(sourceField), let output = o.tile(destination) else { return [] }
            let block = ElementType.mxBlockSize
            var found: [RuleViolation] = []
            let n = source.freeElements
            if !source.element.isFloat || source.freeDims.count != 1 || n < block || n % block != 0 {
                found.append(.operand(role: role(sourceField), expected: "a float [P | F] tile, F a multiple of \(block)",
                                      found: source))
            }
            let columns = scales ? n / block : n
            if output.partitions != source.partitions || output.freeElements != columns || output.freeDims.count != 1
                || (scales ? output.element != .f32 : !output.element.isMXElement) {
                let what = scales ? "an f32 [\(source.partitions) | \(columns)] tile"
                    : "a [\(source.partitions) | \(columns)] tile of an MX element type"
                found.append(.operand(role: role(destination), expected: what, found: output))
            }
            return found
        case .matmulMX(let s, let m, let ss, let ms, let acc):
            guard let stationary = o.tile(s), let moving = o.tile(m), let sScale = o.tile(ss), let mScale = o.tile(ms),
                  let accumulator = o.tile(acc) else { return [] }
            let block = ElementType.mxBlockSize
            var found = Self.matmulViolations(stationary, moving, accumulator, target: target, mx: true)
            let k = stationary.partitions
            if k % block != 0 {
                found.append(.shape("the contraction K = \(k) is not a multiple of \(block) (whole MX blocks)"))
            }
            for (scale, field, data) in [(sScale, ss, stationary), (mScale, ms, moving)]
            where scale.element != .f32 || scale.partitions != k / block || scale.freeElements != data.freeElements {
                found.append(.operand(role: role(field), expected: "an f32 [\(k / block) | \(data.freeElements)] tile",
                                      found: scale))
            }
            return found
        case .functionOnTarget(let field):
            guard case .activationFunction(let function) = o[field], !target.activationFunctions.contains(function) else {
                return []
            }
            return [.unsupported("activation function '\(function)'")]
        case .transferElement(let hbm, let tileField):
            guard case .hbm(let element, _) = o[hbm], let tile = o.tile(tileField), tile.element != element else { return [] }
            return [.operand(role: role(tileField), expected: "a \(element) tile like the HBM tensor", found: tile)]
        case .gather(let table, let indices, let tileField):
            var found: [RuleViolation] = []
            if case .hbm(let element, let shape) = o[table], let tile = o.tile(tileField) {
                if tile.element != element {
                    found.append(.operand(role: role(tileField), expected: "a \(element) tile like the table", found: tile))
                }
                if shape.count != 2 || tile.freeDims.count != 1 || tile.freeElements > shape[1] {
                    found.append(.shape("a gather of \(tile) reads rows of a rank-2 table at least \(tile.freeElements) wide, "
                        + "found \(shape)"))
                }
            }
            if case .hbm(let element, _) = o[indices], element != .i32 {
                found.append(.immediate(role: role(indices), expected: "an i32 tensor", found: "\(element)"))
            }
            if let index = o.tile(indices), let tile = o.tile(tileField),
               index.element != .i32 || index.partitions != tile.partitions || index.freeElements != 1 {
                found.append(.operand(role: role(indices), expected: "an i32 [\(tile.partitions) | 1] index tile", found: index))
            }
            return found
        case .partitionBroadcast(let source, let destination):
            guard let input = o.tile(source), let output = o.tile(destination) else { return [] }
            if input.partitions == 1 && input.freeDims == output.freeDims && input.element == output.element { return [] }
            return [.shape("\(input) does not broadcast across the partitions of \(output)")]
        case .freeBroadcast(let source, let destination):
            guard let input = o.tile(source), let output = o.tile(destination) else { return [] }
            let stretches = input.freeDims.count == output.freeDims.count
                && zip(input.freeDims, output.freeDims).allSatisfy { $0 == 1 || $0 == $1 }
            if input.partitions == output.partitions && input.element == output.element && stretches { return [] }
            return [.shape("\(input) does not broadcast along the free dims of \(output)")]
        case .initialOnlyForAdd(let op, let initial):
            guard case .reduceOperator(let reduceOp) = o[op], reduceOp != .add else { return [] }
            if case .scalarConstant(0)? = o[initial] { return [] }
            return [.immediate(role: role(initial), expected: "no starting value for \(reduceOp)", found: "one")]
        case .columnWindow(let source, let offsetField, let destination):
            guard let input = o.tile(source), let output = o.tile(destination),
                  case .integer(let offset) = o[offsetField] else { return [] }
            if output.partitions <= input.partitions, offset >= 0, offset <= input.freeElements - output.freeElements {
                return []
            }
            return [.shape("\(output) does not take free elements \(offset) ..< \(offset + output.freeElements) of the leading "
                + "partitions of \(input)")]
        case .stridedWindow(let source, let offsetField, let stepField, let destination):
            guard let input = o.tile(source), let output = o.tile(destination), case .integer(let offset) = o[offsetField],
                  case .integer(let step) = o[stepField] else { return [] }
            let last = offset + (max(1, output.freeElements) - 1) * step
            if output.partitions <= input.partitions, offset >= 0, step >= 1, last < input.freeElements { return [] }
            return [.shape("\(output) does not take free elements \(offset), \(offset) + \(step), ... of the leading "
                + "partitions of \(input) (a step of at least 1, the last element \(last) inside)")]
        case .statistics(let sourceField, let destination, let outputs, let limit, let multiple):
            guard let source = o.tile(sourceField), let output = o.tile(destination) else { return [] }
            var found: [RuleViolation] = []
            let n = source.freeElements
            if !source.element.isFloat || n < multiple || n % multiple != 0 || limit.map({ n > $0 }) == true {
                let size = limit.map { "1 to \($0) elements per partition" } ?? "a multiple of \(multiple) elements per partition"
                found.append(.operand(role: role(sourceField), expected: "a float tile of \(size)", found: source))
            }
            if output.partitions != source.partitions || output.freeElements != outputs || !output.element.isFloat {
                found.append(.operand(role: role(destination), expected: "a [\(source.partitions) | \(outputs)] float tile",
                                      found: output))
            }
            return found
        case .eightPerPartition(let dataField, let valuesField, let destination):
            guard let data = o.tile(dataField), let output = o.tile(destination) else { return [] }
            var found: [RuleViolation] = []
            if !(8...16384).contains(data.freeElements) || !data.element.isFloat {
                found.append(.operand(role: role(dataField), expected: "a float tile of 8 to 16384 elements per partition",
                                      found: data))
            }
            let positions = valuesField != nil
            if output.partitions != data.partitions || output.freeElements != 8 || (positions ? output.element != .i32 : !output.element.isFloat) {
                found.append(.operand(role: role(destination),
                                      expected: "a [\(data.partitions) | 8] \(positions ? "i32" : "float") tile", found: output))
            }
            if let valuesField, let values = o.tile(valuesField), values.partitions != data.partitions || values.freeElements != 8 {
                found.append(.operand(role: role(valuesField), expected: "a [\(data.partitions) | 8] tile", found: values))
            }
            return found
        case .dmaSteps(let hbm, let transpose, let broadcast, let row, let column):
            guard case .integer(let rowStep) = o[row], case .integer(let columnStep) = o[column],
                  case .hbm(_, let shape) = o[hbm] else { return [] }
            let steps = DMASteps(row: rowStep, column: columnStep)
            if DMASlice.allows(steps, rank: shape.count, transpose: o.flag(transpose), broadcast: o.flag(broadcast)) { return [] }
            return [.immediate(role: "\(role(row)) and \(role(column))",
                               expected: "steps of at least 1, other than 1 only on a plain load (a flat one: column_step only)",
                               found: "\(rowStep) and \(columnStep)")]
        case .integerIn(let field, let range):
            guard case .integer(let value) = o[field], !range.contains(value) else { return [] }
            return [.immediate(role: role(field), expected: "a value in \(range.lowerBound)...\(range.upperBound)", found: "\(value)")]
        }
    }

    private static func matmulViolations(_ s: TileShape?, _ m: TileShape?, _ acc: TileShape?,
                                         target: MachineTarget, mx: Bool) -> [RuleViolation] {
        guard let s, let m, let acc else { return [] }
        let single = [s, m, acc].allSatisfy { $0.freeDims.count == 1 }
        guard single, s.partitions == m.partitions, acc.partitions == s.freeElements, acc.freeDims == m.freeDims else {
            return [.shape("stationary \(s), moving \(m), accumulator \(acc): needs [K | M], [K | N] and [M | N]")]
        }
        var found: [RuleViolation] = []
        if mx {
            // The MX mode takes any MX element types (MXFP8 and MXFP4 may meet).
            for (tile, role) in [(s, "stationary"), (m, "moving")] where !tile.element.isMXElement {
                found.append(.operand(role: role, expected: "a tile of an MX element type (f8e4m3fn, f8e5m2, f4e2m1fn)", found: tile))
            }
        } else if s.element != m.element || !s.element.isFloat || s.element.isFP4 {
            found.append(.operand(role: "moving", expected: "\(s.element) like the stationary one (a float type, not fp4)", found: m))
        }
        if acc.element != .f32 || acc.space != .psum {
            found.append(.operand(role: "accumulator", expected: "an f32 psum tile", found: acc))
        }
        let engine = target.tensorEngine
        for (dim, actual, limit) in [("K (contraction, partitions)", s.partitions, engine.maxK),
                                     ("M (stationary free size)", s.freeElements, engine.maxM),
                                     ("N (moving free size)", m.freeElements, engine.maxN)] where actual > limit {
            found.append(.limit(what: dim, actual: actual, limit: limit))
        }
        let bytes = m.freeElements * ElementType.f32.byteSize
        if bytes > target.psumBankBytes {
            found.append(.psumBank("the accumulation group needs \(bytes) bytes per partition; a PSUM bank has "
                + "\(target.psumBankBytes)"))
        }
        return found
    }
}
