// DType.swift: Kiln's element types (dtypes, shared with the machine model) and memory spaces.

import KilnMachine
import KilnSyntax

/// An element type. It is the machine's `ElementType` (the source language and the machine share one set of
/// dtypes, byte sizes and names); arithmetic on the narrow float formats is done in f32 and rounded when stored.
public typealias DType = ElementType

extension ElementType {
    /// Resolves a dtype name as written in source (`f32`, `bf16`, ...); nil for unknown names.
    public init?(name: String) {
        self.init(rawValue: name)
    }

    public var name: String { rawValue }

    /// True for dtypes that support arithmetic (everything but `bool`).
    public var isNumeric: Bool { self != .bool }
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
