#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory (`mmap`), unmapped when the last reference goes.
/// The pages are the kernel's page cache: opening a large model costs no copy until a
/// tensor is read.
final class MappedFile: @unchecked Sendable {  // immutable after init
    let path: String
    let bytes: UnsafeRawBufferPointer

    private enum Ownership { case mapped, allocated }
    private let ownership: Ownership

    init(path: String) throws(ModelError) {
        self.path = path
        ownership = .mapped
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ModelError(file: path, message: "cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ModelError(file: path, message: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw ModelError(file: path, message: "is not a regular file") }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw ModelError(file: path, message: "cannot be mapped into memory: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// A copy of `contents` in memory, named `path` in errors (tests and the fuzzer).
    init(path: String, contents: UnsafeRawBufferPointer) {
        self.path = path
        ownership = .allocated
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: contents.count, alignment: 16)
        copy.copyMemory(from: contents)
        bytes = UnsafeRawBufferPointer(copy)
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        switch ownership {
        case .mapped: munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        case .allocated: UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}
