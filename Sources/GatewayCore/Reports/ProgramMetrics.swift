public import Foundation

/// How the referral channel is doing over a period: the numbers MSP owners run it on. Built from
/// the program, the ledger's contracts and the client roster; pure, so each figure is testable.
///
/// Amounts are per currency and never added across currencies. Percentages are ratios, not money,
/// rounded to one decimal; `nil` where the denominator is zero.
public struct ProgramMetrics: Sendable, Encodable {
    public var period: ReportPeriod
    public var generatedAt: Date
    /// Clients whose first agreement, signing or payment fell in the period, and not before the
    /// go-live date when one is set.
    public var newClients: Int
    public var referredNewClients: Int
    /// Share of new MRR that is referral-sourced, per currency.
    public var newMRR: [MRRShare]
    public var conversion: Conversion
    public var kFactor: KFactor
    public var byKind: [KindResults]
    public var byPartner: [PartnerResults]
    public var giveGet: [GiveGetBalance]
    public var retention: Retention
    public var topPartners: TopPartners
    /// New MRR and its referral-sourced share, month by month (the overview chart).
    public var months: [MonthShare]
    /// What existing clients' agreements added in the period (a raise, a further agreement),
    /// apart from new MRR; per currency.
    public var expansionMRR: [Money]
    /// What they took away without the client leaving (a cut, one of several agreements ending).
    public var contractionMRR: [Money]
    public var participation: Participation
    /// Cash collected in the twelve months up to the period's end, per source.
    public var collectedRevenue: CollectedRevenue
    /// Cash collected per client over the client's whole life, referred clients against the others.
    public var lifetimeValue: LifetimeValue

    /// Who refers: the share of active clients, and of partners, that introduced at least one
    /// referral in the period.
    public struct Participation: Sendable, Hashable, Encodable {
        /// Clients active at the period's end.
        public var activeClients = 0
        /// Of those, the ones registered as a client partner that introduced a referral in the period.
        public var referringClients = 0
        /// `referringClients` of `activeClients`, in percent.
        public var clientPercent: Double?
        /// Partners registered by the period's end.
        public var partners = 0
        /// Of those, the ones that introduced a referral in the period.
        public var referringPartners = 0
        /// `referringPartners` of `partners`, in percent.
        public var partnerPercent: Double?

        enum CodingKeys: String, CodingKey {
            case partners
            case activeClients = "active_clients"
            case referringClients = "referring_clients"
            case clientPercent = "client_percent"
            case referringPartners = "referring_partners"
            case partnerPercent = "partner_percent"
        }
    }

    /// Payments less credits and voids, by where each client came from: a partner kind, or
    /// `not_referred`. Per currency, never added across currencies.
    public struct CollectedRevenue: Sendable, Hashable, Encodable {
        /// The window: the twelve months up to the period's end.
        public var from: Date
        /// The period's end (excluded).
        public var to: Date
        /// Every partner kind, then `not_referred`, each with the clients that moved money.
        public var bySource: [Source]
        /// All sources together, per currency.
        public var total: [Money]

        public struct Source: Sendable, Hashable, Encodable {
            /// A partner kind (`center_of_influence`) or `not_referred`.
            public var source: String
            public var clients: Int
            public var collected: [Money]
        }

        enum CodingKeys: String, CodingKey {
            case from, to, total
            case bySource = "by_source"
        }
    }

    /// Lifetime value: cash collected per client, from its first payment to the period's end.
    public struct LifetimeValue: Sendable, Hashable, Encodable {
        /// Clients whose contract the ledger attributes to a referral.
        public var referred: Cohort
        /// Every other client.
        public var others: Cohort
        /// Referred clients' value per client over the others', per currency (1.35 = 35 % more).
        public var referredToOthers: [CurrencyRatio]

