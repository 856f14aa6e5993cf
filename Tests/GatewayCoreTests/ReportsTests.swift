import Foundation
import GatewayCore
import Testing

/// The pure reports: statements, payout exports, the client roster, program metrics and the
/// client-review KPIs, each checked against figures worked out by hand.
@Suite struct ReportsTests {
    static let usd = CurrencyCode("USD")!
    static func day(_ text: String) -> Date { try! Date(text, strategy: .iso8601.year().month().day()) }
    static func usd(_ cents: Int64) -> Money { Money(minorUnits: cents, currency: usd) }

    static func customer(_ id: String, email: String? = nil, domain: String? = nil, name: String? = nil, source: String = "stripe")
        -> CustomerReference
    {
        CustomerReference(source: source, id: id, email: email, domain: domain, name: name)
    }

    static func paid(_ customer: CustomerReference, _ cents: Int64, on date: String, invoice: String = UUID().uuidString) -> BusinessEvent {
        .invoicePaid(InvoicePaid(invoiceID: invoice, customer: customer, amountPaid: usd(cents), paidAt: day(date)))
    }

    static func agreement(_ customer: CustomerReference, _ cents: Int64, cycle: String? = nil, on date: String, id: String) -> BusinessEvent {
        .agreementCreated(
            AgreementCreated(agreementID: id, customer: customer, recurringAmount: usd(cents), billingCycle: cycle, startDate: day(date)))
    }

    // MARK: CSV

