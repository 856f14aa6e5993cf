import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Testing

/// A year of events on the real store, and every figure the owner reads checked against numbers
/// worked out by hand (see `YearStory` for the year).
@Suite struct ReportStoryTests {
    static func usd(_ cents: Int64) -> [Money] { [Money(minorUnits: cents, currency: Events.usd)] }
    static func day(_ text: String) -> Date { Events.date(text) }

    @Test func aYearOfTheProgramInEveryFigure() async throws {
        let temporary = try TemporaryStore()
        let story = try await YearStory.load(into: temporary.store, program: temporary.program)
        let reports = temporary.reports
        let metrics = try await reports.programMetrics(period: YearStory.year, at: YearStory.now)

        // New clients: bright, lapsed, cancel, grow (referred) and new; happy started in 2024.
        #expect(metrics.newClients == 5)
        #expect(metrics.referredNewClients == 4)
        // New MRR 500 + 300 + 2,000 + 1,499 referred, + 800 not: 4,299 of 5,099.
        #expect(metrics.newMRR.map(\.total) == [Money(minorUnits: 509_900, currency: Events.usd)])
        #expect(metrics.newMRR.first?.referralSourced.minorUnits == 429_900)
        #expect(metrics.newMRR.first?.sharePercent == 84.3)
        // Five introduced, four signed after 22, 28, 31 and 31 days, one lost.
        #expect(metrics.conversion.introduced == 5)
        #expect(metrics.conversion.signed == 4)
        #expect(metrics.conversion.lost == 1)
        #expect(metrics.conversion.ratePercent == 80)
        #expect(metrics.conversion.medianDaysToSign == 29.5)
        // Happy (a client partner) brought one new client; happy was the one client on 1 January.
        #expect(metrics.kFactor.clientReferredNewClients == 1)
        #expect(metrics.kFactor.activeClientsAtStart == 1)
        #expect(metrics.kFactor.value == 1)

        // Running at the year's end: bright (paid 1 December, 500) and grow (open agreement, raised
        // to 1,999); lapsed lapsed on 30 June, cancel's agreement ended on 30 September.
        let byPartner = Dictionary(uniqueKeysWithValues: metrics.byPartner.map { ($0.partnerID, $0) })
        #expect(byPartner[story.acme.id]?.signed == 3)
        #expect(byPartner[story.acme.id]?.newMRR == Self.usd(399_900))
        #expect(byPartner[story.acme.id]?.runningClients == 2)
        #expect(byPartner[story.acme.id]?.runningMRR == Self.usd(249_900))
        #expect(byPartner[story.happy.id]?.newMRR == Self.usd(30_000))
        #expect(byPartner[story.happy.id]?.runningClients == 0)
        #expect(byPartner[story.happy.id]?.runningMRR == [])
        let byKind = Dictionary(uniqueKeysWithValues: metrics.byKind.map { ($0.kind, $0) })
        #expect(byKind[.centerOfInfluence]?.conversionPercent == 75)
        #expect(byKind[.centerOfInfluence]?.runningMRR == Self.usd(249_900))
        #expect(byKind[.client]?.runningMRR == [])
        #expect(metrics.topPartners.partners.map(\.partnerID) == [story.acme.id])
        #expect(metrics.topPartners.signedSharePercent == 75)

        // Retention: of the four referred, bright and grow remain; happy and new both remain.
        #expect(metrics.retention.referred.clients == 4)
        #expect(metrics.retention.referred.retainedPercent == 50)
        #expect(metrics.retention.others.retainedPercent == 100)

        // Participation: happy is one of four active clients (happy, bright, new, grow) and
        // referred; Acme and Happy are two of three partners that referred in the year.
        #expect(metrics.participation.activeClients == 4)
        #expect(metrics.participation.referringClients == 1)
        #expect(metrics.participation.clientPercent == 25)
        #expect(metrics.participation.partners == 3)
        #expect(metrics.participation.referringPartners == 2)
        #expect(metrics.participation.partnerPercent == 66.7)

        // Cash over the twelve months: happy 12 × 1,000 and new 4 × 800 less the voided 800 (not
        // referred); bright 10 × 500 (its doubled payment once) and cancel 3 × 2,000 less a 500
        // credit (Acme's); lapsed 3 × 300 (Happy's).
        let collected = Dictionary(uniqueKeysWithValues: metrics.collectedRevenue.bySource.map { ($0.source, $0) })
        #expect(collected["not_referred"]?.collected == Self.usd(1_440_000))
        #expect(collected["not_referred"]?.clients == 2)
        #expect(collected["center_of_influence"]?.collected == Self.usd(1_050_000))
        #expect(collected["center_of_influence"]?.clients == 2)
        #expect(collected["client"]?.collected == Self.usd(90_000))
        #expect(collected["peer_msp"]?.collected == [])
        #expect(metrics.collectedRevenue.total == Self.usd(2_580_000))
        // Lifetime value: 11,400 over the three referred clients that paid (grow bills through its
        // agreement only) against 14,400 over two others.
        #expect(metrics.lifetimeValue.referred.clients == 4)
        #expect(metrics.lifetimeValue.referred.collected == Self.usd(1_140_000))
        #expect(metrics.lifetimeValue.referred.perClient == Self.usd(380_000))
        #expect(metrics.lifetimeValue.others.perClient == Self.usd(720_000))
        #expect(metrics.lifetimeValue.referredToOthers.first?.ratio == 0.53)

        // Expansion: grow's raise of 500 in December; happy's renewal moves nothing, and cancel's
        // ending is churn, not contraction.
        #expect(metrics.expansionMRR == Self.usd(50_000))
        #expect(metrics.contractionMRR == [])
        #expect(metrics.months.map(\.expansionMRR) == Array(repeating: [], count: 11) + [Self.usd(50_000)])

        // Give and get over twelve months at 3 to 1: Acme sent four and got one; Happy sent one
        // and got none; Peer got two and sent none.
        let giveGet = Dictionary(uniqueKeysWithValues: metrics.giveGet.map { ($0.partnerID, $0) })
        #expect(giveGet[story.acme.id]?.referralsReceived == 4)
        #expect(giveGet[story.acme.id]?.referralsGiven == 1)
        #expect(giveGet[story.acme.id]?.mrrGiven == Self.usd(30_000))
        #expect(giveGet[story.acme.id]?.flags == [.owedGiveBack])
        #expect(giveGet[story.happy.id]?.flags == [.owedGiveBack, .quiet])
        #expect(giveGet[story.peer.id]?.flags == [.unreturned, .quiet])
        #expect(try await reports.owedGiveBack(at: YearStory.now).map(\.partnerID) == [story.acme.id, story.happy.id])

        // Reviews: happy asked, bright and new healthy without an ask, grow never reviewed.
        let kpis = try await reports.clientReviewKPIs(period: YearStory.year)
        #expect(kpis.activeClients == 4)
        #expect(kpis.clientsReviewed == 3)
        #expect(kpis.healthPercent == 25)
        #expect(kpis.healthyWithoutAskPercent == 50)
        #expect(kpis.riskPercent == 0)
        #expect(kpis.unknownPercent == 25)
        #expect(kpis.reviewsInPeriod == 4)
        #expect(kpis.unreviewed.map(\.key) == ["domain:grow.example"])

        // Who to ask next: new is 90 days in on 14 December, bright reviewed healthy on
        // 10 December, grow expanded on 1 December and was 90 days in on 30 October; happy
        // renewed but was asked on 20 November.
        let asks = try await reports.askNext(at: YearStory.now)
        #expect(asks.map(\.client) == ["domain:new.example", "domain:bright.example", "domain:grow.example"])
        #expect(asks.map { $0.moments.map(\.reason) } == [[.ninetyDaysIn], [.reviewedHealthy], [.expanded, .ninetyDaysIn]])
        #expect(asks.first?.moments.first?.on == Self.day("2025-12-14"))
        #expect(try await reports.askNext(at: Self.day("2025-11-16"), windowDays: 5).map { $0.moments.map(\.reason) } == [[.renewed]])
    }