        public struct Cohort: Sendable, Hashable, Encodable {
            /// Clients that started before the period's end.
            public var clients: Int
            public var collected: [Money]
            /// `collected` in each currency over the clients that moved money in it, rounded to
            /// the minor unit.
            public var perClient: [Money]

            enum CodingKeys: String, CodingKey {
                case clients, collected
                case perClient = "per_client"
            }
        }

        /// One currency's ratio; `nil` when the others collected nothing in it.
        public struct CurrencyRatio: Sendable, Hashable, Encodable {
            public var currency: CurrencyCode
            public var ratio: Double?
        }

        enum CodingKeys: String, CodingKey {
            case referred, others
            case referredToOthers = "referred_to_others"
        }
    }

    /// New MRR in one currency and how much of it referrals brought.
    public struct MRRShare: Sendable, Hashable, Encodable {
        public var total: Money
        public var referralSourced: Money
        public var sharePercent: Double?

        init(total: Money, referralSourced: Money) {
            self.total = total
            self.referralSourced = referralSourced
            sharePercent = percent(referralSourced.minorUnits, of: total.minorUnits)
        }

        enum CodingKeys: String, CodingKey {
            case total
            case referralSourced = "referral_sourced"
            case sharePercent = "share_percent"
        }
    }

    /// Referrals introduced in the period and what became of them by `generatedAt`.
    public struct Conversion: Sendable, Hashable, Encodable {
        public var introduced = 0
        public var signed = 0
        public var lost = 0
        public var expired = 0
        /// Still introduced or qualified, inside their window.
        public var open = 0
        public var ratePercent: Double?
        public var medianDaysToSign: Double?

        enum CodingKeys: String, CodingKey {
            case introduced, signed, lost, expired, open
            case ratePercent = "rate_percent"
            case medianDaysToSign = "median_days_to_sign"
        }
    }

    /// New clients referred by existing clients (partners of kind `client`) per client active at
    /// the start of the period: how many new clients each client brings.
    public struct KFactor: Sendable, Hashable, Encodable {
        public var clientReferredNewClients: Int
        public var activeClientsAtStart: Int
        public var value: Double?

        enum CodingKeys: String, CodingKey {
            case value
            case clientReferredNewClients = "client_referred_new_clients"
            case activeClientsAtStart = "active_clients_at_start"
        }
    }

    /// One partner kind's results.
    public struct KindResults: Sendable, Hashable, Encodable {
        public var kind: Partner.Kind
        public var partners: Int
        /// Partners who introduced at least one referral in the period.
        public var activePartners: Int
        public var referrals: Int
        public var signed: Int
        public var conversionPercent: Double?
        /// MRR of contracts signed in the period.
        public var newMRR: [Money]
        /// MRR of the kind's contracts running at the end of the period.
        public var runningMRR: [Money]

        enum CodingKeys: String, CodingKey {
            case kind, partners, referrals, signed
            case activePartners = "active_partners"
            case conversionPercent = "conversion_percent"
            case newMRR = "new_mrr"
            case runningMRR = "running_mrr"
        }
    }

    /// One partner's results: what they sent in the period and what is running from them.
    public struct PartnerResults: Sendable, Hashable, Encodable {
        public var partnerID: PartnerID
        public var name: String
        public var kind: Partner.Kind
        public var referrals: Int
        public var signed: Int
        public var newMRR: [Money]
        /// Contracts from this partner running at the end of the period.
        public var runningClients: Int
        public var runningMRR: [Money]

        enum CodingKeys: String, CodingKey {
            case name, kind, referrals, signed
            case partnerID = "partner_id"
            case newMRR = "new_mrr"
            case runningClients = "running_clients"
            case runningMRR = "running_mrr"
        }
    }

    /// Referred clients against the others: of the clients that started before the period's end,
    /// how many are still clients at its end, and how long clients stay.
    public struct Retention: Sendable, Hashable, Encodable {
        public var referred: Cohort
        public var others: Cohort

