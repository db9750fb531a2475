// Inline.swift: the `inline` pass: replaces every `call` by the callee's body and drops helpers left uncalled.

import KilnPluginAPI
import KilnSource
import KilnTileIR

/// `inline`: inlines every `call` op.
///
/// Algorithm: note the functions that are called anywhere in the module (the helpers). Then, for each
/// function, walk its blocks (loop bodies included) and replace each `call @f(args) : T` by a copy of
/// `@f`'s body: every value the body defines (results, loop induction variables) gets a fresh id in the
/// caller (keeping its name hint), uses of `@f`'s parameters become the arguments, and the callee's
/// final `return %v` is dropped, the call's result being replaced by the copy of `%v` in every later use.
/// Inlined ops keep their own source locations (the helper's lines). A callee that itself calls is
/// inlined with its calls, and those are inlined in the next round; rounds repeat until no call is left,
/// up to a depth limit that stops recursive helpers with an error. Finally the helpers no function calls
/// any more are removed; functions that were never called (the kernels) stay.
public struct Inline: Pass {
    public let name = "inline"
    public let summary = "inline every call to a helper function and remove helpers no longer called"

    /// Rounds of inlining before a remaining call is taken for recursion.
    static let depthLimit = 64

    public init() {}

    public func run(on module: inout Module, context: inout PassContext) throws {
        let helpers = Set(module.functions.flatMap { Self.callees(in: $0.body) })
        for index in module.functions.indices {
            var round = 0
            while !Self.callees(in: module.functions[index].body).isEmpty {
                round += 1
                if round > Self.depthLimit {
                    module.functions[index].body.walk { op in
                        if case .call(let callee, _) = op.kind, !context.hasErrors {
                            context.report(at: op) { DiagnosticCatalogue.inlineTooDeep(callee, limit: Self.depthLimit, at: $0) }
                        }
                    }
                    return
                }
                var function = module.functions[index]
                var replacements: [ValueID: ValueID] = [:]
                function.body = try inlineCalls(in: function.body, of: &function, module: module, replacements: &replacements)
                module.functions[index] = function
            }
        }
        let stillCalled = Set(module.functions.flatMap { Self.callees(in: $0.body) })
        module.functions.removeAll { helpers.contains($0.name) && !stillCalled.contains($0.name) }
    }

    /// Every function name a `call` in the block (or a nested loop) names.
    static func callees(in block: Block) -> [String] {
        var names: [String] = []
        block.walk { op in if case .call(let callee, _) = op.kind { names.append(callee) } }
        return names
    }

    /// The block with each call replaced by the callee's body; `replacements` maps call results to the
    /// values that now stand for them.
    private func inlineCalls(in block: Block, of function: inout Function, module: Module,
                             replacements: inout [ValueID: ValueID]) throws -> Block {
        var ops: [Operation] = []
        for var op in block.ops {
            let current = replacements
            op.kind = op.kind.mappingValues { current[$0] ?? $0 }
            if case .forLoop(var loop) = op.kind {
                loop.body = try inlineCalls(in: loop.body, of: &function, module: module, replacements: &replacements)
                op.kind = .forLoop(loop)
                ops.append(op)
                continue
            }
            guard case .call(let callee, let arguments) = op.kind, let result = op.result else {
                ops.append(op)
                continue
            }
            guard let target = module.function(named: callee), target.parameters.count == arguments.count,
                  case .ret(let returned)? = target.body.ops.last?.kind, returned.count == 1 else {
                throw PassFailure(pass: name, reason: "@\(callee) is not a function of the module with one returned value "
                    + "and \(arguments.count) parameters; run the verifier")
            }
            var renaming: [ValueID: ValueID] = [:]
            for (parameter, argument) in zip(target.parameters, arguments) { renaming[parameter.value.id] = argument }
            ops += clone(Array(target.body.ops.dropLast()), into: &function, renaming: &renaming)
            replacements[result.id] = renaming[returned[0]] ?? returned[0]
        }
        return Block(ops)
    }

    /// Copies ops into `function`, giving every definition a fresh id and renaming uses accordingly.
    private func clone(_ ops: [Operation], into function: inout Function, renaming: inout [ValueID: ValueID]) -> [Operation] {
        var copies: [Operation] = []
        for op in ops {
            var copy = op
            copy.textSpan = .unknown
            if case .forLoop(var loop) = op.kind {
                let induction = function.makeValue(loop.inductionVariable.type, name: loop.inductionVariable.nameHint)
                renaming[loop.inductionVariable.id] = induction.id
                loop.inductionVariable = induction
                loop.body = Block(clone(loop.body.ops, into: &function, renaming: &renaming))
                copy.kind = .forLoop(loop)
            } else {
                let current = renaming
                copy.kind = op.kind.mappingValues { current[$0] ?? $0 }
            }
            if let result = op.result {
                let fresh = function.makeValue(result.type, name: result.nameHint)
                renaming[result.id] = fresh.id
                copy.result = fresh
            }
            copies.append(copy)
        }
        return copies
    }
}
