// EntryPointABI.swift: how a lowered function is called: its C signature, its packed form for the JIT, its C header.

internal import CLLVM
import KilnMachine
import KilnSource
import KilnTileIR

/// One argument of an entry point, in order: the function's parameters, then its outputs.
public struct EntryArgument: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A pointer to a dense row-major buffer of `shape` (inputs are read, outputs written).
        case buffer(shape: [Int])
        /// A scalar passed by value (`float` for float dtypes, `int32_t` for i32, `uint8_t` for bool).
        case scalar(defaultValue: Double?)
    }

    public var name: String
    public var element: ElementType
    public var kind: Kind
    public var isOutput: Bool

    /// The C type of one element of a buffer: float, uint16_t (bf16, f16 bits), uint8_t (fp8 bits, bool), int32_t.
    public var cElementType: String {
        switch element {
        case .f32: "float"
        case .bf16, .f16: "uint16_t"
        case .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn, .bool: "uint8_t"
        case .i32: "int32_t"
        }
    }

    /// The C type of a scalar argument.
    public var cScalarType: String {
        switch element {
        case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: "float"
        case .i32: "int32_t"
        case .bool: "uint8_t"
        }
    }
}

/// The calling convention of one lowered function.
///
/// - `int32_t kiln_NAME(args...)`: every tensor parameter and output as a pointer to its dense row-major
///   storage (f32 as float, bf16/f16 as uint16_t bit patterns, fp8 and bool as uint8_t, i32 as int32_t),
///   scalars by value; buffers must not overlap. Returns 0; 1 if a scratch buffer could not be allocated;
///   2 + k if the k-th gather of the function (`gatherSites`) read an index outside its table's rows, 2 + G + k (G
///   gathers) if the k-th scatter_add (`scatterSites`) wrote one.
/// - `int32_t kiln_NAME_packed(void **args)`: the same, with `args[i]` pointing at argument i (the buffer
///   itself for tensors, the scalar's storage for scalars); the JIT calls this one.
public struct EntrySignature: Sendable, Hashable {
    public var kernelName: String
    public var arguments: [EntryArgument]
    /// Where each gather of the function is (`gather` and `dma.gather`, in walk order): the status 2 + k names the k-th.
    public var gatherSites: [SourceSpan] = []
    /// Where each scatter_add of the function is (`scatter_add` and `dma.scatter_add`, in walk order).
    public var scatterSites: [SourceSpan] = []

    public var symbol: String { "kiln_" + Self.sanitised(kernelName) }
    public var packedSymbol: String { symbol + "_packed" }
    public var inputs: [EntryArgument] { arguments.filter { !$0.isOutput } }
    public var outputs: [EntryArgument] { arguments.filter { $0.isOutput } }

    /// The signature of a tile IR function; nil (with the reason) for a parameter type that is not a tensor or scalar.
    static func of(_ function: Function) -> (EntrySignature?, String?) {
        var arguments: [EntryArgument] = []
        for parameter in function.parameters {
            let value = parameter.value
            switch value.type {
            case .scalar(let element):
                arguments.append(EntryArgument(name: value.nameHint ?? "arg\(arguments.count)", element: element,
                                               kind: .scalar(defaultValue: parameter.defaultValue), isOutput: false))
            case .tensor(let tensor), .hbm(let tensor):
                arguments.append(EntryArgument(name: value.nameHint ?? "arg\(arguments.count)", element: tensor.element,
                                               kind: .buffer(shape: tensor.shape), isOutput: false))
            case .index, .tile:
                return (nil, "parameter '\(value.nameHint ?? "?")' of type \(value.type)")
            }
        }
        for output in function.outputs {
            guard let tensor = output.type.hbmType ?? output.type.tensorType else {
                return (nil, "output '\(output.nameHint ?? "?")' of type \(output.type)")
            }
            arguments.append(EntryArgument(name: output.nameHint ?? "out\(arguments.count)", element: tensor.element,
                                           kind: .buffer(shape: tensor.shape), isOutput: true))
        }
        var signature = EntrySignature(kernelName: function.name, arguments: arguments)
        function.body.walk { op in
            if case .gather = op.kind { signature.gatherSites.append(op.span) }
            if op.kind.engineOp == .dmaGather || op.kind.engineOp == .dmaIndirectLoad { signature.gatherSites.append(op.span) }
            if case .scatterAdd = op.kind { signature.scatterSites.append(op.span) }
            if op.kind.engineOp == .dmaScatterAdd { signature.scatterSites.append(op.span) }
        }
        return (signature, nil)
    }

    /// A C identifier: letters, digits and `_` kept, anything else replaced by `_`.
    static func sanitised(_ name: String) -> String {
        String(name.unicodeScalars.map { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
                ? Character(scalar) : "_"
        })
    }

    /// The LLVM function type of `kiln_NAME`.
    func functionType(_ types: LoweringTypes) -> LLVMTypeRef {
        var parameters: [LLVMTypeRef?] = arguments.map { argument in
            if case .buffer = argument.kind { return types.pointer }
            return types.scalarArgument(argument.element)
        }
        return LLVMFunctionType(types.i32, &parameters, UInt32(parameters.count), 0)
    }

    /// The C declarations of both entry points, with the buffer shapes in comments.
    func cDeclarations() -> String {
        let parameters = arguments.map { argument -> String in
            let name = Self.sanitised(argument.name)
            switch argument.kind {
            case .buffer(let shape):
                let dims = shape.map(String.init).joined(separator: "x")
                let qualifier = argument.isOutput ? "" : "const "
                return "\(qualifier)\(argument.cElementType) *\(name) /* \(argument.element)[\(dims)]\(argument.isOutput ? ", output" : "") */"
            case .scalar(let defaultValue):
                let note = defaultValue.map { " /* \(argument.element), default \($0) */" } ?? " /* \(argument.element) */"
                return "\(argument.cScalarType) \(name)\(note)"
            }
        }
        let list = parameters.isEmpty ? "void" : "\n    " + parameters.joined(separator: ",\n    ")
        return """
        /* Kernel '\(kernelName)'. Returns 0, or 1 if scratch memory could not be allocated. */
        int32_t \(symbol)(\(list));
        /* The same kernel with args[i] pointing at argument i (the buffer, or the scalar's storage). */
        int32_t \(packedSymbol)(void **args);
        """
    }
}

/// The C header declaring a module's entry points.
enum CHeader {
    static func text(for signatures: [EntrySignature], guardName: String) -> String {
        let macro = "KILN_" + EntrySignature.sanitised(guardName).uppercased() + "_H"
        return """
        /* Generated by kiln (llvm backend). Link with the object file kiln emitted and -lm. */
        #ifndef \(macro)
        #define \(macro)

        #include <stdint.h>

        #ifdef __cplusplus
        extern "C" {
        #endif

        \(signatures.map { $0.cDeclarations() }.joined(separator: "\n\n"))

        #ifdef __cplusplus
        }
        #endif

        #endif /* \(macro) */

        """
    }
}
