import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// An element of a parsed XML document: enough of a DOM to check a heatmap.
final class ParsedElement {
    let name: String
    let attributes: [String: String]
    var children: [ParsedElement] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// Every element below this one (depth first) named `name`.
    func descendants(_ name: String) -> [ParsedElement] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.descendants(name) }
    }

    /// The elements below this one whose `class` attribute lists `className`.
    func descendants(ofClass className: String) -> [ParsedElement] {
        children.flatMap { child -> [ParsedElement] in
            let classes = child.attributes["class"]?.split(separator: " ").map(String.init) ?? []
            return (classes.contains(className) ? [child] : []) + child.descendants(ofClass: className)
        }
    }

    func integer(_ attribute: String) -> Int? { attributes[attribute].flatMap { Int($0) } }
}

/// The cells of a heatmap panel as (row, column, element), from their coordinates; every
/// cell is expected square and of the same size.
func cells(of panel: ParsedElement) throws -> [(row: Int, column: Int, element: ParsedElement)] {
    let rects = try #require(panel.descendants(ofClass: "cells").first).descendants("rect")
    let size = try #require(rects.first?.integer("width"))
    return try rects.map { rect in
        #expect(rect.integer("width") == size && rect.integer("height") == size)
        return (try #require(rect.integer("y")) / size, try #require(rect.integer("x")) / size, rect)
    }
}

/// Parses `text` with Foundation's XMLParser (libxml2 on Linux); nil when it is not well-formed XML.
func parseXML(_ text: String) -> ParsedElement? {
    let builder = TreeBuilder()
    let parser = XMLParser(data: Data(text.utf8))
    parser.delegate = builder
    guard parser.parse(), let root = builder.root else { return nil }
    return root
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var root: ParsedElement?
    private var stack: [ParsedElement] = []

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let element = ParsedElement(name: name, attributes: attributes)
        if let parent = stack.last { parent.children.append(element) } else { root = element }
        stack.append(element)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }
}
