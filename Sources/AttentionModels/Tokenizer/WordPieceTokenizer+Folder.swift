extension WordPieceTokenizer {
    /// Reads `vocab.txt` (one token per line, id = line number) and, when present,
    /// `tokenizer_config.json` (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`,
    /// the special tokens) from a Hugging Face model folder.
    public init(folder path: String) throws(ModelError) {
        try self.init(folder: ModelFolder(path: path))
    }

    init(folder: ModelFolder) throws(ModelError) {
        var options = Options()
        if folder.exists("tokenizer_config.json") {
            let config = ConfigReader(file: folder.file("tokenizer_config.json"), json: try folder.json("tokenizer_config.json"))
            if let tokenizerClass = try config.string("tokenizer_class"),
               !["BertTokenizer", "BertTokenizerFast"].contains(tokenizerClass) {
                throw config.fail("tokenizer_class", "is `\(tokenizerClass)`; only BERT's WordPiece tokenizer (BertTokenizer, BertTokenizerFast) is supported")
            }
            options.lowercase = try config.bool("do_lower_case") ?? true
            options.stripAccents = try config.bool("strip_accents")
            options.tokenizeChineseChars = try config.bool("tokenize_chinese_chars") ?? true
            if try config.bool("do_basic_tokenize") == false {
                throw config.fail("do_basic_tokenize", "is false; only BERT's basic tokenization before WordPiece is supported")
            }
            options.unknownToken = try config.token("unk_token") ?? options.unknownToken
            options.separatorToken = try config.token("sep_token") ?? options.separatorToken
            options.paddingToken = try config.token("pad_token") ?? options.paddingToken
            options.classToken = try config.token("cls_token") ?? options.classToken
            options.maskToken = try config.token("mask_token") ?? options.maskToken
        }
        let bytes = try folder.bytes("vocab.txt")
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ModelError(file: folder.file("vocab.txt"), message: "is not valid UTF-8")
        }
        // Lines split on bytes: a Swift `Character` would see "\r\n" as one.
        var vocabulary = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        if vocabulary.last == "" { vocabulary.removeLast() }
        guard !vocabulary.isEmpty else { throw ModelError(file: folder.file("vocab.txt"), message: "is empty") }
        try self.init(vocabulary: vocabulary, options: options, source: folder.file("vocab.txt"))
    }
}