    @Test func aLapsedClientAndAnEndedAgreementLeaveRunningMRROnTheirDayInEveryReport() async throws {
        let temporary = try TemporaryStore()
        let story = try await YearStory.load(into: temporary.store, program: temporary.program)
        let reports = temporary.reports
        func metrics(endingOn day: String) async throws -> [PartnerID: ProgramMetrics.PartnerResults] {
            let period = ReportPeriod(start: Self.day("2025-01-01"), end: Self.day(day))
            let metrics = try await reports.programMetrics(period: period, at: YearStory.now)
            return Dictionary(uniqueKeysWithValues: metrics.byPartner.map { ($0.partnerID, $0) })
        }

        // lapsed last paid on 1 April: running on 29 June, lapsed on 30 June.
        #expect(try await reports.runningMRR(of: story.happy.id, on: [Self.day("2025-06-29"), Self.day("2025-06-30")]) == [Self.usd(30_000), []])
        #expect(try await metrics(endingOn: "2025-06-29")[story.happy.id]?.runningMRR == Self.usd(30_000))
        #expect(try await metrics(endingOn: "2025-06-30")[story.happy.id]?.runningMRR == [])
        #expect(try await reports.running(on: Self.day("2025-06-30"))[story.happy.id] == nil)

        // cancel's agreement ended on 30 September: Acme runs bright, cancel and grow the day before.
        #expect(
            try await reports.runningMRR(of: story.acme.id, on: [Self.day("2025-09-29"), Self.day("2025-09-30")])
                == [Self.usd(399_900), Self.usd(199_900)])
        #expect(try await metrics(endingOn: "2025-09-29")[story.acme.id]?.runningClients == 3)
        #expect(try await metrics(endingOn: "2025-09-30")[story.acme.id]?.runningClients == 2)
        #expect(try await reports.running(on: Self.day("2025-09-30"))[story.acme.id]?.clients == 2)
        // grow's agreement raised from 1,499 to 1,999 counts 1,999 from the change date.
        #expect(
            try await reports.runningMRR(of: story.acme.id, on: [Self.day("2025-11-30"), Self.day("2025-12-01")])
                == [Self.usd(199_900), Self.usd(249_900)])
        // The client roster says the same of the clients themselves.
        let roster = try await reports.clientRoster()
        #expect(roster.client("domain:lapsed.example")?.isActive(on: Self.day("2025-06-30")) == false)
        #expect(roster.client("domain:cancel.example")?.isActive(on: Self.day("2025-09-30")) == false)
        #expect(roster.client("domain:cancel.example")?.isActive(on: Self.day("2025-09-29")) == true)
    }
}