        public struct Cohort: Sendable, Hashable, Encodable {
            public var clients = 0
            public var retained = 0
            public var retainedPercent: Double?
            public var averageTenureDays: Double?

            enum CodingKeys: String, CodingKey {
                case clients, retained
                case retainedPercent = "retained_percent"
                case averageTenureDays = "average_tenure_days"
            }
        }
    }

    /// The few partners who bring most of the results (the power law referral programs show).
    public struct TopPartners: Sendable, Hashable, Encodable {
        /// The top share of all partners this covers (15 means the top 15 %).
        public var percent: Int
        public var partners: [PartnerResults]
        /// Their share of the contracts signed in the period.
        public var signedSharePercent: Double?
        /// Their share of running referral-sourced MRR, per currency.
        public var runningMRRSharePercent: [CurrencyPercent]

        enum CodingKeys: String, CodingKey {
            case percent, partners
            case signedSharePercent = "signed_share_percent"
            case runningMRRSharePercent = "running_mrr_share_percent"
        }
    }

    public struct CurrencyPercent: Sendable, Hashable, Encodable {
        public var currency: CurrencyCode
        public var percent: Double?
    }

    /// One month of the period.
    public struct MonthShare: Sendable, Hashable, Encodable {
        /// `2025-06`.
        public var month: String
        public var newMRR: [MRRShare]
        public var expansionMRR: [Money]
        public var contractionMRR: [Money]

        enum CodingKeys: String, CodingKey {
            case month
            case newMRR = "new_mrr"
            case expansionMRR = "expansion_mrr"
            case contractionMRR = "contraction_mrr"
        }
    }

    enum CodingKeys: String, CodingKey {
        case period, conversion, retention, months
        case generatedAt = "generated_at"
        case newClients = "new_clients"
        case referredNewClients = "referred_new_clients"
        case newMRR = "new_mrr"
        case kFactor = "k_factor"
        case byKind = "by_kind"
        case byPartner = "by_partner"
        case giveGet = "give_get"
        case topPartners = "top_partners"
        case participation
        case expansionMRR = "expansion_mrr"
        case contractionMRR = "contraction_mrr"
        case collectedRevenue = "collected_revenue"
        case lifetimeValue = "lifetime_value"
    }
}

