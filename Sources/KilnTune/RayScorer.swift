// RayScorer.swift: scores candidate batches on a Ray cluster: one Python driver process, kiln on every worker.

import Foundation

/// Scores through a Ray cluster. One `python3` process (the script below) connects to the cluster at `address`
/// and stays up for the whole tune; each batch goes to it as one JSON line, it splits the batch into one share
/// per worker CPU, and each share runs as a Ray task that calls `kiln tune --score-batch` (the same binary,
/// at the same path on every node) on the kernel source it is sent. Scores come back as one JSON line in batch
/// order, so the search sees exactly what a local run sees.
public final class RayScorer: CandidateScorer, @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private var buffered = Data()
    private let lock = NSLock()

    /// Starts the driver and waits for it to connect (a bad address or a missing `ray` module is an error).
    public init(address: String, kiln: String, problem: TuneProblem, python: String = "python3") throws(TuneError) {
        var arguments = [python, "-c", Self.script, "--address", address, "--kiln", kiln, "--target", problem.target]
        for (name, size) in problem.dims.sorted(by: { $0.key < $1.key }) { arguments += ["--dim", "\(name)=\(size)"] }
        for (name, dtype) in problem.dtypes.sorted(by: { $0.key < $1.key }) { arguments += ["--dtype", "\(name)=\(dtype.name)"] }
        if let kernel = problem.kernel { arguments += ["--kernel", kernel] }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw TuneError("cannot start \(python) for --ray: \(error.localizedDescription)")
        }
        let source = String(decoding: problem.frontEnd.source.bytes, as: UTF8.self)
        let hello = try exchange(["source": source, "name": (problem.frontEnd.source.path as NSString).lastPathComponent])
        guard hello["ready"] as? Bool == true else {
            throw TuneError("the Ray driver did not start: \(hello["error"] as? String ?? "no answer")")
        }
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.waitUntilExit() }
    }

    public func score(_ pipelines: [String], progress: @escaping @Sendable (Int) -> Void) throws(TuneError) -> [CandidateScore] {
        let reply = try exchange(["pipelines": pipelines])
        guard let json = reply["scores"], let data = try? JSONSerialization.data(withJSONObject: json),
              let scores = try? JSONDecoder().decode([CandidateScore].self, from: data), scores.count == pipelines.count else {
            throw TuneError("the Ray cluster failed to score a batch: \(reply["error"] as? String ?? "malformed answer")")
        }
        progress(pipelines.count)
        return scores
    }

    /// Sends one JSON object as a line and reads one line back.
    private func exchange(_ message: [String: Any]) throws(TuneError) -> [String: Any] {
        lock.lock()
        defer { lock.unlock() }
        guard var line = try? JSONSerialization.data(withJSONObject: message) else { throw TuneError("cannot encode a batch") }
        line.append(0x0A)
        do {
            try input.fileHandleForWriting.write(contentsOf: line)
        } catch {
            throw TuneError("the Ray driver exited: \(stderrText())")
        }
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                let reply = buffered[buffered.startIndex..<newline]
                buffered = Data(buffered[(newline + 1)...])
                guard let object = try? JSONSerialization.jsonObject(with: reply) as? [String: Any] else {
                    throw TuneError("the Ray driver answered something that is not JSON: \(String(decoding: reply, as: UTF8.self))")
                }
                return object
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw TuneError("the Ray driver exited: \(stderrText())") }
            buffered.append(chunk)
        }
    }

    private func stderrText() -> String {
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n").suffix(3).joined(separator: "\n")
        return lines.isEmpty ? "exit status \(process.terminationStatus)" : lines
    }

    /// The driver: connects, then answers one JSON line per request line.
    static let script = #"""
import argparse, json, os, subprocess, sys, tempfile
parser = argparse.ArgumentParser()
parser.add_argument("--address"); parser.add_argument("--kiln"); parser.add_argument("--target")
parser.add_argument("--dim", action="append", default=[]); parser.add_argument("--kernel")
parser.add_argument("--dtype", action="append", default=[])
args = parser.parse_args()

def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n"); sys.stdout.flush()

hello = json.loads(sys.stdin.readline())
try:
    host, _, port = args.address.rpartition(":")
    if host and port.isdigit():  # fail fast when nothing listens there (ray.init would retry for a minute)
        import socket
        socket.create_connection((host, int(port)), timeout=5).close()
    import ray
    ray.init(address=args.address, logging_level="ERROR", log_to_driver=False)
except Exception as error:  # no ray module, nothing listening at the address, a version mismatch
    reply({"ready": False, "error": f"{type(error).__name__}: {error}"}); sys.exit(1)

@ray.remote(num_cpus=1)
def score_share(kiln, source, name, flags, pipelines):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, "w") as handle: handle.write(source)
        done = subprocess.run([kiln, "tune", path, "--score-batch", "--jobs", "1"] + flags,
                              input=json.dumps(pipelines), capture_output=True, text=True)
        if done.returncode != 0:
            return [{"pipeline": p, "error": "kiln --score-batch failed: " + done.stderr.strip()[-300:]} for p in pipelines]
        return json.loads(done.stdout)

flags = ["--target", args.target] + [x for d in args.dim for x in ("--dim", d)]
flags += [x for d in args.dtype for x in ("--dtype", d)]
flags += ["--kernel", args.kernel] if args.kernel else []
workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
reply({"ready": True, "workers": workers})
for line in sys.stdin:
    pipelines = json.loads(line)["pipelines"]
    try:
        size = max(1, -(-len(pipelines) // workers))
        shares = [pipelines[i:i + size] for i in range(0, len(pipelines), size)]
        futures = [score_share.remote(args.kiln, hello["source"], hello["name"], flags, share) for share in shares]
        reply({"scores": [score for share in ray.get(futures) for score in share]})
    except Exception as error:
        reply({"error": f"{type(error).__name__}: {error}"})
"""#
}
