/// A console page to work in: tables of records, then the forms that change them (the `work`
/// template). Referrals, plans and settings are drawn with it.
struct WorkPageView {
    struct Cell {
        var text: String
        var link: String?
    }

    struct Row {
        /// `data-row` on the table row, for people's tools and the browser tests.
        var key: String
        var cells: [Cell]
    }

    struct Table {
        var caption: String?
        var cssClass: String
        var headers: [String]
        var rows: [Row]
        /// What an empty table says.
        var empty: String
        var columns: Int

        init(caption: String? = nil, cssClass: String, headers: [String], rows: [Row], empty: String) {
            self.caption = caption
            self.cssClass = cssClass
            self.headers = headers
            self.rows = rows
            self.empty = empty
            self.columns = headers.count
        }
    }

    var heading: String
    var intro: String?
    var tables: [Table]
    var sections: [ConsoleFormSection]
}
