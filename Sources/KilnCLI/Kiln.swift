// Kiln.swift: the `kiln` command and its subcommands.

import ArgumentParser

@main
struct Kiln: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "A compiler for Trainium-style kernels: parse, check, lower, simulate.",
        discussion: """
            Kiln reads kernel files (*.kiln), checks them, and lowers them through a tiling IR for \
            a machine with 128 SBUF partitions, PSUM accumulators and a 128x128 tensor engine.
            Examples: kiln check Examples/*.kiln
                      kiln build Examples/softmax.kiln --emit ast --dim N=1024
            """,
        subcommands: [CheckCommand.self, BuildCommand.self, TuneCommand.self, OptCommand.self, PassesCommand.self, RunCommand.self, DisasmCommand.self, SimCommand.self, VerifyCommand.self, BenchCommand.self, BackendsCommand.self, ReportCommand.self]
    )
}
