// Run.swift: kiln_run: one execution of a kernel (or a verification), its outputs, stats, trace and report.

import CKiln
import Foundation
import KilnDriver
import KilnNpy
import KilnNumerics
import KilnPluginAPI
import KilnReport
import KilnSim
import KilnSource

/// What one run produced, kept for the C caller: status, diagnostics, outputs as stored, and for a simulation
/// its stats and (with a trace) its timeline, run record and report, made on first request.
final class RunObject: @unchecked Sendable {
    let status: kiln_status
    let backend: UnsafePointer<CChar>
    let diagnostics: OpaquePointer
    let outputs: [(info: kiln_value_info, tensor: PackedTensor)]
    private let simulation: SimulationResult?
    private let context: RecordContext?
    private let arena: CArena
    private let lock = NSLock()
    private var stats: UnsafePointer<CChar>??
    private var record: UnsafePointer<CChar>??
    private var report: UnsafePointer<CChar>??

    /// What a run record names besides the simulation: the kernel, its source and dims, the executor.
    struct RecordContext {
        var kernel: String
        var source: SourceFile
        var dims: [(name: String, size: Int)]
        var backend: String
    }

    init(status: kiln_status, backend: String, diagnostics: [Diagnostic], source: SourceFile?,
         outputs: [(name: String, tensor: PackedTensor)] = [], simulation: SimulationResult? = nil,
         context: RecordContext? = nil) {
        let arena = CArena()
        self.arena = arena
        self.status = status
        self.backend = arena.string(backend)
        self.diagnostics = HandleTable.shared.insert(DiagnosticsObject(diagnostics, source: source))
        self.outputs = outputs.map { name, tensor in
            var info = kiln_value_info()
            info.name = arena.string(name)
            info.dtype = kilnDType(tensor.dtype)
            info.rank = Int32(tensor.shape.count)
            info.shape = arena.array(tensor.shape.map(Int64.init))
            return (info, tensor)
        }
        self.simulation = simulation
        self.context = context
    }

    deinit { HandleTable.shared.remove(diagnostics) }

    /// The stats as `--stats-json` writes them (made on first request: JSON encoding costs as much as a small
    /// simulation); nil when no simulation ran.
    var statsJSON: UnsafePointer<CChar>? {
        lock.lock()
        defer { lock.unlock() }
        if let stats { return stats }
        let made = simulation.map { arena.string($0.stats.json()) }
        stats = made
        return made
    }

    /// The trace JSON, when the simulation recorded one.
    var traceJSON: String? {
        guard let simulation, !simulation.trace.isEmpty else { return nil }
        return simulation.traceJSON()
    }

    /// The run record `kiln report` reads (stats, trace, machine peaks, source lines); nil without a trace.
    var recordJSON: UnsafePointer<CChar>? {
        lock.lock()
        defer { lock.unlock() }
        if let record { return record }
        var made: UnsafePointer<CChar>?
        if let simulation, let context, let trace = traceJSON {
            made = arena.string(RunRecord.json(kernel: context.kernel, source: context.source, dims: context.dims,
                                               backend: context.backend, statsJSON: simulation.stats.json(), traceJSON: trace))
        }
        record = made
        return made
    }

    /// The HTML report of the run record; nil without a trace.
    var reportHTML: UnsafePointer<CChar>? {
        guard let recordJSON else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let report { return report }
        var made: UnsafePointer<CChar>?
        if case .success(let html) = HTMLReport.render(recordJSON: String(cString: recordJSON)) { made = arena.string(html) }
        report = made
        return made
    }

    /// Why a simulation product (`what`) cannot be had from this run.
    func missing(_ what: String) -> String {
        DiagnosticCatalogue.notSimulated(what, backend: String(cString: backend)).message
    }
}

