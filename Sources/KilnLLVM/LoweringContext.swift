// LoweringContext.swift: what every function's lowering shares: the LLVM module, builder, types, intrinsics, libc/libm.

internal import CLLVM
import KilnMachine

/// How a value is held in registers while lowering: engines compute in fp32, so float element types are `f32`;
/// `i32` values are held as `f64` (every i32 is exact in f64, and results truncate toward zero with saturation
/// when stored, as the simulator does); `bool` is an `i1`.
enum ComputeKind: Equatable {
    case f32, f64, bool

    init(_ element: ElementType) {
        switch element {
        case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: self = .f32
        case .i32: self = .f64
        case .bool: self = .bool
        }
    }
}

/// A value in registers and how it is held.
struct ComputedValue {
    var ref: LLVMValueRef
    var kind: ComputeKind
}

/// The LLVM types the lowering uses, made once per context.
struct LoweringTypes {
    let void, i1, i8, i16, i32, i64, f32, f64, pointer: LLVMTypeRef

    init(_ context: LLVMContextRef) {
        void = LLVMVoidTypeInContext(context)
        i1 = LLVMInt1TypeInContext(context)
        i8 = LLVMInt8TypeInContext(context)
        i16 = LLVMInt16TypeInContext(context)
        i32 = LLVMInt32TypeInContext(context)
        i64 = LLVMInt64TypeInContext(context)
        f32 = LLVMFloatTypeInContext(context)
        f64 = LLVMDoubleTypeInContext(context)
        pointer = LLVMPointerTypeInContext(context, 0)
    }

    /// The register type of a compute kind.
    func type(of kind: ComputeKind) -> LLVMTypeRef {
        switch kind {
        case .f32: f32
        case .f64: f64
        case .bool: i1
        }
    }

    /// The in-memory type of one element: f32, the 16-bit and 8-bit float formats as integers, i32, bool as i8.
    func storage(_ element: ElementType) -> LLVMTypeRef {
        switch element {
        case .f32: f32
        case .bf16, .f16: i16
        case .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn, .bool: i8
        case .i32: i32
        }
    }

    /// How a scalar parameter is passed to an entry point: float dtypes as `float`, i32 as `int32_t`, bool as `uint8_t`.
    func scalarArgument(_ element: ElementType) -> LLVMTypeRef {
        switch element {
        case .f32, .bf16, .f16, .f8e4m3, .f8e4m3fn, .f8e5m2, .f4e2m1fn: f32
        case .i32: i32
        case .bool: i8
        }
    }
}

/// The module-wide state of one lowering: LLVM module and builder, cached declarations, debug info.
final class LoweringContext {
    let module: LLVMModuleOwner
    let builder: LLVMBuilderOwner
    let types: LoweringTypes
    let debugInfo: DebugInfoEmitter?
    /// f32 lanes of the widest vector register the target CPU has (16 with AVX-512, else 8).
    let vectorLanes: Int
    private var declarations: [String: (function: LLVMValueRef, type: LLVMTypeRef)] = [:]

    init(module: LLVMModuleOwner, debugInfo: DebugInfoEmitter?, cpuFeatures: String) {
        vectorLanes = cpuFeatures.split(separator: ",").contains("+avx512f") ? 16 : 8
        self.module = module
        builder = LLVMBuilderOwner(context: module.context)
        types = LoweringTypes(module.context.ref)
        self.debugInfo = debugInfo
    }

    var context: LLVMContextRef { module.context.ref }
    var b: LLVMBuilderRef { builder.ref }

    /// An overloaded intrinsic (`llvm.exp`, `llvm.fmuladd`, ...) instantiated for `overloads`, called with `args`.
    func callIntrinsic(_ name: String, overloads: [LLVMTypeRef], _ args: [LLVMValueRef]) -> LLVMValueRef {
        let key = name + overloads.map { String(describing: $0) }.joined()
        let declaration: (function: LLVMValueRef, type: LLVMTypeRef)
        if let cached = declarations[key] {
            declaration = cached
        } else {
            let id = LLVMLookupIntrinsicID(name, name.utf8.count)
            var overloadTypes: [LLVMTypeRef?] = overloads
            let function = LLVMGetIntrinsicDeclaration(module.ref, id, &overloadTypes, overloads.count)!
            let type = LLVMIntrinsicGetType(context, id, &overloadTypes, overloads.count)!
            declaration = (function, type)
            declarations[key] = declaration
        }
        return call(declaration, args)
    }

    /// A call to an external C function (libc / libm), declared on first use.
    func callExternal(_ name: String, returns: LLVMTypeRef, _ parameterTypes: [LLVMTypeRef], _ args: [LLVMValueRef]) -> LLVMValueRef {
        let declaration: (function: LLVMValueRef, type: LLVMTypeRef)
        if let cached = declarations[name] {
            declaration = cached
        } else {
            var parameters: [LLVMTypeRef?] = parameterTypes
            let type = LLVMFunctionType(returns, &parameters, UInt32(parameterTypes.count), 0)!
            let function = LLVMGetNamedFunction(module.ref, name) ?? LLVMAddFunction(module.ref, name, type)!
            declaration = (function, type)
            declarations[name] = declaration
        }
        return call(declaration, args)
    }

    private func call(_ declaration: (function: LLVMValueRef, type: LLVMTypeRef), _ args: [LLVMValueRef]) -> LLVMValueRef {
        var arguments: [LLVMValueRef?] = args
        return LLVMBuildCall2(b, declaration.type, declaration.function, &arguments, UInt32(args.count), "")
    }

    /// The enum attribute `name` (`noalias`, `nounwind`, `noinline`), without a value.
    func enumAttribute(_ name: String) -> LLVMAttributeRef {
        LLVMCreateEnumAttribute(context, LLVMGetEnumAttributeKindForName(name, name.utf8.count), 0)
    }

    // Constants.
    func int64(_ value: Int) -> LLVMValueRef { LLVMConstInt(types.i64, UInt64(bitPattern: Int64(value)), 1) }
    func int32(_ value: Int32) -> LLVMValueRef { LLVMConstInt(types.i32, UInt64(UInt32(bitPattern: value)), 0) }
    func int(_ type: LLVMTypeRef, _ value: UInt64) -> LLVMValueRef { LLVMConstInt(type, value, 0) }
    func float(_ value: Float) -> LLVMValueRef { LLVMConstReal(types.f32, Double(value)) }
    func double(_ value: Double) -> LLVMValueRef { LLVMConstReal(types.f64, value) }
    func bool(_ value: Bool) -> LLVMValueRef { LLVMConstInt(types.i1, value ? 1 : 0, 0) }

    /// A constant of a compute kind (f32 values are first rounded to f32).
    func constant(_ value: Double, kind: ComputeKind) -> ComputedValue {
        switch kind {
        case .f32: ComputedValue(ref: float(Float(value)), kind: .f32)
        case .f64: ComputedValue(ref: double(value), kind: .f64)
        case .bool: ComputedValue(ref: bool(value != 0), kind: .bool)
        }
    }

    /// `base + index * sizeof(storage)`: the address of element `index` of a buffer.
    func elementAddress(_ base: LLVMValueRef, storage: LLVMTypeRef, index: LLVMValueRef) -> LLVMValueRef {
        var indices: [LLVMValueRef?] = [index]
        return LLVMBuildInBoundsGEP2(b, storage, base, &indices, 1, "")
    }
}
