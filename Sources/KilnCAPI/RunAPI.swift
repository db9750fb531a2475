// RunAPI.swift: the C functions of kiln.h that run kernels and read what a run produced.

import CKiln
import Foundation
import KilnSource

/// Runs (or verifies) through a kernel handle, or makes a failed run saying why it could not.
private func start(_ handle: OpaquePointer?, _ inputs: UnsafePointer<kiln_tensor>?, _ count: Int,
                   _ options: UnsafePointer<kiln_run_options>?, function: String, verify: Bool) -> OpaquePointer {
    let request = RunRequestOptions(options)
    let run: RunObject
    if let kernel = HandleTable.shared.lookup(handle, as: KernelObject.self, in: function) {
        switch readInputs(inputs, count: count, kernel: kernel.embedded?.kernel, function: function) {
        case .failure(let problem):
            run = RunObject(status: KILN_ERROR_USAGE, backend: request.backend, diagnostics: [problem.diagnostic], source: nil)
        case .success(let arrays):
            run = verify ? kernel.verify(arrays, options: request) : kernel.run(arrays, options: request)
        }
    } else {
        run = RunObject(status: KILN_ERROR_USAGE, backend: request.backend,
                        diagnostics: [DiagnosticCatalogue.apiMisuse(function, String(cString: kilnLastError()))], source: nil)
    }
    if run.status == KILN_OK {
        LastError.clear()
    } else {
        LastError.set("\(function): " + String(cString: kilnDiagnosticsText(run.diagnostics) ?? kilnLastError()))
    }
    return HandleTable.shared.insert(run)
}

@_cdecl("kiln_kernel_run")
public func kilnKernelRun(_ handle: OpaquePointer?, _ inputs: UnsafePointer<kiln_tensor>?, _ count: Int,
                          _ options: UnsafePointer<kiln_run_options>?) -> OpaquePointer {
    start(handle, inputs, count, options, function: "kiln_kernel_run", verify: false)
}

@_cdecl("kiln_kernel_verify")
public func kilnKernelVerify(_ handle: OpaquePointer?, _ inputs: UnsafePointer<kiln_tensor>?, _ count: Int,
                             _ options: UnsafePointer<kiln_run_options>?) -> OpaquePointer {
    start(handle, inputs, count, options, function: "kiln_kernel_verify", verify: true)
}

@_cdecl("kiln_run_status")
public func kilnRunStatus(_ handle: OpaquePointer?) -> kiln_status {
    HandleTable.shared.lookup(handle, as: RunObject.self, in: "kiln_run_status")?.status ?? KILN_ERROR_USAGE
}

@_cdecl("kiln_run_diagnostics")
public func kilnRunDiagnostics(_ handle: OpaquePointer?) -> OpaquePointer? {
    HandleTable.shared.lookup(handle, as: RunObject.self, in: "kiln_run_diagnostics")?.diagnostics
}

@_cdecl("kiln_run_backend")
public func kilnRunBackend(_ handle: OpaquePointer?) -> UnsafePointer<CChar>? {
    HandleTable.shared.lookup(handle, as: RunObject.self, in: "kiln_run_backend")?.backend
}

@_cdecl("kiln_run_output_count")
public func kilnRunOutputCount(_ handle: OpaquePointer?) -> Int {
    HandleTable.shared.lookup(handle, as: RunObject.self, in: "kiln_run_output_count")?.outputs.count ?? 0
}

@_cdecl("kiln_run_output")
public func kilnRunOutput(_ handle: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<kiln_value_info>?) -> kiln_status {
    let function = "kiln_run_output"
    guard let run = HandleTable.shared.lookup(handle, as: RunObject.self, in: function) else { return KILN_ERROR_USAGE }
    guard let out else { return usageError(function, "out is NULL") }
    guard index >= 0, index < run.outputs.count else { return usageError(function, "index \(index) is out of range (\(run.outputs.count))") }
    out.pointee = run.outputs[index].info
    LastError.clear()
    return KILN_OK
}