    @Test func csvQuotesAndDisarmsFormulasButKeepsNegativeNumbers() {
        var table = CSVTable(header: ["name", "amount", "memo"])
        table.append(["=HYPERLINK(\"http://evil\")", "-49.90", "a, b"])
        table.append(["@SUM(A1)", "+12", "line\nbreak"])
        table.append(["-not a number", "-", "plain"])
        #expect(
            table.text
                == "name,amount,memo\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",-49.90,\"a, b\"\r\n'@SUM(A1),+12,\"line\nbreak\"\r\n'-not a number,'-,plain\r\n")
    }

    // MARK: Roster

    @Test func aCompanyBilledInStripeAndManagedInAutotaskIsOneClient() {
        let billed = Self.customer("cus_1", email: "office@brightdental.example", name: "Bright Dental")
        let managed = Self.customer("42", domain: "BrightDental.example", source: "autotask")
        let roster = ClientRoster(
            events: [
                Self.paid(billed, 60_000, on: "2025-06-03"),
                Self.agreement(managed, 1_200_000, cycle: "annual", on: "2025-06-01", id: "A1"),
                Self.paid(Self.customer("cus_2", email: "me@gmail.com"), 10_000, on: "2025-06-10"),
            ],
            contracts: [])
        #expect(roster.clients.map(\.key) == ["domain:brightdental.example", "vendor:stripe:cus_2"])
        let bright = roster.clients[0]
        // The agreement's amount per month (12,000.00 a year) wins over the first payment.
        #expect(bright.monthlyValue == Self.usd(100_000))
        #expect(bright.startedAt == Self.day("2025-06-01"))
        #expect(bright.name == "Bright Dental")
        #expect(roster.clients[1].monthlyValue == Self.usd(10_000))
    }

    @Test func aClientEndsWhenItsLastAgreementIsCancelledAndAPayingClientLapsesAfterNinetyDays() {
        let a = Self.customer("1", domain: "a.example", source: "connectwise")
        let b = Self.customer("cus_b", email: "x@b.example")
        let roster = ClientRoster(
            events: [
                Self.agreement(a, 50_000, on: "2025-01-01", id: "1"), Self.agreement(a, 20_000, on: "2025-02-01", id: "2"),
                .agreementCancelled(AgreementCancelled(source: "connectwise", agreementID: "1", endDate: Self.day("2025-03-01"))),
                .agreementCancelled(AgreementCancelled(source: "connectwise", agreementID: "2", endDate: Self.day("2025-05-01"))),
                Self.paid(b, 10_000, on: "2025-01-15"), Self.paid(b, 10_000, on: "2025-02-15"),
            ], contracts: [])
        let clients = Dictionary(uniqueKeysWithValues: roster.clients.map { ($0.key, $0) })
        let companyA = clients["domain:a.example"]!
        #expect(companyA.endedAt == Self.day("2025-05-01"))
        #expect(companyA.isActive(on: Self.day("2025-04-01")))
        #expect(!companyA.isActive(on: Self.day("2025-05-01")))
        let companyB = clients["domain:b.example"]!
        #expect(companyB.isActive(on: Self.day("2025-05-15")))
        #expect(!companyB.isActive(on: Self.day("2025-05-17")))
    }

    @Test func laterPaymentsGivenAsDatesOnlyMakeTheSameRoster() {
        let program = Self.program()
        let bright = Self.customer("cus_b", email: "office@bright.example", name: "Bright")
        let other = Self.customer("cus_o", email: "o@gmail.com")
        let payments = [("2025-01-05", bright), ("2025-03-05", other), ("2025-02-05", bright), ("2025-04-05", bright), ("2025-05-05", other)]
        let events = payments.map { Self.paid($0.1, 10_000, on: $0.0) }
        let full = ClientRoster(events: events, contracts: program.contracts)
        // The store describes each customer once (its first event in time) and then sends dates.
        var described: Set<String> = []
        let entries = payments.sorted { $0.0 < $1.0 }.map { day, customer -> ClientRoster.Entry in
            let vendorKey = ReferralMatchKey.vendor(source: customer.source, id: customer.id).storageKey
            guard described.insert(vendorKey).inserted else { return .payment(vendorKey: vendorKey, paidAt: Self.day(day)) }
            return .event(Self.paid(customer, 10_000, on: day))
        }
        let light = ClientRoster(entries: entries, contracts: program.contracts)
        #expect(light.clients == full.clients)
        #expect(light.clients.first { $0.key == "domain:bright.example" }?.payments.count == 3)
        #expect(light.clients.first { $0.key == "domain:bright.example" }?.lastPaidAt == Self.day("2025-04-05"))
    }

    // MARK: Metrics

    /// Two existing clients; four new ones in Q3 2025, two of them referred (one by a client partner).
    static func program() -> (partners: [Partner], referrals: [(Referral, Referral.Status)], contracts: [Contract], roster: ClientRoster) {
        let created = day("2025-01-01")
        let happy = Partner(id: PartnerID(1), name: "Happy Client Co", kind: .client, payoutForm: .accountCredit, createdAt: created)
        let cpa = Partner(id: PartnerID(2), name: "Acme Accounting", kind: .centerOfInfluence, payoutForm: .cash, createdAt: created)
        let broker = Partner(id: PartnerID(3), name: "Quiet Broker", kind: .centerOfInfluence, payoutForm: .cash, createdAt: created)
        func referral(_ id: Int64, _ partner: PartnerID, _ introduced: String, _ domain: String) -> Referral {
            Referral(id: ReferralID(id), partnerID: partner, planID: PlanID(1), prospectName: domain, domains: [domain], introducedAt: day(introduced))
        }
        let referrals = [
            (referral(1, happy.id, "2025-07-01", "new1.example"), Referral.Status.signed),
            (referral(2, cpa.id, "2025-07-10", "new2.example"), .signed),
            (referral(3, cpa.id, "2025-08-01", "gone.example"), .lost),
            (referral(4, cpa.id, "2025-03-01", "old.example"), .expired),
        ]
        let new1 = customer("n1", domain: "new1.example", source: "autotask")
        let new2 = customer("n2", domain: "new2.example", source: "autotask")
        let contracts = [
            Contract(
                id: ContractID(1), referralID: ReferralID(1), partnerID: happy.id, planID: PlanID(1), customer: new1, startedAt: day("2025-07-11"),
                createdByDelivery: DeliveryID(1), monthlyValue: usd(100_000)),
            Contract(
                id: ContractID(2), referralID: ReferralID(2), partnerID: cpa.id, planID: PlanID(1), customer: new2, startedAt: day("2025-08-30"),
                createdByDelivery: DeliveryID(2), monthlyValue: usd(50_000)),
        ]
        let roster = ClientRoster(
            events: [
                agreement(customer("o1", domain: "old1.example", source: "autotask"), 80_000, on: "2024-01-01", id: "o1"),
                agreement(customer("o2", domain: "old2.example", source: "autotask"), 80_000, on: "2024-06-01", id: "o2"),
                agreement(new1, 100_000, on: "2025-07-11", id: "n1"), agreement(new2, 50_000, on: "2025-08-30", id: "n2"),
                agreement(customer("d1", domain: "direct1.example", source: "autotask"), 150_000, on: "2025-07-20", id: "d1"),
                agreement(customer("d2", domain: "direct2.example", source: "autotask"), 100_000, on: "2025-09-05", id: "d2"),
            ], contracts: contracts)
        return ([happy, cpa, broker], referrals, contracts, roster)
    }

    @Test func programMetricsOverAQuarter() throws {
        let program = Self.program()
        let period = ReportPeriod(start: Self.day("2025-07-01"), end: Self.day("2025-10-01"))
        let metrics = ProgramMetrics(
            period: period, generatedAt: Self.day("2025-10-01"), partners: program.partners, referrals: program.referrals,
            contracts: program.contracts, roster: program.roster, giveGet: [], topPercent: 33)

        #expect(metrics.newClients == 4)
        #expect(metrics.referredNewClients == 2)
        // 1,000 + 500 referred of 4,000 new MRR.
        #expect(metrics.newMRR.first?.total == Self.usd(400_000))
        #expect(metrics.newMRR.first?.referralSourced == Self.usd(150_000))
        #expect(metrics.newMRR.first?.sharePercent == 37.5)
        #expect(metrics.months.map(\.month) == ["2025-07", "2025-08", "2025-09"])
        #expect(metrics.months.map { $0.newMRR.first?.sharePercent } == [40.0, 100.0, 0.0])

        // Three introductions in the quarter: two signed (after 10 and 51 days), one lost.
        #expect(metrics.conversion.introduced == 3)
        #expect(metrics.conversion.signed == 2)
        #expect(metrics.conversion.lost == 1)
        #expect(metrics.conversion.ratePercent == 66.7)
        #expect(metrics.conversion.medianDaysToSign == 30.5)

        // One new client referred by a client, two clients active on 1 July.
        #expect(metrics.kFactor.clientReferredNewClients == 1)
        #expect(metrics.kFactor.activeClientsAtStart == 2)
        #expect(metrics.kFactor.value == 0.5)

        let coi = try #require(metrics.byKind.first { $0.kind == .centerOfInfluence })
        #expect(coi.partners == 2)
        #expect(coi.activePartners == 1)
        #expect(coi.referrals == 2)
        #expect(coi.signed == 1)
        #expect(coi.newMRR == [Self.usd(50_000)])

        // The top 33 % of three partners is one: the client partner with 1,000 of 1,500 running MRR.
        #expect(metrics.topPartners.partners.map(\.partnerID) == [PartnerID(1)])
        #expect(metrics.topPartners.signedSharePercent == 50)
        #expect(metrics.topPartners.runningMRRSharePercent.first?.percent == 66.7)

        #expect(metrics.retention.referred.clients == 2)
        #expect(metrics.retention.referred.retainedPercent == 100)
        #expect(metrics.retention.others.clients == 4)
    }

    @Test func clientsThatStartedBeforeTheGoLiveDateAreNeverNew() throws {
        let program = Self.program()
        let period = ReportPeriod(start: Self.day("2025-07-01"), end: Self.day("2025-10-01"))
        let metrics = ProgramMetrics(
            period: period, generatedAt: Self.day("2025-10-01"), partners: program.partners, referrals: program.referrals,
            contracts: program.contracts, roster: program.roster, giveGet: [], topPercent: 33, goLive: Self.day("2025-08-01"))

        // new1 (referred by the client partner, 11 July) and direct1 (20 July) were clients before
        // go-live on 1 August; new2 (30 August, referred, 500.00) and direct2 (5 September, 1,000.00) are new.
        #expect(metrics.newClients == 2)
        #expect(metrics.referredNewClients == 1)
        #expect(metrics.newMRR.first?.total == Self.usd(150_000))
        #expect(metrics.newMRR.first?.referralSourced == Self.usd(50_000))
        #expect(metrics.newMRR.first?.sharePercent == 33.3)
        #expect(metrics.months.map { $0.newMRR.first?.total } == [nil, Self.usd(50_000), Self.usd(100_000)])
        // The client partner's only new client started before go-live: no client-referred new client.
        #expect(metrics.kFactor.clientReferredNewClients == 0)
        #expect(metrics.kFactor.activeClientsAtStart == 2)
        #expect(metrics.kFactor.value == 0)
        // Retention and running MRR are about every client, existing or new: unchanged.
        #expect(metrics.retention.referred.clients == 2)
        #expect(metrics.retention.others.clients == 4)
    }

    @Test func aGoLiveDateAfterThePeriodLeavesItNoNewClientsAndOneBeforeItChangesNothing() {
        let program = Self.program()
        let quarter = ReportPeriod(start: Self.day("2025-07-01"), end: Self.day("2025-10-01"))
        #expect(program.roster.newClients(in: quarter, goLive: Self.day("2025-10-01")).isEmpty)
        #expect(program.roster.newClients(in: quarter, goLive: Self.day("2025-07-01")).count == 4)
        #expect(program.roster.newClients(in: quarter, goLive: nil).count == 4)
        // The day itself counts as after go-live: direct1 started on 20 July.
        #expect(program.roster.newClients(in: quarter, goLive: Self.day("2025-07-20")).map(\.key) == ["domain:direct1.example", "domain:new2.example", "domain:direct2.example"])
    }

    @Test func clientReviewKPIsDivideByClientsThatPaidInTheLastTwelveMonths() {
        let clients = ["a", "b", "c", "d"].map { Self.customer($0, domain: "\($0).example") }
        var events = clients.map { Self.paid($0, 10_000, on: "2025-08-01") }
        events.append(Self.paid(Self.customer("e", domain: "e.example"), 10_000, on: "2024-05-01"))  // not paid for 12 months
        let roster = ClientRoster(events: events, contracts: [])
        let reviews = [
            ClientReview(id: 1, client: "domain:a.example", reviewedOn: Self.day("2025-07-10"), outcome: .atRisk),
            ClientReview(id: 2, client: "domain:a.example", reviewedOn: Self.day("2025-09-10"), outcome: .referralAsked),
            ClientReview(id: 3, client: "domain:b.example", reviewedOn: Self.day("2025-08-15"), outcome: .atRisk),
            ClientReview(id: 4, client: "domain:c.example", reviewedOn: Self.day("2024-06-01"), outcome: .healthy),
            ClientReview(id: 5, client: "domain:e.example", reviewedOn: Self.day("2025-08-20"), outcome: .healthy),
        ]
        let kpis = ClientReviewKPIs(
            period: ReportPeriod(start: Self.day("2025-07-01"), end: Self.day("2025-10-01")), roster: roster, reviews: reviews)
        #expect(kpis.activeClients == 4)
        #expect(kpis.clientsReviewed == 2)
        #expect(kpis.reviewedPercent == 50)
        // Health is the article's: asked, over active clients; a healthy review without an ask is apart.
        #expect(kpis.healthPercent == 25)
        #expect(kpis.healthyWithoutAskPercent == 0)
        #expect(kpis.riskPercent == 25)
        #expect(kpis.unknownPercent == 50)
        // Four reviews in three months, against a target of 4 / 12 a month.
        #expect(kpis.reviewsInPeriod == 4)
        #expect(kpis.reviewsPerMonth == 1.3)
        #expect(kpis.monthlyTarget == 0.3)
        #expect(kpis.unreviewed.map(\.key) == ["domain:c.example", "domain:d.example"])
    }

    @Test func whoToAskNextSkipsClientsAtRiskOrAskedInTheWindowAndSaysWhenTheLastAskWas() {
        let clients = ["a", "b", "c"].map { Self.customer($0, domain: "\($0).example") }
        // All three became clients on 1 September: 90 days in on 30 November.
        let roster = ClientRoster(events: clients.map { Self.paid($0, 10_000, on: "2025-09-01") } + clients.map { Self.paid($0, 10_000, on: "2025-11-01") }, contracts: [])
        let reviews = [
            ClientReview(id: 1, client: "domain:a.example", reviewedOn: Self.day("2025-06-01"), outcome: .referralAsked),
            ClientReview(id: 2, client: "domain:b.example", reviewedOn: Self.day("2025-11-10"), outcome: .atRisk),
            ClientReview(id: 3, client: "domain:c.example", reviewedOn: Self.day("2025-11-20"), outcome: .referralAsked),
        ]
        let asks = AskSuggestion.list(roster: roster, reviews: reviews, now: Self.day("2025-12-01"), windowDays: 30)
        #expect(asks.map(\.client) == ["domain:a.example"])
        #expect(asks.first?.moments.map(\.reason) == [.ninetyDaysIn])
        #expect(asks.first?.moments.map(\.on) == [Self.day("2025-11-30")])
        #expect(asks.first?.lastAskedOn == Self.day("2025-06-01"))
        // A day before the moment, nobody is due.
        #expect(AskSuggestion.list(roster: roster, reviews: reviews, now: Self.day("2025-11-29"), windowDays: 30).isEmpty)
    }

    @Test func theRunningRuleFollowsTheClientsAgreementsOverTime() {
        let signed = Self.customer("s1", domain: "signed.example", source: "autotask")
        let renewing = Self.customer("r1", domain: "renewing.example", source: "connectwise")
        let returning = Self.customer("b1", domain: "back.example", source: "connectwise")
        func cancel(_ id: String, on day: String) -> BusinessEvent {
            .agreementCancelled(AgreementCancelled(source: "connectwise", agreementID: id, endDate: Self.day(day)))
        }
        func contract(_ id: Int64, _ customer: CustomerReference, started: String, ended: String? = nil) -> Contract {
            Contract(
                id: ContractID(id), referralID: ReferralID(id), partnerID: PartnerID(1), planID: PlanID(1), customer: customer,
                startedAt: Self.day(started), createdByDelivery: DeliveryID(id), endedAt: ended.map(Self.day), monthlyValue: Self.usd(10_000))
        }
        let contracts = [
            contract(1, signed, started: "2025-01-10"),
            // The ledger ends a contract when its first agreement is cancelled; the renewal keeps it running.
            contract(2, renewing, started: "2025-01-01", ended: "2025-06-01"),
            contract(3, returning, started: "2025-01-01", ended: "2025-03-01"),
        ]
        let roster = ClientRoster(
            events: [
                .clientSigned(ClientSigned(customer: signed, signedAt: Self.day("2025-01-10"))),
                Self.agreement(renewing, 10_000, on: "2025-01-01", id: "R1"), cancel("R1", on: "2025-06-01"),
                Self.agreement(renewing, 12_000, on: "2025-06-01", id: "R2"),
                Self.agreement(returning, 10_000, on: "2025-01-01", id: "B1"), cancel("B1", on: "2025-03-01"),
                Self.agreement(returning, 10_000, on: "2025-10-01", id: "B2"),
                // The same agreement delivered twice is one agreement, not a renewal.
                Self.agreement(returning, 10_000, on: "2025-10-01", id: "B2"),
            ], contracts: contracts)
        // A signing alone keeps a client for 90 days, as a payment does.
        #expect(roster.isRunning(contracts[0], on: Self.day("2025-04-09")))
        #expect(!roster.isRunning(contracts[0], on: Self.day("2025-04-10")))
        // A renewal: running throughout, at the new amount from its start.
        #expect(roster.runningMRR([contracts[1]], on: Self.day("2025-05-31")) == [Self.usd(10_000)])
        #expect(roster.runningMRR([contracts[1]], on: Self.day("2025-06-01")) == [Self.usd(12_000)])
        #expect(roster.client("domain:renewing.example")?.mrrChanges.map(\.after) == [Self.usd(12_000)])
        // Cancelled in March, back in October: out in between, in again after.
        #expect(roster.isRunning(contracts[2], on: Self.day("2025-02-28")))
        #expect(!roster.isRunning(contracts[2], on: Self.day("2025-07-01")))
        #expect(roster.isRunning(contracts[2], on: Self.day("2025-10-01")))
        #expect(roster.client("domain:back.example")?.agreements.count == 2)
    }

    @Test func aRaiseAgreedBeforeTheAgreementStartsAppliesFromItsStart() {
        let customer = Self.customer("f1", domain: "future.example", source: "connectwise")
        let raise = BusinessEvent.agreementChanged(
            AgreementChanged(agreementID: "F1", customer: customer, recurringAmount: Self.usd(120_000), effectiveAt: Self.day("2025-07-15")))
        let roster = ClientRoster(events: [raise, Self.agreement(customer, 100_000, on: "2025-08-01", id: "F1")], contracts: [])
        let client = roster.client("domain:future.example")
        #expect(client?.monthlyValue(on: Self.day("2025-08-01")) == Self.usd(120_000))
        // Not an expansion: the client never billed the lower amount.
        #expect(client?.mrrChanges.isEmpty == true)
    }

    @Test func cashCountsEachEffectOnceAndNeverTakesBackMoreThanWasPaid() {
        let client = Self.customer("cus_c", email: "ap@cash.example")
        let eur = Self.customer("cus_e", email: "ap@euro.example")
        let key = ReferralMatchKey.vendor(source: "stripe", id: "cus_c").storageKey
        func movement(_ kind: CashMovement.Kind, _ businessKey: String, _ day: String, _ cents: Int64?, invoice: String) -> CashMovement {
            CashMovement(kind: kind, vendorKey: key, businessKey: businessKey, at: Self.day(day), amount: cents.map(Self.usd), invoiceID: invoice)
        }
        let roster = ClientRoster(
            events: [Self.paid(client, 10_000, on: "2025-03-01", invoice: "in_1"), Self.paid(eur, 10_000, on: "2025-03-01")],
            contracts: [],
            cash: [
                movement(.payment, "stripe:-:invoice:in_1:paid", "2025-03-01", 10_000, invoice: "in_1"),
                movement(.payment, "stripe:-:invoice:in_1:paid", "2025-03-01", 10_000, invoice: "in_1"),  // invoice.payment_succeeded
                // A credit of 30.00, then the invoice voided: 100.00 taken back in all, not 130.00.
                movement(.credit, "stripe:-:credit:cn_1", "2025-03-05", 3_000, invoice: "in_1"),
                movement(.void, "stripe:-:invoice:in_1:voided", "2025-03-06", nil, invoice: "in_1"),
                // A void that arrives dated before its payment still takes it back.
                movement(.void, "stripe:-:invoice:in_2:voided", "2025-03-31", nil, invoice: "in_2"),
                movement(.payment, "stripe:-:invoice:in_2:paid", "2025-04-01", 5_000, invoice: "in_2"),
            ])
        let cash = roster.client("domain:cash.example")?.cash.map(\.amount.minorUnits)
        #expect(cash == [10_000, -3_000, -7_000, -5_000, 5_000])
        #expect(Money.sums(roster.client("domain:cash.example")?.cash.map(\.amount) ?? []) == [Self.usd(0)])
    }

    @Test func lifetimeValueDividesEachCurrencyByTheClientsThatPaidInIt() {
        let usdClients = ["a", "b", "c"].map { Self.customer("cus_\($0)", email: "ap@\($0).example") }
        let euro = Self.customer("cus_eu", email: "ap@eu.example")
        let eur = CurrencyCode("EUR")!
        var cash = usdClients.map { client in
            CashMovement(
                kind: .payment, vendorKey: ReferralMatchKey.vendor(source: "stripe", id: client.id).storageKey,
                businessKey: "stripe:-:invoice:\(client.id):paid", at: Self.day("2025-02-01"), amount: Self.usd(30_000), invoiceID: client.id)
        }
        cash.append(
            CashMovement(
                kind: .payment, vendorKey: ReferralMatchKey.vendor(source: "stripe", id: euro.id).storageKey, businessKey: "stripe:-:invoice:eu:paid",
                at: Self.day("2025-02-01"), amount: Money(minorUnits: 50_000, currency: eur), invoiceID: "eu"))
        let roster = ClientRoster(
            events: (usdClients + [euro]).map { Self.paid($0, 30_000, on: "2025-02-01") }, contracts: [], cash: cash)
        let metrics = ProgramMetrics(
            period: ReportPeriod(start: Self.day("2025-01-01"), end: Self.day("2026-01-01")), generatedAt: Self.day("2026-01-01"), partners: [],
            referrals: [], contracts: [], roster: roster, giveGet: [])
        #expect(metrics.lifetimeValue.others.clients == 4)
        #expect(Set(metrics.lifetimeValue.others.perClient) == [Self.usd(30_000), Money(minorUnits: 50_000, currency: eur)])
    }

    @Test func settingsSavedBeforeTheReportSettingsExistedTakeTheirDefaults() throws {
        let stored = Data(#"{"conflict_rule":"split","approval_thresholds":{"USD":100000}}"#.utf8)
        let settings = try JSONDecoder().decode(ProgramSettings.self, from: stored)
        #expect(settings.conflictRule == .split)
        #expect(settings.approvalThresholds == ["USD": 100_000])
        #expect((settings.giveGetRatio, settings.giveGetWindowMonths, settings.askWindowDays) == (3, 12, 90))
    }

    // MARK: Statements and payouts

    static func line(
        _ id: Int64, partner: Int64, referral: Int64 = 1, _ cents: Int64, beneficiary: AccrualLine.Beneficiary = .partner,
        earned: String = "2025-06-01", hold: String = "2025-07-01"
    ) -> Accrual {
        Accrual(
            id: AccrualID(id), contractID: nil,
            line: AccrualLine(
                key: "k\(id)", partnerID: PartnerID(partner), beneficiary: beneficiary, referralID: ReferralID(referral),
                sourceDelivery: DeliveryID(id), businessKey: "stripe:-:invoice:in_\(id):paid", rule: "recurring_share", planID: PlanID(1),
                planVersion: 1, basis: usd(cents * 10), rate: BasisPoints(1000), amount: usd(cents), earnedAt: day(earned), holdUntil: day(hold)))
    }

    @Test func aPayoutBillsCashPartnersNetAndCreditsClientsNextInvoices() {
        let created = Self.day("2025-01-01")
        let partners = [
            PartnerID(1): Partner(id: PartnerID(1), name: "Acme, Accounting", kind: .centerOfInfluence, payoutForm: .cash, email: "ap@acme.example", createdAt: created),
            PartnerID(2): Partner(
                id: PartnerID(2), name: "Happy Client Co", kind: .client, payoutForm: .accountCredit, vendorIDs: ["stripe": "cus_happy"], createdAt: created),
        ]
        let export = PayoutExport(
            payoutID: 7, createdAt: Self.day("2025-08-01"),
            lines: [
                Self.line(3, partner: 1, 4_990), Self.line(5, partner: 1, -990), Self.line(6, partner: 2, 2_500),
                Self.line(8, partner: 2, referral: 4, 20_000, beneficiary: .referredClient),
            ],
            partners: partners,
            clients: [ReferralID(4): .init(name: "Bright Dental", customer: Self.customer("cus_bright", name: "Bright Dental LLC"))])
        #expect(export.bills.count == 1)
        #expect(export.bills.first?.amount == Self.usd(4_000))
        #expect(export.bills.first?.accrualIDs == [AccrualID(3), AccrualID(5)])
        #expect(
            export.billsCSV
                == "payee,payee_email,payee_reference,amount,currency,bill_date,memo\r\n"
                + "\"Acme, Accounting\",ap@acme.example,partner-1,40.00,USD,2025-08-01,\"Referral rewards, payout 7: accruals 3 5\"\r\n")
        #expect(export.credits.map(\.customer) == ["Bright Dental LLC", "Happy Client Co"])
        #expect(export.credits.map(\.customerID) == ["cus_bright", "cus_happy"])
        #expect(export.credits.map(\.amount) == [Self.usd(20_000), Self.usd(2_500)])
        #expect(export.credits.map(\.reason) == [.referredClient, .partner])
    }

    @Test func statementTotalsArePerCurrencyAndStatusAndItsCSVHasEveryLine() throws {
        let partner = Partner(id: PartnerID(1), name: "Acme", kind: .centerOfInfluence, payoutForm: .cash, createdAt: Self.day("2025-01-01"))
        let lines = [
            PartnerStatement.Line(accrual: Self.line(1, partner: 1, 4_990), status: .payable, client: "Bright Dental", paidAt: nil),
            PartnerStatement.Line(accrual: Self.line(2, partner: 1, 1_000), status: .paid, client: "Bright Dental", paidAt: Self.day("2025-07-15")),
            PartnerStatement.Line(accrual: Self.line(3, partner: 1, 700), status: .voided, client: "=cmd()", paidAt: nil),
        ]
        let statement = PartnerStatement(
            partner: partner, period: ReportPeriod(start: Self.day("2025-06-01"), end: Self.day("2025-07-01")), generatedAt: Self.day("2025-08-01"),
            lines: lines, balance: [])
        let totals = try #require(statement.periodTotals.first)
        #expect(totals.earned == Self.usd(5_990))
        #expect(totals.amount(.payable) == Self.usd(4_990))
        #expect(totals.amount(.paid) == Self.usd(1_000))
        #expect(totals.amount(.voided) == Self.usd(700))
        #expect(totals.lines == 3)
        let rows = statement.csv.split(separator: "\r\n")
        #expect(rows.count == 4)
        #expect(rows[1].hasPrefix("1,2025-06-01,Bright Dental,recurring_share,1,1,499.00,10,49.90,USD,payable,2025-07-01,,1,"))
        #expect(rows[2].contains(",paid,2025-07-01,2025-07-15,"))
        #expect(rows[3].contains(",'=cmd(),"))

        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(statement)) as? [String: Any]
        let period = try #require((json?["period_totals"] as? [[String: Any]])?.first)
        #expect((period["awaiting_approval"] as? [String: Any])?["minor_units"] as? Int == 0)
        #expect((period["earned"] as? [String: Any])?["minor_units"] as? Int == 5_990)
    }
}
