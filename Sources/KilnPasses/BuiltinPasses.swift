// BuiltinPasses.swift: the passes that ship with Kiln, registered into a registry by one call.

import KilnPluginAPI

/// The built-in passes.
public enum BuiltinPasses {
    /// Every built-in pass, in the order `kiln passes` documents them.
    public static let all: [any Pass] = [
        CommonSubexpressionElimination(),
        DeadCodeElimination(),
        Canonicalize(),
        Inline(),
        FoldCopies(),
        HoistInvariants(),
        AssignEngines(),
        DoubleBuffer(),
        Interleave(),
        Allocate(),
        Schedule(),
        FuseGroups(),
        TileTensorOps(),
    ]

    /// The built-in passes' registration callback, of exactly the shape a plugin's has
    /// (`KilnPlugin.RegisterFunction`): the driver registers built-ins and plugins the same way.
    public static let registerFunction: KilnPlugin.RegisterFunction = { raw in
        let registrar = PluginRegistrar.fromOpaque(raw)
        for pass in all { registrar.register(pass: pass) }
    }

    /// Registers every built-in pass as `built-in`.
    public static func register(into registry: PassRegistry) throws(PassRegistrationError) {
        for pass in all { try registry.register(pass, origin: .builtIn) }
    }

    /// A registry holding just the built-in passes.
    public static func makeRegistry() -> PassRegistry {
        let registry = PassRegistry()
        for pass in all {
            // Built-in names are distinct and valid (a test checks), so registration cannot fail here;
            // were it to, the pass would be missing from the registry and `kiln passes` would show it.
            try? registry.register(pass, origin: .builtIn)
        }
        return registry
    }
}
