public import Foundation

/// The dates a report covers: from `start` (inclusive) to `end` (exclusive), in UTC.
public struct ReportPeriod: Hashable, Sendable, Encodable {
    public var start: Date
    public var end: Date

    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }

    /// Whether `date` falls inside the period.
    public func contains(_ date: Date) -> Bool { date >= start && date < end }

    /// The calendar months the period touches, each clipped to the period, oldest first.
    public func months(calendar: Calendar = .reports) -> [ReportPeriod] {
        var months: [ReportPeriod] = []
        var cursor = calendar.dateInterval(of: .month, for: start)?.start ?? start
        while cursor < end {
            let next = calendar.date(byAdding: .month, value: 1, to: cursor)!
            months.append(ReportPeriod(start: max(cursor, start), end: min(next, end)))
            cursor = next
        }
        return months
    }

    /// The month containing `date`, from its first day to the first day of the next.
    public static func month(containing date: Date, calendar: Calendar = .reports) -> ReportPeriod {
        let interval = calendar.dateInterval(of: .month, for: date)!
        return ReportPeriod(start: interval.start, end: interval.end)
    }

    /// The twelve whole months before the month of `date`, plus that month so far.
    public static func trailingYear(to date: Date, calendar: Calendar = .reports) -> ReportPeriod {
        let thisMonth = month(containing: date, calendar: calendar)
        return ReportPeriod(start: calendar.date(byAdding: .month, value: -12, to: thisMonth.start)!, end: date)
    }

    /// A period from `from` and `to`, each a day (`2025-06-01`) or an ISO 8601 timestamp; an
    /// absent bound comes from `fallback`. A day given as `to` is included whole (the period ends
    /// at the next midnight UTC); a timestamp `to` is exclusive.
    ///
    /// - Throws: `ReportPeriod.Invalid` naming the bound that does not parse, or when `from` is
    ///   not before `to`.
    public init(from: String?, to: String?, default fallback: ReportPeriod) throws(Invalid) {
        var start = fallback.start
        var end = fallback.end
        if let from { start = try Self.bound(from, "from", endOfDay: false) }
        if let to { end = try Self.bound(to, "to", endOfDay: true) }
        guard start < end else { throw Invalid(reason: "from must be before to") }
        self.init(start: start, end: end)
    }

    /// Why a period could not be read.
    public struct Invalid: Error, Sendable {
        public var reason: String
    }

    private static func bound(_ text: String, _ name: String, endOfDay: Bool) throws(Invalid) -> Date {
        do {
            return endOfDay ? try DateInput.parseEnd(text, field: name) : try DateInput.parse(text, field: name)
        } catch {
            throw Invalid(reason: error.message)
        }
    }

    /// A label for the month of `date`: `2025-06`.
    public static func monthLabel(_ date: Date, calendar: Calendar = .reports) -> String {
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }
}

extension Calendar {
    /// Reports count days and months in UTC, as the ledger does.
    public static var reports: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }
}
