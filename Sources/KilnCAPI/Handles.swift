// Handles.swift: what a C handle is (a number that is never reused), the table of live handles, the last error per thread.

import CKiln
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Every live object a C caller holds, by handle. A handle is a counter value cast to a pointer, never an
/// address and never reused, so a NULL, forged or freed handle is found missing here and reported as
/// KILN_ERROR_USAGE instead of being dereferenced.
final class HandleTable: @unchecked Sendable {
    static let shared = HandleTable()

    private let lock = NSLock()
    private var objects: [UInt: AnyObject] = [:]
    private var next: UInt = 1

    /// Stores `object` and returns its new handle.
    func insert(_ object: AnyObject) -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        let handle = next
        next += 1
        objects[handle] = object
        return OpaquePointer(bitPattern: handle)!
    }

    /// The live object of type `T` a handle names (the thread's last error cleared), or nil (and the last error
    /// set, naming `function`).
    func lookup<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type, in function: String) -> T? {
        guard let handle else {
            LastError.set("\(function): the handle is NULL")
            return nil
        }
        lock.lock()
        let object = objects[UInt(bitPattern: handle)]
        lock.unlock()
        guard let found = object as? T else {
            LastError.set("\(function): \(object == nil ? "not a live handle (never made, or already freed)" : "a handle of another kind")")
            return nil
        }
        LastError.clear()
        return found
    }

    /// Forgets a handle; its object is released when no call still uses it. False when it was not live.
    @discardableResult
    func remove(_ handle: OpaquePointer?) -> Bool {
        guard let handle else { return false }
        lock.lock()
        let removed = objects.removeValue(forKey: UInt(bitPattern: handle))
        lock.unlock()
        // Released here, outside the lock: an object's deinit may remove the handles it owns.
        return removed != nil
    }
}

/// `kiln_last_error()`: one message per thread, set by a failing call and cleared by a successful one.
enum LastError {
    /// The key of the thread-specific C string (freed with its thread).
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()
    nonisolated(unsafe) private static let empty: UnsafeMutablePointer<CChar> = strdup("")!

    static func set(_ message: String) {
        free(pthread_getspecific(key))
        pthread_setspecific(key, strdup(message))
    }

    static func clear() {
        free(pthread_getspecific(key))
        pthread_setspecific(key, nil)
    }

    static var current: UnsafePointer<CChar> {
        guard let message = pthread_getspecific(key) else { return UnsafePointer(empty) }
        return UnsafePointer(message.assumingMemoryBound(to: CChar.self))
    }
}

/// C memory a handle hands out (strings, arrays), freed with the handle.
final class CArena: @unchecked Sendable {
    private var allocations: [UnsafeMutableRawPointer] = []
    private let lock = NSLock()

    func string(_ text: String) -> UnsafePointer<CChar> {
        let pointer = strdup(text)!
        remember(UnsafeMutableRawPointer(pointer))
        return UnsafePointer(pointer)
    }

    func array<T: BitwiseCopyable>(_ values: [T]) -> UnsafePointer<T>? {
        guard !values.isEmpty else { return nil }
        let buffer = malloc(MemoryLayout<T>.stride * values.count)!.bindMemory(to: T.self, capacity: values.count)
        buffer.initialize(from: values, count: values.count)
        remember(UnsafeMutableRawPointer(buffer))
        return UnsafePointer(buffer)
    }

    private func remember(_ pointer: UnsafeMutableRawPointer) {
        lock.lock()
        allocations.append(pointer)
        lock.unlock()
    }

    deinit {
        for pointer in allocations { free(pointer) }
    }
}

@_cdecl("kiln_api_version")
public func kilnAPIVersion() -> UInt32 { UInt32(KILN_API_VERSION) }

@_cdecl("kiln_last_error")
public func kilnLastError() -> UnsafePointer<CChar> { LastError.current }
