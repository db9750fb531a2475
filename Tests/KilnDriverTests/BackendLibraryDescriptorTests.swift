// BackendLibraryDescriptorTests.swift: kiln refuses a backend library built from other sources, before reading its interface.

import KilnBackendLibraryABI
import KilnMachine
import Testing

@Suite struct BackendLibraryDescriptorTests {
    /// A descriptor as a library's entry point lays it out, with the given layout fingerprint and an interface
    /// pointer that must never be read (it points at 8 zero bytes).
    static func descriptor(layout: String, body: (UnsafeRawPointer) -> Void) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 8)
        let interface = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        interface.storeBytes(of: 0, as: UInt64.self)
        defer { raw.deallocate(); interface.deallocate() }
        BackendLibraryABI.swiftCompilerVersion.withCString { compiler in
            layout.withCString { layoutText in
                raw.storeBytes(of: BackendLibraryABI.version, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: compiler, toByteOffset: 8, as: UnsafePointer<CChar>.self)
                raw.storeBytes(of: layoutText, toByteOffset: 16, as: UnsafePointer<CChar>.self)
                raw.storeBytes(of: UnsafeRawPointer(interface), toByteOffset: 24, as: UnsafeRawPointer.self)
                body(UnsafeRawPointer(raw))
            }
        }
    }

    @Test func aLibraryThatKnowsOneDTypeLessIsRefused() {
        // The library's types have the same sizes; only the dtypes it knows differ (one built before f4e2m1fn).
        let here = BackendLibraryABI.layoutFingerprint
        let count = ElementType.allCases.count
        #expect(here.contains("ElementTypes=\(count)"))
        let older = here.replacingOccurrences(of: "ElementTypes=\(count)", with: "ElementTypes=\(count - 1)")
        Self.descriptor(layout: older) { raw in
            guard case .failure(let mismatch) = BackendLibraryABI.read(raw) else {
                Issue.record("a library with another dtype count was accepted")
                return
            }
            #expect(mismatch == .layout(library: older))
            #expect(mismatch.reason.contains("built from other sources than this kiln"))
        }
    }
}
