// SchedulingPortableOp.swift: ops that both the scalar (act) and vector (dve) engines can run, in either form.

import KilnMachine
import KilnTileIR

/// The engine-neutral meaning of an op that act and dve both implement, so `assign-engines` can move it.
/// Only float tiles qualify: the scalar engine computes in floating point; a copy only between tiles of one shape.
enum SchedulingPortableOp: Equatable {
    /// `dve.copy a -> b` / `act.activate identity a -> b`.
    case copy(ValueID, ValueID)
    /// `dve.tensor_scalar mul a, s -> b` / `act.activate identity a -> b scale s` (s a constant or a [P | 1] tile:
    /// both round the f32 product once).
    case scale(ValueID, ScalarOperand, ValueID)
    /// `dve.tensor_scalar add a, s -> b` / `act.activate identity a -> b bias s` (s a constant or [P | 1] tile).
    case addScalar(ValueID, ScalarOperand, ValueID)
    /// `dve.tensor_scalar max a, 0.0 -> b` / `act.activate relu a -> b`.
    case relu(ValueID, ValueID)
    /// `dve.reciprocal a -> b` / `act.activate reciprocal a -> b`.
    case reciprocal(ValueID, ValueID)

    /// The portable meaning of `kind`, or nil when only one engine has it.
    init?(_ kind: OpKind, types: [ValueID: ValueDef]) {
        let isFloatTile = { (value: ValueID) in types[value]?.type.tileType?.element.isFloat == true }
        if let (source, destination) = kind.asUnaryTileOp(.dveCopy) {
            // A copy that regroups free dims (`[P | 1, D]` into `[P | D]`) has no act form.
            guard let a = types[source]?.type.tileType, let b = types[destination]?.type.tileType, a.hasSameShape(as: b)
            else { return nil }
            self = .copy(source, destination)
        } else if let (source, destination) = kind.asUnaryTileOp(.dveReciprocal) {
            self = .reciprocal(source, destination)
        } else if let op = kind.asTensorScalar {
            // With a fused reduce it is NKI's tensor_scalar_reduce, a vector-engine instruction only.
            guard kind.instruction?["reduce"].map({ $0 == .reduceInto(nil) }) ?? true else { return nil }
            switch (op.op, op.scalar) {
            case (.mul, .constant(let factor)): self = .scale(op.a, .constant(factor), op.destination)
            case (.mul, .value(let factor)) where types[factor]?.type.tileType != nil:
                // A per-partition tile (a kernel's scalar parameter is a dve operand only).
                self = .scale(op.a, .value(factor), op.destination)
            case (.add, let operand): self = .addScalar(op.a, operand, op.destination)
            case (.sub, .constant(let value)): self = .addScalar(op.a, .constant(-value), op.destination)
            case (.max, .constant(0)): self = .relu(op.a, op.destination)
            default: return nil
            }
        } else if let activation = kind.asActivation, activation.reduce == nil {
            if case .value = activation.scale {
                guard activation.function == .identity, activation.bias == .constant(0) else { return nil }
                self = .scale(activation.source, activation.scale, activation.destination)
                guard isFloatTile(source), isFloatTile(destination) else { return nil }
                return
            }
            guard let scale = activation.constantScale else { return nil }
            let plain = scale == 1 && activation.bias == .constant(0)
            switch activation.function {
            case .identity where plain: self = .copy(activation.source, activation.destination)
            case .identity where activation.bias == .constant(0):
                self = .scale(activation.source, .constant(scale), activation.destination)
            case .identity where scale == 1:
                self = .addScalar(activation.source, activation.bias, activation.destination)
            case .relu where plain: self = .relu(activation.source, activation.destination)
            case .reciprocal where plain: self = .reciprocal(activation.source, activation.destination)
            default: return nil
            }
        } else {
            return nil
        }
        guard isFloatTile(source), isFloatTile(destination) else { return nil }
    }

    var source: ValueID {
        switch self {
        case .copy(let a, _), .scale(let a, _, _), .addScalar(let a, _, _), .relu(let a, _), .reciprocal(let a, _): a
        }
    }

    var destination: ValueID {
        switch self {
        case .copy(_, let b), .scale(_, _, let b), .addScalar(_, _, let b), .relu(_, let b), .reciprocal(_, let b): b
        }
    }

    /// The op in the form of `engine` (act or dve).
    func kind(on engine: Engine) -> OpKind {
        if engine == .act {
            var activation = Activation(function: .identity, source: source, destination: destination)
            switch self {
            case .copy: break
            case .scale(_, let factor, _): activation.scale = factor
            case .addScalar(_, let operand, _): activation.bias = operand
            case .relu: activation.function = .relu
            case .reciprocal: activation.function = .reciprocal
            }
            return .actActivate(activation)
        }
        switch self {
        case .copy(let a, let b): return .dveCopy(source: a, destination: b)
        case .scale(let a, let factor, let b): return .dveTensorScalar(.mul, a, factor, destination: b)
        case .addScalar(let a, let operand, let b): return .dveTensorScalar(.add, a, operand, destination: b)
        case .relu(let a, let b): return .dveTensorScalar(.max, a, .constant(0), destination: b)
        case .reciprocal(let a, let b): return .dveReciprocal(source: a, destination: b)
        }
    }
}
