#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The large arrays a problem returns (outputs, attention weights): left uninitialised for the
/// tasks to write, and backed by transparent huge pages where the kernel allows it.
///
/// Why: each result is a fresh allocation (it leaves the engine inside a ``Tensor``), so every
/// page of it is faulted in on first write when glibc serves it by mmap (its default for large
/// blocks; ``ProcessMemory`` keeps freed blocks up to 64 MiB for reuse in the server and the
/// benchmark, and a reused block is already faulted in). On the development machine (a VM) a
/// 4 KiB fault costs about 1.7 µs: writing fresh 32 MiB takes 16.3 ms with 4 KiB pages and
/// 1.4 ms with 2 MiB pages (BENCHMARKS.md, "The weights path"). That was a third of the time of
/// attention with weights at L=1024 (32 MiB of weights) and of BERT-shaped batches (12 MiB of
/// output). `madvise(MADV_HUGEPAGE)` asks for 2 MiB pages on the whole 2 MiB-aligned part of the
/// array before anything touches it; the kernel falls back to small pages when it has none (with
/// THP "never" it is a no-op), and the array is freed as before.
///
/// `ATTENTION_HUGE_PAGES=0` in the environment turns it off (for hosts where the kernel's
/// compaction on such faults is unwelcome).
enum ResultBuffers {
    static let hugePageBytes = 2 << 20

    /// Whether to advise huge pages: on unless `ATTENTION_HUGE_PAGES=0`.
    static let hugePages: Bool = ProcessInfo.processInfo.environment["ATTENTION_HUGE_PAGES"] != "0"

    /// `count` floats, uninitialised: the caller writes every element before the array is read.
    static func uninitialized(_ count: Int) -> [Float] {
        // Empty results never reach the initializer: with capacity 0 it writes the count into
        // the shared empty-array storage, a race between threads (ThreadSanitizer saw it).
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { adviseHugePages(base, count: count) }
            initialized = count
        }
    }

    /// `count` zeros, on huge pages where possible (zeroing a fresh array faults its pages in).
    static func zeros(_ count: Int) -> [Float] {
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                adviseHugePages(base, count: count)
                base.initialize(repeating: 0, count: count)
            }
            initialized = count
        }
    }

    /// Advises huge pages on the 2 MiB-aligned pages inside `[base, base + count)`, if any.
    static func adviseHugePages(_ base: UnsafeMutablePointer<Float>, count: Int) {
        #if os(Linux)
        guard hugePages, count * MemoryLayout<Float>.stride >= hugePageBytes else { return }
        let start = (Int(bitPattern: base) + hugePageBytes - 1) / hugePageBytes * hugePageBytes
        let end = (Int(bitPattern: base) + count * MemoryLayout<Float>.stride) / hugePageBytes * hugePageBytes
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, end - start, MADV_HUGEPAGE)  // advice only: failure leaves small pages
        #endif
    }
}
