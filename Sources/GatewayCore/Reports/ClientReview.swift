public import Foundation

/// A review meeting with a client: the step of the referral-generation process where the account
/// manager checks the client is happy and asks for a referral.
public struct ClientReview: Hashable, Sendable, Codable, Identifiable {
    /// How the meeting ended.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// The client was happy and the referral was asked for.
        case referralAsked = "referral_asked"
        /// No roadblock to a referral, but the ask was not made.
        case healthy
        /// The meeting turned into a retention effort.
        case atRisk = "at_risk"
    }

    public var id: Int64
    /// The client's roster key (`domain:brightdental.example`).
    public var client: String
    public var reviewedOn: Date
    public var outcome: Outcome
    public var note: String?

    public init(id: Int64, client: String, reviewedOn: Date, outcome: Outcome, note: String? = nil) {
        self.id = id
        self.client = client
        self.reviewedOn = reviewedOn
        self.outcome = outcome
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case id, client, outcome, note
        case reviewedOn = "reviewed_on"
    }
}

/// The five referral-generation KPIs MSP sales coaches teach, over a period. Active clients are
/// the clients active at the period's end, by the one rule every report uses (under an open
/// agreement, or paid within `ClientRoster.lapseDays`); a client's status is the outcome of its
/// latest review in the twelve months up to the period's end, and "unknown" until it has one.
public struct ClientReviewKPIs: Sendable, Hashable, Encodable {
    public var period: ReportPeriod
    public var activeClients: Int
    /// Active clients with a review in the twelve months.
    public var clientsReviewed: Int
    public var reviewedPercent: Double?
    /// Reviews held in the period, per month, against the target of active clients / 12.
    public var reviewsInPeriod: Int
    public var reviewsPerMonth: Double
    public var monthlyTarget: Double
    /// Client health as the KPI article defines it: active clients whose latest review ended with
    /// the referral asked, over all active clients.
    public var healthPercent: Double?
    /// Latest review healthy but no ask made: reported apart, since it is not health yet.
    public var healthyWithoutAskPercent: Double?
    public var riskPercent: Double?
    /// Not reviewed in the twelve months.
    public var unknownPercent: Double?
    /// Active clients not reviewed in the twelve months, oldest client first (the backlog).
    public var unreviewed: [ClientRecord]

    public init(period: ReportPeriod, roster: ClientRoster, reviews: [ClientReview], calendar: Calendar = .reports) {
        self.period = period
        let active = roster.active(on: period.end)
        let yearStart = calendar.date(byAdding: .month, value: -12, to: period.end)!
        var latest: [String: ClientReview] = [:]
        for review in reviews where review.reviewedOn >= yearStart && review.reviewedOn < period.end {
            if let seen = latest[review.client], (seen.reviewedOn, seen.id) > (review.reviewedOn, review.id) { continue }
            latest[review.client] = review
        }
        let outcomes = active.compactMap { latest[$0.key]?.outcome }
        activeClients = active.count
        clientsReviewed = outcomes.count
        reviewedPercent = percent(outcomes.count, of: active.count)
        reviewsInPeriod = reviews.filter { period.contains($0.reviewedOn) }.count
        let months = max(1, period.months(calendar: calendar).count)
        reviewsPerMonth = (Double(reviewsInPeriod) / Double(months) * 10).rounded() / 10
        monthlyTarget = (Double(active.count) / 12 * 10).rounded() / 10
        healthPercent = percent(outcomes.filter { $0 == .referralAsked }.count, of: active.count)
        healthyWithoutAskPercent = percent(outcomes.filter { $0 == .healthy }.count, of: active.count)
        riskPercent = percent(outcomes.filter { $0 == .atRisk }.count, of: active.count)
        unknownPercent = percent(active.count - outcomes.count, of: active.count)
        unreviewed = active.filter { latest[$0.key] == nil }
    }

    enum CodingKeys: String, CodingKey {
        case period, unreviewed
        case activeClients = "active_clients"
        case clientsReviewed = "clients_reviewed"
        case reviewedPercent = "reviewed_percent"
        case reviewsInPeriod = "reviews_in_period"
        case reviewsPerMonth = "reviews_per_month"
        case monthlyTarget = "monthly_target"
        case healthPercent = "health_percent"
        case healthyWithoutAskPercent = "healthy_without_ask_percent"
        case riskPercent = "risk_percent"
        case unknownPercent = "unknown_percent"
    }
}
