import AttentionTestSupport
import Testing
import TensorJSON

@Suite("Writer")
struct WriterTests {
    @Test func insertsCommasAndColons() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a"); writer.number(1.5 as Double)
        writer.key("b"); writer.beginArray(); writer.bool(true); writer.null(); writer.string("x"); writer.endArray()
        writer.key("c"); writer.beginObject(); writer.endObject()
        writer.key("d"); writer.beginArray(); writer.endArray()
        writer.key("e"); writer.number(Float(0.1))
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self)
                == #"{"a":1.5,"b":[true,null,"x"],"c":{},"d":[],"e":0.1}"#)
    }

    @Test func escapesStrings() {
        #expect(written(.string("quote\" backslash\\ slash/")) == #""quote\" backslash\\ slash/""#)
        #expect(written(.string("\n\r\t\u{8}\u{c}\u{0}\u{1f}")) == #""\n\r\t\u0008\u000c\u0000\u001f""#)
        #expect(written(.string("é€😀\u{7f}")) == "\"é€😀\u{7f}\"")
        var writer = JSONWriter()
        writer.beginObject(); writer.key("a\"b\n"); writer.null(); writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"a\"b\n":null}"#)
    }

    @Test func writesShortestRoundTripNumbers() {
        #expect(written(.numbers(NumericArray(shape: [4], values: [0.1, 1, -2.5, 1e-5], allIntegers: false)))
                == "[0.1,1.0,-2.5,1e-05]")
        #expect(written(.number(0.1)) == "0.1")
        #expect(written(.number(1e300)) == "1e+300")
        #expect(written(.number(-0.0)) == "-0.0")
    }

    @Test func nonFiniteNumbersBecomeNull() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.number(Double.nan); writer.number(Float.infinity); writer.number(-Double.infinity)
        writer.endArray()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[null,null,null]")
        #expect(written(.numbers(NumericArray(shape: [2], values: [.nan, 1], allIntegers: false))) == "[null,1.0]")
    }

    @Test func writesTensorsRowMajor() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("m"); writer.tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6] as [Float])
        writer.key("t"); writer.tensor(shape: [2, 1, 2], values: [1, 2, 3, 4] as [Float])
        writer.key("s"); writer.tensor(shape: [], values: [7] as [Float])
        writer.key("e"); writer.tensor(shape: [2, 0], values: [] as [Float])
        writer.key("b"); writer.tensor(shape: [1, 2], values: [true, false])
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self)
                == #"{"m":[[1.0,2.0,3.0],[4.0,5.0,6.0]],"t":[[[1.0,2.0]],[[3.0,4.0]]],"s":7.0,"e":[[],[]],"b":[[true,false]]}"#)
    }

    @Test func roundTripsDocumentsThroughTheReader() throws {
        let document = JSONValue.object(JSONObject(members: [
            ("name", .string("attention ✓ \"q\"\n")),
            ("queries", .numbers(NumericArray(shape: [2, 2], values: [0.5, -1.25, 3e-8, 65504], allIntegers: false))),
            ("mask", .bools(BoolArray(shape: [2, 2], values: [true, false, true, true]))),
            ("ragged", .array([.numbers(NumericArray(shape: [1], values: [1], allIntegers: true)),
                               .numbers(NumericArray(shape: [0], values: [], allIntegers: true))])),
            ("mixed", .array([.null, .bool(false), .string(""), .object(JSONObject())])),
            ("scale", .number(0.125)),
            ("empty", .numbers(NumericArray(shape: [1, 0], values: [], allIntegers: true))),
        ]))
        var writer = JSONWriter()
        writer.value(document)
        #expect(try JSONReader().parse(writer.bytes) == document)
    }

    @Test func randomFloatTensorsRoundTripBitForBit() throws {
        var rng = SplitMix64(seed: 99)
        let values = (0..<4096).map { _ -> Float in
            let value = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            return value.isFinite ? value : 1
        }
        var writer = JSONWriter()
        writer.tensor(shape: [64, 64], values: values)
        guard case .numbers(let parsed) = try JSONReader().parse(writer.bytes) else {
            Issue.record("expected a numeric array")
            return
        }
        #expect(parsed.shape == [64, 64])
        #expect(parsed.values.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(parsed.firstOutOfFloatRange == nil)
    }
}
