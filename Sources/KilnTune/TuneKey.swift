// TuneKey.swift: what a cached tuning result is keyed by: normalized source, kernel, dims, dtypes, target, model, kiln.

import KilnMachine
import KilnNumerics
import KilnSource
import KilnSyntax

/// Kiln's version, part of every cache key: a new kiln may generate different code for the same pipeline.
public enum KilnVersion {
    public static let string = "0.1.0"
}

/// The key of one tuning result. Two tunes share a key exactly when they would search the same thing.
public struct TuneKey: Sendable, Hashable {
    /// FNV-1a 64 of the kernel file's tokens joined by single spaces: comments and layout do not count.
    public var sourceHash: String
    public var kernel: String
    /// `M=4096,K=8192,N=8192`: every dim of the kernel, in declaration order.
    public var dims: String
    /// `T=bf16`: the dtype each dtype parameter of a generic kernel is bound to, in `<...>` order; empty for
    /// a kernel without dtype parameters (whose keys are then those of caches written before generics).
    public var dtypes: String
    public var target: String
    /// A fingerprint of every number of the target's machine model (`modelFingerprint`).
    public var model: String
    public var kiln: String

    public init(source: SourceFile, kernel: String, dims: [(name: String, size: Int)],
                dtypes: [(name: String, dtype: String)] = [], target: MachineTarget) {
        self.sourceHash = Self.hex(RandomInputs.fnv1a(Self.normalized(source)))
        self.kernel = kernel
        self.dims = dims.map { "\($0.name)=\($0.size)" }.joined(separator: ",")
        self.dtypes = dtypes.map { "\($0.name)=\($0.dtype)" }.joined(separator: ",")
        self.target = target.name
        self.model = Self.hex(RandomInputs.fnv1a(Self.modelDescription(target)))
        self.kiln = KilnVersion.string
    }

    public init(sourceHash: String, kernel: String, dims: String, dtypes: String = "", target: String, model: String,
                kiln: String) {
        self.sourceHash = sourceHash
        self.kernel = kernel
        self.dims = dims
        self.dtypes = dtypes
        self.target = target
        self.model = model
        self.kiln = kiln
    }

    /// The key as one string, the cache's primary key. The dtypes follow the dims as `dims;dtypes` only when
    /// there are some, so a kernel without dtype parameters keeps the key it had before generics.
    public var text: String {
        [sourceHash, kernel, dtypes.isEmpty ? dims : dims + ";" + dtypes, target, model, kiln].joined(separator: "|")
    }

    /// The source's tokens (their text) joined by single spaces.
    static func normalized(_ source: SourceFile) -> String {
        let tokens = Lexer.tokenize(source).tokens
        return tokens.map { token in
            let start = max(0, min(token.span.start, source.bytes.count))
            let end = max(start, min(token.span.end, source.bytes.count))
            return String(decoding: source.bytes[start..<end], as: UTF8.self)
        }.joined(separator: " ")
    }

    /// Every stored property of the target, recursively, with sets sorted: the same text in every process.
    static func modelDescription(_ target: MachineTarget) -> String {
        describe(target)
    }

    private static func describe(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        guard !mirror.children.isEmpty else { return String(describing: value) }
        var parts = mirror.children.map { child in (child.label.map { $0 + ":" } ?? "") + describe(child.value) }
        if mirror.displayStyle == .set || mirror.displayStyle == .dictionary { parts.sort() }
        return "(" + parts.joined(separator: ",") + ")"
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
