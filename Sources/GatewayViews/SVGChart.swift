/// A bar chart drawn as SVG on the server: no JavaScript, prints as it shows.
public struct SVGChart {
    public struct Bar {
        /// The label under the bar (`2025-06`).
        var label: String
        /// The bar's height in the chart's unit.
        var value: Double
        /// The text shown above the bar (`42.5 %`).
        var caption: String

        public init(label: String, value: Double, caption: String) {
            self.label = label
            self.value = value
            self.caption = caption
        }
    }

    var title: String
    var bars: [Bar]
    /// The value at the top of the axis; the largest bar when `nil`.
    var maximum: Double?

    public init(title: String, bars: [Bar], maximum: Double?) {
        self.title = title
        self.bars = bars
        self.maximum = maximum
    }

    /// The chart, its text escaped.
    public var svg: String {
        let width = max(320, 60 * bars.count + 40)
        let height = 220
        let plotHeight = 160.0
        let top = maximum ?? max(bars.map(\.value).max() ?? 0, 1)
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">",
            "<title>\(Self.escape(title))</title>",
            "<line x1=\"30\" y1=\"180\" x2=\"\(width - 10)\" y2=\"180\" stroke=\"#8a94a6\"/>",
        ]
        if bars.isEmpty {
            parts.append("<text x=\"40\" y=\"100\" font-size=\"13\" fill=\"#5b6678\">No data in this period.</text>")
        }
        for (index, bar) in bars.enumerated() {
            let barHeight = top > 0 ? max(0, min(bar.value, top)) / top * plotHeight : 0
            let x = 40 + index * 60
            let y = 180 - barHeight
            parts.append(
                "<rect class=\"bar\" data-label=\"\(Self.escape(bar.label))\" data-value=\"\(bar.value)\" x=\"\(x)\" y=\"\(y)\" width=\"40\" height=\"\(barHeight)\" fill=\"#3b6fd8\"/>")
            parts.append("<text x=\"\(x + 20)\" y=\"\(y - 4)\" font-size=\"11\" text-anchor=\"middle\">\(Self.escape(bar.caption))</text>")
            parts.append("<text x=\"\(x + 20)\" y=\"196\" font-size=\"11\" text-anchor=\"middle\">\(Self.escape(bar.label))</text>")
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    /// Text and attribute escaping for the five XML special characters.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
