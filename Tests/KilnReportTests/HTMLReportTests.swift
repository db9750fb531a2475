// HTMLReportTests.swift: the HTML report drawn from a small hand-written run record, and records it refuses.

import Testing
@testable import KilnReport

private let record = """
    {"format": "kiln-run-record", "version": 1, "kernel": "k", "source": "k.kiln", "backend": "sim", "target": "trn1",
     "dims": [{"name": "N", "size": 128}],
     "machine": {"peak_flops_per_second": 1.0e14, "dma_bytes_per_second": 2.0e11},
     "source_lines": {"3": "return a @ b"},
     "stats": {"target": "trn1", "seconds": 2.0e-6, "hfu": 0.1, "mfu": 0.1, "mbu": 0.2, "hardware_flops": 4194304,
               "dma_bytes": 98304, "engines": {"pe": {"busy_ns": 1000, "utilization": 0.5, "instructions": 2},
               "act": {"busy_ns": 0, "utilization": 0, "instructions": 0}, "dma.q0": {"busy_ns": 800, "utilization": 0.4, "instructions": 1}}},
     "trace": {"traceEvents": [
       {"name": "thread_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "pe"}},
       {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "dma.q0"}},
       {"name": "matmul k.kiln:3", "ph": "X", "pid": 1, "tid": 0, "ts": 0.9, "dur": 0.5, "args": {"source": "k.kiln:3:10"}},
       {"name": "matmul k.kiln:3", "ph": "X", "pid": 1, "tid": 0, "ts": 1.4, "dur": 0.5, "args": {"source": "k.kiln:3:10"}},
       {"name": "dma.load k.kiln:3", "ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 0.8, "args": {"source": "k.kiln:3:10"}}]}}
    """

@Test func everyEngineAndQueueIsATrackWithLabelledBoxes() throws {
    let html = try HTMLReport.render(recordJSON: record).get()
    #expect(html.contains("data-track=\"pe\" data-boxes=\"2\""))
    #expect(html.contains("data-track=\"act\" data-boxes=\"0\""))
    #expect(html.contains("data-track=\"dma.q0\" data-boxes=\"1\""))
    #expect(html.components(separatedBy: "class=\"kiln-box\" data-label=\"line 3\"").count - 1 == 3)
    #expect(html.contains("kiln-roofline-point"))
    #expect(html.contains("<code>return a @ b</code>"))
    #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
}

@Test func modelTakesEnginesInMachineOrder() throws {
    let model = try ReportModel(recordJSON: record)
    #expect(model.tracks == ["pe", "act", "dma.q0"])
    #expect(model.boxes.map(\.line) == [3, 3, 3])
    #expect(model.sourceLines[3] == "return a @ b")
}

@Test func refusesWhatIsNotARunRecord() {
    for text in ["[1, 2]", "{\"format\": \"other\"}", "{\"format\": \"kiln-run-record\"}", "not json"] {
        guard case .failure(let error) = HTMLReport.render(recordJSON: text) else {
            Issue.record("accepted \(text)")
            continue
        }
        #expect(!error.description.isEmpty)
    }
}

@Test func escapesMarkup() {
    #expect(HTMLReport.escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;")
}
