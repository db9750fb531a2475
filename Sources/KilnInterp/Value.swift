// Value.swift: the interpreter's runtime value: elements of the valid region of a statically shaped tensor or tile.

import KilnMachine
import KilnNumerics

/// A value during interpretation. `staticShape` is the shape the checker gave the expression,
/// with dims bound; `valid` is the region that holds data, the same except for remainder tiles
/// (a slice `x[i : i + 128, :]` clipped at the end of `x` has static size 128 and fewer valid
/// rows). `elements` holds the valid region in row-major order, already stored as `dtype`.
/// Broadcasting follows the static shape (a static dim of 1 stretches); data follows `valid`.
struct Value {
    var dtype: ElementType
    var staticShape: [Int]
    var valid: [Int]
    var elements: [Double]

    init(dtype: ElementType, staticShape: [Int], valid: [Int], elements: [Double]) {
        self.dtype = dtype
        self.staticShape = staticShape
        self.valid = valid
        self.elements = elements
    }

    /// A whole tensor: valid everywhere.
    init(_ tensor: Tensor) {
        self.init(dtype: tensor.dtype, staticShape: tensor.shape, valid: tensor.shape, elements: tensor.values)
    }

    static func scalar(_ value: Double, _ dtype: ElementType) -> Value {
        Value(dtype: dtype, staticShape: [], valid: [], elements: [value])
    }

    var rank: Int { staticShape.count }
    var scalarValue: Double { elements.first ?? 0 }

    /// Rows and columns of the valid region, seen as a matrix: rank 0 is 1 x 1, rank 1 is 1 x n.
    var rows: Int { rank == 2 ? valid[0] : 1 }
    var columns: Int { rank == 0 ? 1 : valid[rank - 1] }
    var staticRows: Int { rank == 2 ? staticShape[0] : 1 }
    var staticColumns: Int { rank == 0 ? 1 : staticShape[rank - 1] }

    /// The valid region as a Tensor (for results and outputs).
    var tensor: Tensor? { Tensor(dtype: dtype, shape: valid, values: elements) }

    /// The element at (row, column) of the matrix view.
    @inline(__always) func at(_ row: Int, _ column: Int) -> Double { elements[row * columns + column] }
}

/// Row-major index arithmetic over the valid region of a value of any rank.
enum RowMajor {
    /// The row-major strides of `shape` (the last is 1).
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in shape.indices.reversed() {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// Calls `body(position)` for every index of `shape` in row-major order, `position` being the flat
    /// offset under `strides` (which may hold 0 for a broadcast axis).
    static func forEach(_ shape: [Int], strides: [Int], _ body: (Int) -> Void) {
        guard !shape.contains(where: { $0 <= 0 }) else { return }
        guard !shape.isEmpty else { return body(0) }
        var index = [Int](repeating: 0, count: shape.count)
        var position = 0
        let last = shape.count - 1
        while true {
            for element in 0..<shape[last] { body(position + element * strides[last]) }
            var axis = last - 1
            while axis >= 0 {
                index[axis] += 1
                position += strides[axis]
                if index[axis] < shape[axis] { break }
                position -= strides[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

enum Broadcast {
    /// The static shape two (or three) operands broadcast to, aligned on the right; the checker
    /// has already proved the shapes compatible.
    static func staticShape(_ shapes: [[Int]]) -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        return (0..<rank).map { axis in
            shapes.map { shape in
                let offset = axis - (rank - shape.count)
                return offset >= 0 ? shape[offset] : 1
            }.max() ?? 1
        }
    }

    /// The valid extent of each result dim: the smallest valid extent among the operands that do
    /// not broadcast along it (a remainder tile clips everything it meets).
    static func validShape(_ values: [Value], staticShape: [Int]) -> [Int] {
        let rank = staticShape.count
        return (0..<rank).map { axis in
            var extent = staticShape[axis]
            for value in values {
                let offset = axis - (rank - value.rank)
                guard offset >= 0, !(value.staticShape[offset] == 1 && staticShape[axis] != 1) else { continue }
                extent = min(extent, value.valid[offset])
            }
            return extent
        }
    }

    /// The strides, per result axis, at which `value`'s elements are read when it is broadcast to a
    /// result of static shape `staticShape`: 0 along a missing or stretched (static size 1) axis.
    static func strides(of value: Value, staticShape: [Int]) -> [Int] {
        let own = RowMajor.strides(value.valid)
        let rank = staticShape.count
        return (0..<rank).map { axis in
            let offset = axis - (rank - value.rank)
            guard offset >= 0, !(value.staticShape[offset] == 1 && staticShape[axis] != 1) else { return 0 }
            return own[offset]
        }
    }

    /// Applies `operation` elementwise over broadcast operands, storing each result as `dtype`.
    static func map(_ values: [Value], dtype: ElementType, _ operation: ([Double]) -> Double) -> Value {
        let shape = staticShape(values.map(\.staticShape))
        let valid = validShape(values, staticShape: shape)
        let count = valid.reduce(1, *)
        var elements = [Double]()
        elements.reserveCapacity(count)
        var operands = [Double](repeating: 0, count: values.count)
        if values.count == 1 {
            // One operand has the result's shape: no index arithmetic.
            for element in values[0].elements.prefix(count) {
                operands[0] = element
                elements.append(dtype.storeComputed(operation(operands)))
            }
        } else if count > 0 {
            // Walk the result index in row-major order, moving every operand's position by its stride.
            let strides = values.map { self.strides(of: $0, staticShape: shape) }
            let rank = shape.count
            var index = [Int](repeating: 0, count: rank)
            var positions = [Int](repeating: 0, count: values.count)
            for _ in 0..<count {
                for operand in values.indices { operands[operand] = values[operand].elements[positions[operand]] }
                elements.append(dtype.storeComputed(operation(operands)))
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1
                    for operand in values.indices { positions[operand] += strides[operand][axis] }
                    if index[axis] < valid[axis] { break }
                    for operand in values.indices { positions[operand] -= strides[operand][axis] * index[axis] }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return Value(dtype: dtype, staticShape: shape, valid: valid, elements: elements)
    }
}
