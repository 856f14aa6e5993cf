public import Foundation

/// A client worth asking for a referral now: one at a high-intent moment (the articles' "the
/// best time to ask") with no referral ask recorded recently. The owner's "who to ask next".
public struct AskSuggestion: Sendable, Hashable, Encodable {
    /// Why now.
    public enum Reason: String, Sendable, Hashable, Encodable, CaseIterable {
        /// The client completed its first 90 days.
        case ninetyDaysIn = "ninety_days_in"
        /// A new agreement started within 30 days of another of the client's ending, for no more a month.
        case renewed
        /// The client's agreements came to bill more a month (a change, or a further agreement).
        case expanded
        /// Its latest review found no roadblock, but the ask was not made.
        case reviewedHealthy = "reviewed_healthy"
    }

    /// One high-intent moment.
    public struct Moment: Sendable, Hashable, Encodable {
        /// What happened.
        public var reason: Reason
        /// The day it happened.
        public var on: Date
    }

    /// The client's roster key (`domain:brightdental.example`), as reviews name it.
    public var client: String
    /// The company's name as its vendor wrote it, when one did.
    public var name: String?
    /// The partner who referred the client, if one did.
    public var partnerID: PartnerID?
    /// Newest first.
    public var moments: [Moment]
    /// The last review that asked, if any (older than the window, or the client would not be listed).
    public var lastAskedOn: Date?

    /// How long a new client settles in before the first natural moment to ask.
    public static let settlingInDays = 90

    /// Active clients with a moment in the `windowDays` up to `now`, and no referral ask and no
    /// review that found them at risk in those days; the most recent moment first.
    public static func list(roster: ClientRoster, reviews: [ClientReview], now: Date, windowDays: Int) -> [AskSuggestion] {
        let since = now.addingTimeInterval(-Double(windowDays) * 86_400)
        let inWindow = { (date: Date) in date > since && date <= now }
        let byClient = Dictionary(grouping: reviews.filter { $0.reviewedOn <= now }, by: \.client)
        var suggestions: [AskSuggestion] = []
        for client in roster.active(on: now) {
            let reviews = (byClient[client.key] ?? []).sorted { ($0.reviewedOn, $0.id) < ($1.reviewedOn, $1.id) }
            let asks = reviews.filter { $0.outcome == .referralAsked }.map(\.reviewedOn)
            // Asked recently, or found at risk recently (a retention effort comes before any ask): not now.
            if asks.contains(where: inWindow) { continue }
            if let latest = reviews.last, latest.outcome == .atRisk, inWindow(latest.reviewedOn) { continue }
            var moments: [Moment] = []
            let settledIn = client.startedAt.addingTimeInterval(Double(settlingInDays) * 86_400)
            if inWindow(settledIn) { moments.append(Moment(reason: .ninetyDaysIn, on: settledIn)) }
            let expansions = client.mrrChanges.filter { $0.after.minorUnits > $0.before.minorUnits }.map(\.on)
            moments += expansions.filter(inWindow).map { Moment(reason: .expanded, on: $0) }
            for agreement in client.agreements where inWindow(agreement.start) && !expansions.contains(agreement.start) {
                let renews = client.agreements.contains { other in
                    other.id != agreement.id
                        && other.end.map { $0 <= agreement.start && $0 >= agreement.start.addingTimeInterval(-30 * 86_400) } ?? false
                }
                if renews { moments.append(Moment(reason: .renewed, on: agreement.start)) }
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
