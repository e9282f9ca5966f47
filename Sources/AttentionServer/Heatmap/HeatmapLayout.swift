/// Where everything of a heatmap goes: the cell size for the matrix size, the label
/// margins, the grid of panels and the legend. All lengths are whole pixels.
struct HeatmapLayout {
    let queries: Int, keys: Int
    let labels: HeatmapSVG.Labels
    let hasMasked: Bool
    /// The side of one cell.
    let cell: Int
    let fontSize: Int
    /// The rows and columns that get a label: all of them while cells are large enough to
    /// read one, every n-th otherwise.
    let labelledQueries: [Int], labelledKeys: [Int]
    /// Room left of the cells for query labels, and above them for the caption and key labels.
    let rowLabelWidth: Int, panelHeaderHeight: Int
    let panelWidth: Int, panelHeight: Int
    let columns: Int, gridRows: Int
    let panelsPerBatch: Int

    static let margin = 16
    static let headerHeight = 56
    static let gap = 24
    static let legendBarHeight = 160
    static let legendWidth = 96
    /// Longer labels are cut, with an ellipsis; the tooltip keeps them whole.
    static let labelCharacters = 14
    /// The grid wraps to keep the drawing about this wide.
    static let targetWidth = 1100

    init(queries: Int, keys: Int, labels: HeatmapSVG.Labels, panelsPerBatch: Int, batches: Int, hasMasked: Bool) {
        self.queries = queries
        self.keys = keys
        self.labels = labels
        self.hasMasked = hasMasked
        self.panelsPerBatch = panelsPerBatch
        let target = panelsPerBatch > 1 ? 220 : 420
        let side = max(1, min(28, target / max(1, queries, keys)))
        cell = side
        let everyCell = side >= 10
        fontSize = everyCell ? min(12, side - 1) : 10
        // Index labels every n-th row, n a round number giving at least 16 px between labels.
        let step = everyCell ? 1 : [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
            .first { $0 * side >= 16 } ?? max(1, 16 / side)
        let rowsLabelled = Array(stride(from: 0, to: queries, by: step))
        let columnsLabelled = Array(stride(from: 0, to: keys, by: step))
        labelledQueries = rowsLabelled
        labelledKeys = columnsLabelled
        let widest = { (label: (Int) -> String, indices: [Int]) in
            indices.map { min(Self.labelCharacters, label($0).count) }.max() ?? 1
        }
        // About 0.6 em per character in a sans-serif font.
        let perCharacter = Double(fontSize) * 0.6
        rowLabelWidth = Int(Double(widest(Self.labelText(labels.queries), rowsLabelled)) * perCharacter) + 10
        panelHeaderHeight = 22 + Int(Double(widest(Self.labelText(labels.keys), columnsLabelled)) * perCharacter) + 8
        panelWidth = rowLabelWidth + keys * cell
        panelHeight = panelHeaderHeight + queries * cell
        columns = max(1, min(panelsPerBatch, Self.targetWidth / (panelWidth + Self.gap)))
        gridRows = batches * ((panelsPerBatch + columns - 1) / columns)
    }

    private static func labelText(_ tokens: [String]?) -> (Int) -> String {
        { index in tokens.map { $0[index] } ?? String(index) }
    }

    func queryLabel(_ index: Int) -> String { Self.labelText(labels.queries)(index) }
    func keyLabel(_ index: Int) -> String { Self.labelText(labels.keys)(index) }

    /// The top-left corner of panel `index`: each batch element starts a new row of the grid.
    func origin(ofPanel index: Int) -> (x: Int, y: Int) {
        let (batch, within) = index.quotientAndRemainder(dividingBy: panelsPerBatch)
        let rowsPerBatch = (panelsPerBatch + columns - 1) / columns
        let row = batch * rowsPerBatch + within / columns, column = within % columns
        return (Self.margin + column * (panelWidth + Self.gap), Self.headerHeight + row * (panelHeight + Self.gap))
    }

    var legendX: Int { Self.margin + columns * (panelWidth + Self.gap) + 8 }
    var width: Int { legendX + Self.legendWidth }
    var height: Int {
        let grid = Self.headerHeight + gridRows * (panelHeight + Self.gap)
        let legend = Self.headerHeight + Self.legendBarHeight + 70
        return max(grid, legend) + Self.margin - Self.gap / 2
    }
}
