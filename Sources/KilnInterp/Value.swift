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

/// Where one operand's elements come from when it is broadcast to a result's matrix view:
/// a static dim of 1 against a larger result dim has stride 0.
struct BroadcastAccess {
    let rowStride: Int
    let columnStride: Int
    let elements: [Double]

    init(_ value: Value, resultStaticRows: Int, resultStaticColumns: Int) {
        let columns = value.columns
        rowStride = value.staticRows == 1 && resultStaticRows != 1 ? 0 : columns
        columnStride = value.staticColumns == 1 && resultStaticColumns != 1 ? 0 : 1
        elements = value.elements
    }

    @inline(__always) func at(_ row: Int, _ column: Int) -> Double { elements[row * rowStride + column * columnStride] }
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

    /// Applies `operation` elementwise over broadcast operands, storing each result as `dtype`.
    static func map(_ values: [Value], dtype: ElementType, _ operation: ([Double]) -> Double) -> Value {
        let shape = staticShape(values.map(\.staticShape))
        let valid = validShape(values, staticShape: shape)
        let rows = shape.count == 2 ? valid[0] : 1
        let columns = shape.isEmpty ? 1 : valid[shape.count - 1]
        let staticRows = shape.count == 2 ? shape[0] : 1
        let staticColumns = shape.isEmpty ? 1 : shape[shape.count - 1]
        let accesses = values.map { BroadcastAccess($0, resultStaticRows: staticRows, resultStaticColumns: staticColumns) }
        var elements = [Double]()
        elements.reserveCapacity(rows * columns)
        var operands = [Double](repeating: 0, count: values.count)
        for row in 0..<rows {
            for column in 0..<columns {
                for index in accesses.indices { operands[index] = accesses[index].at(row, column) }
                elements.append(dtype.storeComputed(operation(operands)))
            }
        }
        return Value(dtype: dtype, staticShape: shape, valid: valid, elements: elements)
    }
}
