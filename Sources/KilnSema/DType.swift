// DType.swift: Kiln's element types (dtypes) and memory spaces.

import KilnSyntax

/// An element type. Byte sizes follow the machine's storage formats; arithmetic on the narrow
/// float formats is done in f32 and rounded when stored.
public enum DType: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case f32, bf16, f16, f8e4m3, f8e5m2, i32, bool

    /// Resolves a dtype name as written in source (`f32`, `bf16`, ...); nil for unknown names.
    public init?(name: String) {
        self.init(rawValue: name)
    }

    public var name: String { rawValue }
    public var description: String { rawValue }

    /// Storage size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .f32, .i32: 4
        case .bf16, .f16: 2
        case .f8e4m3, .f8e5m2, .bool: 1
        }
    }

    /// True for the five floating-point dtypes.
    public var isFloat: Bool {
        switch self {
        case .f32, .bf16, .f16, .f8e4m3, .f8e5m2: true
        case .i32, .bool: false
        }
    }

    /// True for dtypes that support arithmetic (everything but `bool`).
    public var isNumeric: Bool { self != .bool }

    /// "f32, bf16, f16, f8e4m3, f8e5m2, i32, bool", for messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Where a value lives. Kernel tensor parameters and results are in `hbm`; whole-tensor expressions
/// produce unplaced `value`s (the compiler places them); tile-level code works on `sbuf`/`psum` tiles.
/// Scalars are always `value`.
public enum MemorySpace: String, Sendable, Hashable, CaseIterable {
    case value, hbm, sbuf, psum

    /// True for on-chip tiles (`sbuf`, `psum`).
    public var isTile: Bool { self == .sbuf || self == .psum }

    /// The keyword written before a dtype (`sbuf`), empty for unplaced values.
    public var keyword: String { self == .value ? "" : rawValue }

    /// The memory space a syntax keyword names.
    public init(_ syntax: MemorySpaceSyntax) {
        switch syntax {
        case .hbm: self = .hbm
        case .sbuf: self = .sbuf
        case .psum: self = .psum
        }
    }
}
