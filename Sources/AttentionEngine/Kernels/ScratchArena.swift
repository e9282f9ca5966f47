#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` with `count` floats of uninitialised scratch memory, 64-byte aligned, taken
/// from the calling thread's ``ScratchArena``.
@inline(__always)
func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    ScratchArena.current.withScratch(count, body)
}

/// Scratch memory for the kernels, one arena per thread, kept from task to task and handed
/// out as a stack (a nested request takes the space above its caller's).
///
/// Why not an allocation per task: a block's scratch (its score tile, 130–400 KiB) lies above
/// glibc's mmap threshold, which the server pins at 128 KiB so that memory goes back to the
/// system after bursts. Each task's scratch then became an mmap, a page fault on every page
/// and an munmap: the engine ran 40 % (non-causal) to 65 % (causal) slower in the server than
/// in engine-bench at L=1024 (BENCHMARKS.md, "Scratch per thread").
final class ScratchArena {
    /// The most an arena keeps, in floats (4 MiB): a streaming block's scratch, or a block's
    /// weights up to 4096 keys. A larger request is allocated for its call alone.
    static let retainedFloats = 1 << 20
    /// Every piece starts on a cache line (and a 16-float vector).
    private static let alignmentFloats = 16

    private var base: UnsafeMutablePointer<Float>?
    private var capacity = 0
    private var top = 0

    deinit { base?.deallocate() }

    func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let size = (max(1, count) + Self.alignmentFloats - 1) / Self.alignmentFloats * Self.alignmentFloats
        if top + size > capacity {
            // Grow only when nothing is handed out (the old block may not move under a caller).
            guard top == 0, size <= Self.retainedFloats else { return withSeparateScratch(size, body) }
            base?.deallocate()
            capacity = min(Self.retainedFloats, max(size, 2 * capacity))
            base = Self.allocate(capacity)
        }
        let piece = base! + top
        top += size
        defer { top -= size }
        return body(piece)
    }

    private func withSeparateScratch<R>(_ size: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let scratch = Self.allocate(size)
        defer { scratch.deallocate() }
        return body(scratch)
    }

    private static func allocate(_ floats: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: floats)
    }

    /// The calling thread's arena, made on first use and freed with the thread.
    static var current: ScratchArena {
        if let arena = pthread_getspecific(threadKey) {
            return Unmanaged<ScratchArena>.fromOpaque(arena).takeUnretainedValue()
        }
        let arena = ScratchArena()
        pthread_setspecific(threadKey, Unmanaged.passRetained(arena).toOpaque())
        return arena
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { arena in
            if let arena { Unmanaged<ScratchArena>.fromOpaque(arena).release() }
        }
        return key
    }()
}
