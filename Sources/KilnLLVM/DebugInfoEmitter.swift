// DebugInfoEmitter.swift: DWARF debug info through LLVMDIBuilder: every lowered op located at its kernel line:col.

internal import CLLVM
import KilnSource
import KilnTileIR

/// Makes one compile unit for the kernel file, one subprogram per lowered function, and sets the builder's
/// debug location before each op from the op's kernel source span (line and column computed from the
/// kernel source; line 0, "no location", when the source is not at hand or the op has no span).
final class DebugInfoEmitter {
    private let builder: LLVMDebugInfoBuilderOwner
    private let file: LLVMMetadataRef
    private let source: SourceFile?
    private var scope: LLVMMetadataRef?
    private var functionLine: UInt32 = 0

    init(module: LLVMModuleOwner, sourcePath: String, source: SourceFile?) {
        builder = LLVMDebugInfoBuilderOwner(module: module)
        let (directory, name) = Self.split(sourcePath)
        file = LLVMDIBuilderCreateFile(builder.ref, name, name.utf8.count, directory, directory.utf8.count)
        let producer = "kiln"
        _ = LLVMDIBuilderCreateCompileUnit(builder.ref, LLVMDWARFSourceLanguageC, file, producer, producer.utf8.count, 1, "", 0,
                                           0, "", 0, LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0)
        self.source = source
        let context = module.context.ref
        let version = LLVMValueAsMetadata(LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(LLVMDebugMetadataVersion()), 0))
        let key = "Debug Info Version"
        LLVMAddModuleFlag(module.ref, LLVMModuleFlagBehaviorWarning, key, key.utf8.count, version)
        let dwarf = LLVMValueAsMetadata(LLVMConstInt(LLVMInt32TypeInContext(context), 4, 0))
        LLVMAddModuleFlag(module.ref, LLVMModuleFlagBehaviorWarning, "Dwarf Version", "Dwarf Version".utf8.count, dwarf)
    }

    /// Starts a function: its subprogram, at the line of the function's span.
    func enter(function: Function, llvmFunction: LLVMValueRef, lowering: LoweringContext) {
        functionLine = line(of: function.span)
        var noTypes: [LLVMMetadataRef?] = []
        let type = LLVMDIBuilderCreateSubroutineType(builder.ref, file, &noTypes, 0, LLVMDIFlagZero)
        let linkage = String(cString: LLVMGetValueName(llvmFunction))
        let subprogram = LLVMDIBuilderCreateFunction(builder.ref, file, function.name, function.name.utf8.count,
                                                     linkage, linkage.utf8.count, file, functionLine, type, 0, 1,
                                                     functionLine, LLVMDIFlagZero, 1)
        LLVMSetSubprogram(llvmFunction, subprogram)
        scope = subprogram
        setLocation(function.span, lowering: lowering)
    }

    /// Starts a part of the current function (`FunctionLowering+Parts`): its own subprogram, named after the
    /// part's symbol, at `span`'s line. Returns what `leavePart` restores.
    func enterPart(llvmFunction: LLVMValueRef, at span: SourceSpan, lowering: LoweringContext) -> (LLVMMetadataRef?, UInt32) {
        let saved = (scope, functionLine)
        guard scope != nil else { return saved }
        let line = line(of: span) == 0 ? functionLine : line(of: span)
        var noTypes: [LLVMMetadataRef?] = []
        let type = LLVMDIBuilderCreateSubroutineType(builder.ref, file, &noTypes, 0, LLVMDIFlagZero)
        let name = String(cString: LLVMGetValueName(llvmFunction))
        let subprogram = LLVMDIBuilderCreateFunction(builder.ref, file, name, name.utf8.count, name, name.utf8.count, file,
                                                     line, type, 1, 1, line, LLVMDIFlagZero, 1)
        LLVMSetSubprogram(llvmFunction, subprogram)
        scope = subprogram
        functionLine = line
        setLocation(span, lowering: lowering)
        return saved
    }

    /// Returns to the function a part was made from.
    func leavePart(restoring saved: (LLVMMetadataRef?, UInt32)?, lowering: LoweringContext) {
        guard let saved else { return }
        (scope, functionLine) = saved
        if scope == nil {
            LLVMSetCurrentDebugLocation2(lowering.b, nil)
        } else {
            setLocation(.unknown, lowering: lowering)
        }
    }

    /// Points the builder's debug location at `span` (the enclosing function's line when the span is unknown).
    func setLocation(_ span: SourceSpan, lowering: LoweringContext) {
        guard let scope else { return }
        var line = functionLine
        var column: UInt32 = 0
        if span.isKnown, let source {
            let position = source.lineColumn(of: span.start)
            line = UInt32(clamping: position.line)
            column = UInt32(clamping: position.column)
        }
        let location = LLVMDIBuilderCreateDebugLocation(lowering.context, line, column, scope, nil)
        LLVMSetCurrentDebugLocation2(lowering.b, location)
    }

    /// Leaves the function: later instructions (wrappers) get no location.
    func leave(lowering: LoweringContext) {
        scope = nil
        LLVMSetCurrentDebugLocation2(lowering.b, nil)
    }

    /// Completes the debug info; must run before verification and emission.
    func finalize() { builder.finalize() }

    private func line(of span: SourceSpan) -> UInt32 {
        guard span.isKnown, let source else { return 0 }
        return UInt32(clamping: source.lineColumn(of: span.start).line)
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
