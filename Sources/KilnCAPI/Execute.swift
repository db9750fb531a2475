// Execute.swift: running a compiled kernel on one executor, or on ref, sim and llvm to verify: the driver calls, in order.

import CKiln
import KilnDriver
import KilnNpy
import KilnNumerics
import KilnPluginAPI
import KilnSim
import KilnSource

/// What `kiln_run_options` asks for.
struct RunRequestOptions {
    var backend = RunBackend.sim.rawValue
    var trace = false
    var strictDTypes = false

    init(_ options: UnsafePointer<kiln_run_options>?) {
        guard let options = options?.pointee else { return }
        if let backend = options.backend { self.backend = String(cString: backend) }
        trace = options.trace != 0
        strictDTypes = options.strict_dtypes != 0
    }
}

/// The code prepared for one executor, dims, scalar values (for an executor that compiles them in) and trace switch.
struct PreparedKey: Hashable {
    var backend: String
    var dims: [String: Int]
    var scalars: [String: Double]
    var trace: Bool
}

/// The most recently used prepared kernels of one kernel handle, so a sweep over many shapes keeps memory bounded.
struct PreparedCache {
    static let capacity = 8
    private var entries: [(key: PreparedKey, kernel: any PreparedKernel)] = []

    mutating func take(_ key: PreparedKey) -> (any PreparedKernel)? {
        guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
        let entry = entries.remove(at: index)
        entries.append(entry)
        return entry.kernel
    }

    mutating func insert(_ kernel: any PreparedKernel, for key: PreparedKey) {
        entries.removeAll { $0.key == key }
        entries.append((key, kernel))
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    }
}

extension KernelObject {
    /// One run: bind the inputs (dims from their shapes), then the reference interpreter for `ref`, else the
    /// prepared kernel of the executor (prepared now if this key has none yet) run once.
    func run(_ arrays: [String: NpyArray], options: RunRequestOptions) -> RunObject {
        lock.lock()
        defer { lock.unlock() }
        guard let embedded, status == KILN_OK else { return notCompiled(options.backend) }
        let source = embedded.frontEnd.source
        let (call, bindDiagnostics) = Driver.bindEmbeddedCall(embedded, arrays: arrays, strictDTypes: options.strictDTypes)
        guard let call else {
            return RunObject(status: KILN_ERROR_INPUT, backend: options.backend, diagnostics: bindDiagnostics.sorted(), source: source)
        }
        let notes = bindDiagnostics.sorted()
        if options.backend == RunBackend.ref.rawValue {
            let (outputs, diagnostics) = Driver.interpretEmbedded(embedded, call: call)
            let all = notes + diagnostics.sorted()
            guard let outputs, !diagnostics.hasErrors else {
                return RunObject(status: KILN_ERROR_RUN, backend: options.backend, diagnostics: all, source: source)
            }
            return RunObject(status: KILN_OK, backend: options.backend, diagnostics: all, source: source,
                             outputs: outputs.map { ($0.name, PackedTensor($0.tensor)) })
        }
        let binds = bindsScalars[options.backend] ?? Driver.bindsScalarParameters(backend: options.backend)
        bindsScalars[options.backend] = binds
        let scalars = binds
            ? call.scalars : [:]
        let key = PreparedKey(backend: options.backend, dims: call.dims.sizes, scalars: scalars, trace: options.trace)
        let kernel: any PreparedKernel
        if let cached = prepared.take(key) {
            kernel = cached
        } else {
            let execution = ExecutionOptions(recordTrace: options.trace)
            let (made, diagnostics) = Driver.prepareEmbedded(embedded, call: call, backend: options.backend, options: execution)
            guard let made else {
                let unusable = diagnostics.diagnostics.contains { ["K6007", "K6010", "K6011"].contains($0.id.code) }
                return RunObject(status: unusable ? KILN_ERROR_USAGE : KILN_ERROR_COMPILE, backend: options.backend,
                                 diagnostics: notes + diagnostics.sorted(), source: source)
            }
            prepared.insert(made, for: key)
            kernel = made
        }
        do {
            let result = try kernel.run(packedInputs: call.packedInputs)
            let all = notes + result.diagnostics
            let failed = result.diagnostics.contains { $0.severity == .error }
            let context = RunObject.RecordContext(kernel: embedded.kernel?.name ?? "", source: source, dims: call.dims.ordered,
                                                  backend: options.backend)
            return RunObject(status: failed ? KILN_ERROR_RUN : KILN_OK, backend: options.backend, diagnostics: all, source: source,
                             outputs: failed ? [] : result.packedOutputs, simulation: result.details as? SimulationResult,
                             context: context)
        } catch {
            return RunObject(status: KILN_ERROR_RUN, backend: options.backend, diagnostics: notes + error.diagnostics, source: source)
        }
    }

    /// `kiln verify` on one set of inputs: ref, sim and llvm in turn (the first failure is the result), then
    /// every pair compared with the tolerance of each output's dtype. The outputs are ref's.
    func verify(_ arrays: [String: NpyArray], options: RunRequestOptions) -> RunObject {
        guard let embedded, status == KILN_OK else { return notCompiled("verify") }
        var runs: [(backend: RunBackend, outputs: [(name: String, tensor: Tensor)])] = []
        var first: RunObject?
        for backend in [RunBackend.ref, .sim, .llvm] {
            var single = options
            single.backend = backend.rawValue
            single.trace = false
            let run = self.run(arrays, options: single)
            guard run.status == KILN_OK else { return run }
            first = first ?? run
            runs.append((backend, run.outputs.map { (String(cString: $0.info.name), $0.tensor.tensor) }))
        }
        let arraysCall = Driver.bindEmbeddedCall(embedded, arrays: arrays, strictDTypes: options.strictDTypes).0
        guard let call = arraysCall, let oracle = first else { return notCompiled("verify") }
        let (_, mismatches) = Driver.compareEmbedded(embedded, call: call, runs: runs)
        return RunObject(status: mismatches.hasErrors ? KILN_ERROR_VERIFY : KILN_OK, backend: "ref,sim,llvm",
                         diagnostics: mismatches.sorted(), source: embedded.frontEnd.source,
                         outputs: oracle.outputs.map { (String(cString: $0.info.name), $0.tensor) })
    }

    private func notCompiled(_ backend: String) -> RunObject {
        RunObject(status: KILN_ERROR_USAGE, backend: backend,
                  diagnostics: [DiagnosticCatalogue.apiMisuse("run", "the kernel did not compile (status \(status.rawValue))")],
                  source: nil)
    }
}