@_cdecl("kiln_run_read_output")
public func kilnRunReadOutput(_ handle: OpaquePointer?, _ index: Int, _ buffer: UnsafeMutableRawPointer?, _ bytes: Int) -> kiln_status {
    let function = "kiln_run_read_output"
    guard let run = HandleTable.shared.lookup(handle, as: RunObject.self, in: function) else { return KILN_ERROR_USAGE }
    guard index >= 0, index < run.outputs.count else { return usageError(function, "index \(index) is out of range (\(run.outputs.count))") }
    let stored = run.outputs[index].tensor.bytes
    guard bytes >= stored.count else { return usageError(function, "the buffer has \(bytes) bytes; output \(index) needs \(stored.count)") }
    guard let buffer else { return stored.isEmpty ? KILN_OK : usageError(function, "buffer is NULL") }
    stored.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    LastError.clear()
    return KILN_OK
}

@_cdecl("kiln_run_stats_json")
public func kilnRunStatsJSON(_ handle: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let run = HandleTable.shared.lookup(handle, as: RunObject.self, in: "kiln_run_stats_json") else { return nil }
    if run.statsJSON == nil { LastError.set("kiln_run_stats_json: " + run.missing("stats")) }
    return run.statsJSON
}

@_cdecl("kiln_run_write_trace")
public func kilnRunWriteTrace(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> kiln_status {
    let function = "kiln_run_write_trace"
    guard let run = HandleTable.shared.lookup(handle, as: RunObject.self, in: function) else { return KILN_ERROR_USAGE }
    guard let path else { return usageError(function, "path is NULL") }
    guard let trace = run.traceJSON else { return usageError(function, run.missing("a trace")) }
    return write(trace, to: String(cString: path), function: function)
}

@_cdecl("kiln_run_record_json")
public func kilnRunRecordJSON(_ handle: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let run = HandleTable.shared.lookup(handle, as: RunObject.self, in: "kiln_run_record_json") else { return nil }
    guard let record = run.recordJSON else {
        LastError.set("kiln_run_record_json: " + run.missing("a run record"))
        return nil
    }
    return record
}

@_cdecl("kiln_run_report_html")
public func kilnRunReportHTML(_ handle: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let run = HandleTable.shared.lookup(handle, as: RunObject.self, in: "kiln_run_report_html") else { return nil }
    guard let html = run.reportHTML else {
        LastError.set("kiln_run_report_html: " + run.missing("a report"))
        return nil
    }
    return html
}

@_cdecl("kiln_run_write_report")
public func kilnRunWriteReport(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> kiln_status {
    let function = "kiln_run_write_report"
    guard let run = HandleTable.shared.lookup(handle, as: RunObject.self, in: function) else { return KILN_ERROR_USAGE }
    guard let path else { return usageError(function, "path is NULL") }
    guard let html = run.reportHTML else { return usageError(function, run.missing("a report")) }
    return write(String(cString: html), to: String(cString: path), function: function)
}

@_cdecl("kiln_run_free")
public func kilnRunFree(_ handle: OpaquePointer?) {
    guard handle != nil, HandleTable.shared.lookup(handle, as: RunObject.self, in: "kiln_run_free") != nil else { return }
    HandleTable.shared.remove(handle)
}

/// Writes `text` to `path` whole: to a temporary file in the same folder, then renamed over it.
private func write(_ text: String, to path: String, function: String) -> kiln_status {
    let destination = URL(fileURLWithPath: path)
    let temporary = destination.deletingLastPathComponent()
        .appendingPathComponent(".\(destination.lastPathComponent).kiln-tmp-\(getpid())-\(UUID().uuidString)")
    do {
        try Data(text.utf8).write(to: temporary)
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        LastError.set("\(function): " + DiagnosticCatalogue.cannotWrite(path, error.localizedDescription).message)
        return KILN_ERROR_IO
    }
    guard rename(temporary.path, destination.path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        LastError.set("\(function): " + DiagnosticCatalogue.cannotWrite(path, reason).message)
        return KILN_ERROR_IO
    }
    LastError.clear()
    return KILN_OK
}
