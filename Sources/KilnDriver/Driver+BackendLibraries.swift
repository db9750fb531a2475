// Driver+BackendLibraries.swift: loading a backend library (llvm) the first time its backend is used.

import KilnBackendLibraryABI
import KilnBuiltinBackends
import KilnPluginAPI
import KilnSource
import KilnTileIR

/// A backend library's place in the backend registry until the library is loaded: it lists the backend
/// (`kiln backends`, from the catalogue entry) and reserves its name, so a plugin cannot take it. Emitting
/// through it loads the library and emits through its `LibraryBackend`; the driver's own paths load the
/// library before they look the backend up (`Driver.makeRegistries(loading:)`).
public struct CataloguedBackend: Backend {
    public var library: BackendLibrary

    public init(library: BackendLibrary) { self.library = library }

    public var name: String { library.name }
    public var summary: String { library.summary }
    public var fileExtension: String { library.fileExtension }
    public var outputKind: BackendOutputKind { library.outputKind }

    public func emit(module: Module, context: BackendContext) throws(BackendFailure) -> BackendOutput {
        switch Driver.loadedBackendLibrary(library) {
        case .failure(let failure): throw failure
        case .success(let backend): return try backend.emit(module: module, context: context)
        }
    }
}

extension Driver {
    /// Fresh registries (`makeRegistries()`) after loading the backend library of the backend `name`,
    /// when the catalogue has one for it and it is not loaded yet; `failure` is why it could not be loaded
    /// (the registries then still hold its `CataloguedBackend`). For any other name, just the registries.
    public static func makeRegistries(loading name: String)
        -> (passes: PassRegistry, backends: BackendRegistry, failure: Diagnostic?) {
        let failure = BackendLibrary.catalogue.first { $0.name == name }.flatMap { loadBackendLibrary($0) }
        let (passes, backends) = makeRegistries()
        return (passes, backends, failure)
    }

    /// Loads `library` (once per process; a failure is retried on the next call) and registers its backend
    /// as a `LibraryBackend`, origin `built-in`, for every later compile. Steps: `dlopen` of `library.path`
    /// and its `BackendLibraryABI.entryPointSymbol` (`PluginLibrary.entry`); the descriptor's ABI version,
    /// Swift compiler and type layout must be this kiln's (`BackendLibraryABI.read`). Returns the K6011
    /// error, naming the path and the loader's message or the mismatch, or nil when the backend is loaded.
    public static func loadBackendLibrary(_ library: BackendLibrary) -> Diagnostic? {
        if case .failure(let failure) = loadedBackendLibrary(library) { return failure.diagnostics.first }
        return nil
    }

    /// `loadBackendLibrary`, returning the loaded backend.
    static func loadedBackendLibrary(_ library: BackendLibrary) -> Result<LibraryBackend, BackendFailure> {
        PluginSession.shared.loadOnce(library.name) {
            let path = library.path
            func failed(_ reason: String) -> Result<LibraryBackend, BackendFailure> {
                .failure(BackendFailure([DiagnosticCatalogue.backendLibraryNotLoaded(
                    library.name, path: path, reason: reason, product: library.product, variable: library.environmentVariable)]))
            }
            switch PluginLibrary.entry(path: path, symbol: BackendLibraryABI.entryPointSymbol) {
            case .failure(let failure):
                return failed(failure.reason)
            case .success(let descriptor):
                switch BackendLibraryABI.read(descriptor) {
                case .failure(let mismatch): return failed(mismatch.reason)
                case .success(let interface): return .success(LibraryBackend(library: library, interface: interface))
                }
            }
        }
    }
}