extension ProgramMetrics {
    /// - Parameters:
    ///   - referrals: every referral with its status on `generatedAt`.
    ///   - topPercent: which top share of partners `topPartners` covers.
    ///   - goLive: the settings' go-live date: clients that started before it are existing clients,
    ///     never new ones (new clients, new MRR and its referral-sourced share, the K-factor).
    public init(
        period: ReportPeriod, generatedAt: Date, partners: [Partner], referrals: [(Referral, Referral.Status)], contracts: [Contract],
        roster: ClientRoster, giveGet: [GiveGetBalance], topPercent: Int = 15, goLive: Date? = nil, calendar: Calendar = .reports
    ) {
        self.period = period
        self.generatedAt = generatedAt
        let kinds = Dictionary(uniqueKeysWithValues: partners.map { ($0.id, $0.kind) })
        let newClients = roster.newClients(in: period, goLive: goLive)
        self.newClients = newClients.count
        referredNewClients = newClients.filter { $0.partnerID != nil }.count
        newMRR = Self.shares(of: newClients)
        let changes = roster.clients.flatMap(\.mrrChanges)
        (expansionMRR, contractionMRR) = Self.movements(changes.filter { period.contains($0.on) })
        months = period.months(calendar: calendar).map { month in
            let (expansion, contraction) = Self.movements(changes.filter { month.contains($0.on) })
            return MonthShare(
                month: ReportPeriod.monthLabel(month.start, calendar: calendar),
                newMRR: Self.shares(of: newClients.filter { month.contains($0.startedAt) }), expansionMRR: expansion, contractionMRR: contraction)
        }

        let contractByReferral = Dictionary(contracts.map { ($0.referralID, $0) }, uniquingKeysWith: { first, _ in first })
        let introduced = referrals.filter { period.contains($0.0.introducedAt) }
        conversion = Self.conversion(of: introduced, contracts: contractByReferral)

        let activeAtStart = roster.active(on: period.start).count
        let clientReferred = newClients.filter { $0.partnerID.flatMap { kinds[$0] } == .client }.count
        kFactor = KFactor(
            clientReferredNewClients: clientReferred, activeClientsAtStart: activeAtStart,
            value: activeAtStart == 0 ? nil : (Double(clientReferred) / Double(activeAtStart) * 100).rounded() / 100)

        let signedInPeriod = contracts.filter { period.contains($0.startedAt) }
        let running = roster.running(contracts, on: period.end)
        byPartner = partners.map { partner in
            let mine = signedInPeriod.filter { $0.partnerID == partner.id }
            let runningMine = running.filter { $0.partnerID == partner.id }
            return PartnerResults(
                partnerID: partner.id, name: partner.name, kind: partner.kind,
                referrals: introduced.filter { $0.0.partnerID == partner.id }.count, signed: mine.count,
                newMRR: Money.sums(mine.compactMap(\.monthlyValue)), runningClients: runningMine.count,
                runningMRR: roster.mrr(of: runningMine, on: period.end))
        }
        byKind = Partner.Kind.allCases.map { kind in
            let members = Set(partners.filter { $0.kind == kind }.map(\.id))
            let referralsOfKind = introduced.filter { members.contains($0.0.partnerID) }
            let signed = referralsOfKind.filter { contractByReferral[$0.0.id] != nil }.count
            return KindResults(
                kind: kind, partners: members.count, activePartners: Set(referralsOfKind.map(\.0.partnerID)).count,
                referrals: referralsOfKind.count, signed: signed, conversionPercent: percent(signed, of: referralsOfKind.count),
                newMRR: Money.sums(signedInPeriod.filter { members.contains($0.partnerID) }.compactMap(\.monthlyValue)),
                runningMRR: roster.mrr(of: running.filter { members.contains($0.partnerID) }, on: period.end))
        }
        self.giveGet = giveGet
        retention = Self.retention(roster, at: period.end)
        topPartners = Self.top(byPartner, percent: topPercent, of: partners.count)
        participation = Self.participation(partners: partners, introduced: introduced, roster: roster, period: period)
        collectedRevenue = Self.collectedRevenue(roster: roster, kinds: kinds, to: period.end, calendar: calendar)
        lifetimeValue = Self.lifetimeValue(roster: roster, through: period.end)
    }

    private static func participation(
        partners: [Partner], introduced: [(Referral, Referral.Status)], roster: ClientRoster, period: ReportPeriod
    ) -> Participation {
        let referring = Set(introduced.map(\.0.partnerID))
        // A client refers as a partner of kind `client` whose domain or vendor id is the company's.
        let referringCompanies = Set(
            partners.filter { $0.kind == .client && referring.contains($0.id) }
                .flatMap { partner in partner.ownKeys.compactMap { roster.client(matching: $0)?.key } })
        let active = roster.active(on: period.end)
        let registered = partners.filter { $0.createdAt < period.end }
        var participation = Participation()
        participation.activeClients = active.count
        participation.referringClients = active.filter { referringCompanies.contains($0.key) }.count
        participation.clientPercent = percent(participation.referringClients, of: participation.activeClients)
        participation.partners = registered.count
        participation.referringPartners = registered.filter { referring.contains($0.id) }.count
        participation.partnerPercent = percent(participation.referringPartners, of: participation.partners)
        return participation
    }

    static let notReferred = "not_referred"

