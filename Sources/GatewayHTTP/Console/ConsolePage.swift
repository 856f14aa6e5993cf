import Mustache

/// A console page as its template reads it: the layout's values (`title`, `session`, `csrf`,
/// `notice`) and the page's own typed view, looked up by property name.
struct ConsolePage<Content>: MustacheParent {
    /// What every signed-in page's layout reads.
    struct Frame {
        var title: String
        var session = true
        var csrf: String
        var notice: String?
        /// The signed-in partner's name, on portal pages.
        var partnerName: String?
        /// What an admin must see on every console page (a disabled endpoint, a silent source).
        var alerts: [String] = ConsoleAlerts.current
    }

    var frame: Frame
    var content: Content

    func child(named name: String) -> Any? {
        switch name {
        case "title": return frame.title
        case "session": return frame.session
        case "csrf": return frame.csrf
        case "notice": return frame.notice
        case "partnerName": return frame.partnerName
        case "alerts": return frame.alerts
        default:
            guard let value = Mirror(reflecting: content).children.first(where: { $0.label == name })?.value else { return nil }
            // An absent optional is no value, as Mustache reads a struct's own properties.
            let optional = Mirror(reflecting: value)
            guard optional.displayStyle == .optional else { return value }
            return optional.children.first?.value
        }
    }
}