/// ConnectWise's own callbacks, through the real adapter and store: an agreement of 1,499 a month
/// raised to 1,999 on 1 December counts 1,999 from that day, and December's metrics show the 500
/// as expansion MRR, apart from new MRR.
@Suite struct AgreementExpansionStoryTests {
    @Test func anAgreementRaisedFrom1499To1999() async throws {
        let temporary = try TemporaryStore()
        let setUp = Events.date("2025-05-01")
        let partner = try await temporary.program.addPartner(PartnerInput(name: "Acme Accounting", kind: "center_of_influence"), at: setUp)
        let plan = try await temporary.program.addPlan(
            PlanInput(name: "10%", terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(1000), months: nil)])), at: setUp)
        _ = try await temporary.program.addReferral(
            ReferralInput(
                partnerID: partner.id.rawValue, planID: plan.id.rawValue, prospectName: "Acme Dental", vendorIDs: ["connectwise": "250"],
                introducedAt: "2025-05-20"), at: setUp)
        let adapter = try #require(try AdapterCatalog.load(directory: Fixtures.adapters)["connectwise"])
        for (index, fixture) in ["agreement.added.json", "agreement.updated.raised.json"].enumerated() {
            guard case .mapped(let events) = try adapter.map(try Fixtures.data("connectwise/\(fixture)")) else {
                Issue.record("\(fixture) did not map")
                return
            }
            for event in events { try await YearStory.settle(event, id: "cw_\(index)", into: temporary.store) }
        }

        let reports = temporary.reports
        #expect(
            try await reports.runningMRR(of: partner.id, on: [Events.date("2025-11-30"), Events.date("2025-12-01")])
                == [[Money(minorUnits: 149_900, currency: Events.usd)], [Money(minorUnits: 199_900, currency: Events.usd)]])
        let december = try await reports.programMetrics(
            period: ReportPeriod(start: Events.date("2025-12-01"), end: Events.date("2026-01-01")), at: Events.date("2026-01-01"))
        #expect(december.expansionMRR == [Money(minorUnits: 50_000, currency: Events.usd)])
        #expect(december.newMRR.isEmpty)
        #expect(december.byPartner.first?.runningMRR == [Money(minorUnits: 199_900, currency: Events.usd)])
    }
}