    private static func collectedRevenue(roster: ClientRoster, kinds: [PartnerID: Partner.Kind], to end: Date, calendar: Calendar) -> CollectedRevenue {
        let start = calendar.date(byAdding: .month, value: -12, to: end)!
        func source(_ client: ClientRecord) -> String { client.partnerID.flatMap { kinds[$0]?.rawValue } ?? notReferred }
        let sources = Partner.Kind.allCases.map(\.rawValue) + [notReferred]
        var clients: [String: Int] = [:]
        var amounts: [String: [Money]] = [:]
        for client in roster.clients {
            let inWindow = client.cash.filter { $0.on >= start && $0.on < end }
            guard !inWindow.isEmpty else { continue }
            clients[source(client), default: 0] += 1
            amounts[source(client), default: []] += inWindow.map(\.amount)
        }
        return CollectedRevenue(
            from: start, to: end,
            bySource: sources.map { CollectedRevenue.Source(source: $0, clients: clients[$0] ?? 0, collected: Money.sums(amounts[$0] ?? [])) },
            total: Money.sums(amounts.values.flatMap { $0 }))
    }

    private static func lifetimeValue(roster: ClientRoster, through end: Date) -> LifetimeValue {
        func cohort(_ clients: [ClientRecord]) -> LifetimeValue.Cohort {
            let cash = clients.map { client in Money.sums(client.cash.filter { $0.on < end }.map(\.amount)) }
            let collected = Money.sums(cash.flatMap { $0 })
            // Per currency, over the clients that paid in it: a client billed in another currency,
            // or not billed through a connected system, says nothing of this one's value.
            return LifetimeValue.Cohort(
                clients: clients.count, collected: collected,
                perClient: collected.map { total in
                    total.prorated(1, of: Int64(cash.filter { $0.contains { $0.currency == total.currency } }.count))
                })
        }
        let started = roster.clients.filter { $0.startedAt < end }
        let referred = cohort(started.filter { $0.partnerID != nil })
        let others = cohort(started.filter { $0.partnerID == nil })
        let currencies = Set((referred.perClient + others.perClient).map(\.currency)).sorted { $0.code < $1.code }
        return LifetimeValue(
            referred: referred, others: others,
            referredToOthers: currencies.map { currency in
                let mine = referred.perClient.first { $0.currency == currency }?.minorUnits ?? 0
                let theirs = others.perClient.first { $0.currency == currency }?.minorUnits ?? 0
                return .init(currency: currency, ratio: theirs == 0 ? nil : (Double(mine) / Double(theirs) * 100).rounded() / 100)
            })
    }

    private static func shares(of clients: [ClientRecord]) -> [MRRShare] {
        let values = clients.compactMap { client in client.monthlyValue.map { ($0, client.partnerID != nil) } }
        return Dictionary(grouping: values, by: \.0.currency).map { currency, values in
            MRRShare(
                total: Money(minorUnits: values.reduce(0) { $0 + $1.0.minorUnits }, currency: currency),
                referralSourced: Money(minorUnits: values.filter(\.1).reduce(0) { $0 + $1.0.minorUnits }, currency: currency))
        }.sorted { $0.total.currency.code < $1.total.currency.code }
    }

    /// Rises of a client already billing, and falls that leave it billing something (a client's
    /// last agreement ending is churn, counted by retention, not contraction).
    private static func movements(_ changes: [ClientRecord.MRRChange]) -> (expansion: [Money], contraction: [Money]) {
        // A client coming back from nothing is a return, not an expansion.
        let rises = changes.filter { $0.after.minorUnits > $0.before.minorUnits && $0.before.minorUnits > 0 }
        let falls = changes.filter { $0.after.minorUnits < $0.before.minorUnits && $0.after.minorUnits > 0 }
        return (
            Money.sums(rises.map { Money(minorUnits: $0.after.minorUnits - $0.before.minorUnits, currency: $0.after.currency) }),
            Money.sums(falls.map { Money(minorUnits: $0.before.minorUnits - $0.after.minorUnits, currency: $0.after.currency) })
        )
    }

