/// A minimal XML writer for the heatmap: elements with attributes, escaped text, and
/// numbers printed without Foundation.
struct SVGText {
    private(set) var text = ""

    init(reservingCapacity capacity: Int = 0) {
        text.reserveCapacity(capacity)
    }

    mutating func open(_ name: String, _ attributes: [(String, String)] = []) {
        text += "<\(name)\(Self.attributes(attributes))>"
    }

    mutating func close(_ name: String) {
        text += "</\(name)>"
    }

    mutating func empty(_ name: String, _ attributes: [(String, String)]) {
        text += "<\(name)\(Self.attributes(attributes))/>"
    }

    /// Markup written by the caller, appended as it is: only for text that holds no data
    /// from a request (the heatmap's cells, numbers and colours only).
    mutating func raw(_ markup: String) {
        text += markup
    }

    /// An element holding only `text`, escaped.
    mutating func element(_ name: String, _ attributes: [(String, String)] = [], text content: String) {
        text += "<\(name)\(Self.attributes(attributes))>\(XMLText.escaped(content))</\(name)>"
    }

    private static func attributes(_ list: [(String, String)]) -> String {
        list.map { " \($0.0)=\"\(XMLText.escaped($0.1))\"" }.joined()
    }

    /// `value` rounded to `places` decimals, without trailing zeros or an exponent ("0.25", "1", "0.0001").
    static func number(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "0" }
        var factor = 1.0
        for _ in 0..<places { factor *= 10 }
        let scaled = Int((abs(value) * factor).rounded())
        let whole = scaled / Int(factor)
        var fraction = String(scaled % Int(factor))
        fraction = String(repeating: "0", count: places - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let sign = value < 0 && scaled > 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }
}
