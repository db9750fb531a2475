// DType+ElementType.swift: a source dtype as the machine element type of the same name.

import KilnMachine

extension ElementType {
    /// The machine element type of a source dtype (the names are the same).
    public init(_ dtype: DType) {
        switch dtype {
        case .f32: self = .f32
        case .bf16: self = .bf16
        case .f16: self = .f16
        case .f8e4m3: self = .f8e4m3
        case .f8e5m2: self = .f8e5m2
        case .i32: self = .i32
        case .bool: self = .bool
        }
    }
}
