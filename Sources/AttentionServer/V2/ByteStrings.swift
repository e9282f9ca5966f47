/// The elements of a BYTES tensor: byte strings of any length, kept in one buffer with the
/// end of each (16 bytes of bookkeeping an element, however short), not one array each.
struct ByteStrings: Sendable, Equatable, RandomAccessCollection {
    /// Every element's bytes, back to back.
    private(set) var storage: [UInt8] = []
    /// Where each element ends in ``storage``.
    private(set) var ends: [Int] = []

    init() {}

    /// The elements of `strings`, each as its UTF-8 bytes.
    init(_ strings: [String]) {
        for string in strings { append(string.utf8) }
    }

    mutating func append(_ bytes: some Sequence<UInt8>) {
        storage.append(contentsOf: bytes)
        ends.append(storage.count)
    }

    mutating func reserveCapacity(elements: Int, bytes: Int) {
        ends.reserveCapacity(elements)
        storage.reserveCapacity(bytes)
    }

    var startIndex: Int { 0 }
    var endIndex: Int { ends.count }

    subscript(position: Int) -> ArraySlice<UInt8> {
        storage[(position == 0 ? 0 : ends[position - 1])..<ends[position]]
    }

    /// Element `position` as text, or nil when it is not valid UTF-8.
    func text(at position: Int) -> String? {
        let bytes = self[position]
        return bytes.withUnsafeBufferPointer { buffer in
            String(validating: buffer, as: UTF8.self)
        }
    }
}