    private static func conversion(of referrals: [(Referral, Referral.Status)], contracts: [ReferralID: Contract]) -> Conversion {
        var conversion = Conversion()
        var days: [Double] = []
        for (referral, status) in referrals {
            conversion.introduced += 1
            if let contract = contracts[referral.id] {
                conversion.signed += 1
                days.append(contract.startedAt.timeIntervalSince(referral.introducedAt) / 86_400)
                continue
            }
            switch status {
            case .lost: conversion.lost += 1
            case .expired: conversion.expired += 1
            default: conversion.open += 1
            }
        }
        conversion.ratePercent = percent(conversion.signed, of: conversion.introduced)
        days.sort()
        if !days.isEmpty {
            let middle = days.count / 2
            let median = days.count % 2 == 1 ? days[middle] : (days[middle - 1] + days[middle]) / 2
            conversion.medianDaysToSign = (median * 10).rounded() / 10
        }
        return conversion
    }

    private static func retention(_ roster: ClientRoster, at end: Date) -> Retention {
        func cohort(_ clients: [ClientRecord]) -> Retention.Cohort {
            var cohort = Retention.Cohort()
            cohort.clients = clients.count
            cohort.retained = clients.filter { $0.isActive(on: end) }.count
            cohort.retainedPercent = percent(cohort.retained, of: cohort.clients)
            if !clients.isEmpty {
                let tenure = clients.map { client -> Double in
                    let last = client.isActive(on: end) ? end : min(client.endedAt ?? client.lastPaidAt ?? end, end)
                    return max(0, last.timeIntervalSince(client.startedAt) / 86_400)
                }
                cohort.averageTenureDays = (tenure.reduce(0, +) / Double(tenure.count) * 10).rounded() / 10
            }
            return cohort
        }
        let started = roster.clients.filter { $0.startedAt < end }
        return Retention(referred: cohort(started.filter { $0.partnerID != nil }), others: cohort(started.filter { $0.partnerID == nil }))
    }

    /// Ranks partners by running MRR in the program's main currency (the one with the most), then
    /// by contracts signed, and takes the top `percent` of all partners (at least one).
    private static func top(_ results: [PartnerResults], percent share: Int, of partnerCount: Int) -> TopPartners {
        let currencies = Dictionary(grouping: results.flatMap(\.runningMRR), by: \.currency)
            .mapValues { $0.reduce(0) { $0 + $1.minorUnits } }
        let main = currencies.max { ($0.value, $1.key.code) < ($1.value, $0.key.code) }?.key
        func mrr(_ result: PartnerResults) -> Int64 { result.runningMRR.first { $0.currency == main }?.minorUnits ?? 0 }
        let ranked = results.filter { mrr($0) > 0 || $0.signed > 0 }
            .sorted { (mrr($0), $0.signed, -$0.partnerID.rawValue) > (mrr($1), $1.signed, -$1.partnerID.rawValue) }
        let count = min(ranked.count, max(1, (partnerCount * share + 99) / 100))
        let top = Array(ranked.prefix(count))
        return TopPartners(
            percent: share, partners: top,
            signedSharePercent: percent(top.reduce(0) { $0 + $1.signed }, of: results.reduce(0) { $0 + $1.signed }),
            runningMRRSharePercent: currencies.keys.sorted { $0.code < $1.code }.map { currency in
                CurrencyPercent(
                    currency: currency,
                    percent: percent(
                        top.flatMap(\.runningMRR).filter { $0.currency == currency }.reduce(0) { $0 + $1.minorUnits },
                        of: currencies[currency] ?? 0))
            })
    }
}

/// `part / whole` as a percentage with one decimal, or `nil` when `whole` is zero.
func percent(_ part: some BinaryInteger, of whole: some BinaryInteger) -> Double? {
    guard whole != 0 else { return nil }
    return (Double(part) / Double(whole) * 1_000).rounded() / 10
}
