public import Foundation

/// A client worth asking for a referral now: one at a high-intent moment (the articles' "the
/// best time to ask") with no referral ask recorded recently. The owner's "who to ask next".
public struct AskSuggestion: Sendable, Hashable, Encodable {
    /// Why now.
    public enum Reason: String, Sendable, Hashable, Encodable, CaseIterable {
        /// The client completed its first 90 days.
        case ninetyDaysIn = "ninety_days_in"
        /// A further agreement started at the same or a lower amount per month.
        case renewed
        /// A further agreement started at a higher amount per month.
        case expanded
        /// Its latest review found no roadblock, but the ask was not made.
        case reviewedHealthy = "reviewed_healthy"
    }

    /// One high-intent moment.
    public struct Moment: Sendable, Hashable, Encodable {
        public var reason: Reason
        public var on: Date
    }

    /// The client's roster key (`domain:brightdental.example`), as reviews name it.
    public var client: String
    public var name: String?
    /// The partner who referred the client, if one did.
    public var partnerID: PartnerID?
    /// Newest first.
    public var moments: [Moment]
    /// The last review that asked, if any (older than the window, or the client would not be listed).
    public var lastAskedOn: Date?

    /// Active clients with a moment in the `windowDays` up to `now`, no referral ask in them, and
    /// a latest review that is not at risk; the most recent moment first.
    public static func list(roster: ClientRoster, reviews: [ClientReview], now: Date, windowDays: Int) -> [AskSuggestion] {
        let since = now.addingTimeInterval(-Double(windowDays) * 86_400)
        let inWindow = { (date: Date) in date > since && date <= now }
        let byClient = Dictionary(grouping: reviews.filter { $0.reviewedOn <= now }, by: \.client)
        var suggestions: [AskSuggestion] = []
        for client in roster.active(on: now) {
            let reviews = (byClient[client.key] ?? []).sorted { ($0.reviewedOn, $0.id) < ($1.reviewedOn, $1.id) }
            let asks = reviews.filter { $0.outcome == .referralAsked }.map(\.reviewedOn)
            // Asked recently, or at risk (a retention effort comes before any ask): not now.
            if asks.contains(where: inWindow) || reviews.last?.outcome == .atRisk { continue }
            var moments: [Moment] = []
            let ninetyDays = client.startedAt.addingTimeInterval(Double(ClientRoster.lapseDays) * 86_400)
            if inWindow(ninetyDays) { moments.append(Moment(reason: .ninetyDaysIn, on: ninetyDays)) }
            for (previous, start) in zip(client.agreementStarts, client.agreementStarts.dropFirst()) where inWindow(start.on) {
                let expanded = (start.monthlyValue?.minorUnits ?? 0) > (previous.monthlyValue?.minorUnits ?? 0)
                    && start.monthlyValue?.currency == previous.monthlyValue?.currency
                moments.append(Moment(reason: expanded ? .expanded : .renewed, on: start.on))
            }
            if let latest = reviews.last, latest.outcome == .healthy, inWindow(latest.reviewedOn) {
                moments.append(Moment(reason: .reviewedHealthy, on: latest.reviewedOn))
            }
            guard !moments.isEmpty else { continue }
            suggestions.append(
                AskSuggestion(
                    client: client.key, name: client.name, partnerID: client.partnerID,
                    moments: moments.sorted { ($0.on, $0.reason.rawValue) > ($1.on, $1.reason.rawValue) }, lastAskedOn: asks.last))
        }
        return suggestions.sorted { ($0.moments[0].on, $1.client) > ($1.moments[0].on, $0.client) }
    }

    enum CodingKeys: String, CodingKey {
        case client, name, moments
        case partnerID = "partner_id"
        case lastAskedOn = "last_asked_on"
    }
}
