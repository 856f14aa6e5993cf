import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Testing

/// Processing recomputes only the part of the ledger a batch can change. Whatever the streams,
/// arrival orders, batch sizes and program changes between batches, the ledger it leaves is the
/// one a rebuild from scratch computes: on the real store, through the inbox's settlement.
@Suite struct IncrementalLedgerPropertyTests {
    /// 50 seeds in CI; `GATEWAY_PROPERTY_SEEDS=500 swift test --filter IncrementalLedger` for more.
    static let seeds: [UInt64] = Array(1...UInt64(max(1, ProcessInfo.processInfo.environment["GATEWAY_PROPERTY_SEEDS"].flatMap(Int.init) ?? 50)))
    static let now = Events.date("2026-06-01")

    /// Acme's plan ties its referrals together (a tier, a first-referral bonus); Harbor's and Peer
    /// IT's do not. Acme and Harbor both claim `a.example`.
    static func program(_ program: ProgramService, conflictRule: ProgramSettings.ConflictRule) async throws {
        for (name, kind, domain) in [("Acme Accounting", "center_of_influence", nil), ("Harbor Law", "center_of_influence", nil), ("Peer IT", "peer_msp", "peerit.example")] {
            _ = try await program.addPartner(PartnerInput(name: name, kind: kind, domains: domain.map { [$0] }), at: now)
        }
        _ = try await program.addPlan(
            PlanInput(
                name: "Acme tiered",
                terms: PlanTerms(
                    rules: [
                        .recurringShare(steps: [RateStep(months: 3, rate: BasisPoints(1000)), RateStep(months: nil, rate: BasisPoints(400))]),
                        .finderFee(Events.usd(150)), .firstReferralBonus(Events.usd(50)),
                    ], holdDays: 10, tiers: [PerformanceTier(minConversions: 2, bonus: BasisPoints(250))], capPerReferral: Events.usd(400))),
            at: now)
        _ = try await program.addPlan(
            PlanInput(
                name: "Flat 12.5%",
                terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(1250), months: 6), .clientCredit(Events.usd(75))], holdDays: 20)),
            at: now)
        let referrals: [ReferralInput] = [
            ReferralInput(partnerID: 1, planID: 1, prospectName: "A", domains: ["a.example"], introducedAt: "2025-01-05"),
            ReferralInput(partnerID: 2, planID: 2, prospectName: "A too", domains: ["a.example"], introducedAt: "2025-01-10", claimShare: 0.5),
            ReferralInput(partnerID: 3, planID: 2, prospectName: "B", vendorIDs: ["stripe": "cus_b"], introducedAt: "2025-01-01"),
            ReferralInput(partnerID: 1, planID: 1, prospectName: "C", referralCode: "ACME-C", introducedAt: "2025-02-01"),
            ReferralInput(partnerID: 1, planID: 2, prospectName: "Agreement client", vendorIDs: ["connectwise": "250"], introducedAt: "2025-01-15"),
        ]
        for referral in referrals { _ = try await program.addReferral(referral, at: now) }
        var settings = try await program.settings()
        settings.conflictRule = conflictRule
        settings.approvalThresholds = ["USD": 10_000]
        _ = try await program.saveSettings(settings, at: now)
    }

    /// Payments (some twice), credit notes and voids for referred and unreferred customers, and a
    /// ConnectWise agreement that may be cancelled by a deletion naming only its id.
    static func stream(_ rng: inout SeededGenerator) -> [BusinessEvent] {
        let customers: [(id: String, email: String?, code: String?)] = [
            ("cus_a", "x@a.example", nil), ("cus_a2", "y@a.example", nil), ("cus_b", nil, nil), ("cus_c", "c@gmail.com", "ACME-C"),
            ("cus_d", "ap@d.example", nil), ("cus_z", "z@z.example", nil),
        ]
        func day(_ offset: Int) -> String {
            Calendar(identifier: .gregorian).date(byAdding: .day, value: offset, to: Events.date("2025-01-01"))!.formatted(.iso8601)
        }
        var events: [BusinessEvent] = [Events.agreement("ag-1", customer: "250", name: "Agreement client", monthly: 900, on: day(20))]
        if Bool.random(using: &rng) { events.append(Events.cancelled("ag-1", on: day(Int.random(in: 60...300, using: &rng)))) }
        for index in 0..<Int.random(in: 10...30, using: &rng) {
            let customer = customers.randomElement(using: &rng)!
            let offset = Int.random(in: 1...420, using: &rng)
            let minor = Int.random(in: 100...250_000, using: &rng)
            let dollars = Decimal(minor) / 100
            var event = Events.paid(
                "in_\(index)", customer: customer.id, email: customer.email, dollars: dollars, on: day(offset),
                oneTime: Bool.random(using: &rng) ? min(dollars, 10) : nil)
            if case .invoicePaid(var paid) = event, let code = customer.code {
                paid.customer.referralCode = code
                event = .invoicePaid(paid)
            }
            events.append(event)
            if Int.random(in: 0..<3, using: &rng) == 0 { events.append(event) }
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: events.append(Events.credit("cn_\(index)", invoice: "in_\(index)", customer: customer.id, dollars: Decimal(minor / 4) / 100, on: day(offset + 3)))
            case 1: events.append(Events.void("in_\(index)", customer: customer.id, on: day(offset + 1)))
            default: break
            }
        }
        return events
    }

    /// What the ledger holds, as a rebuild must leave it.
    struct Ledger: Equatable {
        var lines: [String]
        var contracts: [String]
        var conflicts: [String]

        init(_ store: any Repositories) async throws {
            lines = try await store.ledger.allAccruals().map { accrual in
                "\(accrual.id) \(accrual.line.key) \(accrual.line.amount) \(accrual.state) payout:\(accrual.payoutID ?? 0) approval:\(accrual.line.needsApproval) \(accrual.line.note)"
            }.sorted()
            contracts = try await store.ledger.contracts().map {
                "\($0.referralID) \($0.startedAt.formatted(.iso8601)) \($0.endedAt?.formatted(.iso8601) ?? "-") \($0.monthlyValue?.description ?? "-")"
            }.sorted()
            conflicts = try await store.ledger.conflicts().map { "\($0.customerKey) \($0.referralID) \($0.winner.map { "\($0)" } ?? "-") \($0.reason)" }.sorted()
        }
    }

    @Test(arguments: seeds) func batchesAndProgramChangesLeaveTheLedgerARebuildComputes(seed: UInt64) async throws {
        var rng = SeededGenerator(seed: seed)
        let temporary = try TemporaryStore()
        let (store, program) = (temporary.store, temporary.program)
        try await Self.program(program, conflictRule: [.firstValidClaim, .lastClaim, .split].randomElement(using: &rng)!)
        let events = Self.stream(&rng).shuffled(using: &rng)

        var sent = 0
        var changes = ["late referral", "plan version", "override", "payout"].shuffled(using: &rng)
        while sent < events.count {
            let batch = events[sent..<min(events.count, sent + Int.random(in: 1...8, using: &rng))]
            for (offset, _) in batch.enumerated() {
                _ = try await store.inbox.ingest(
                    IncomingDelivery(
                        source: "stripe", vendorDeliveryID: "evt_\(sent + offset)", eventType: nil, receivedAt: Self.now, requestID: nil, body: Data(),
                        headers: [:], verification: Verification(scheme: "test", matchedSecretIndex: 0)))
            }
            let claimed = try await store.inbox.claimDeliveries(limit: batch.count, lease: 60, at: Self.now)
            #expect(claimed.count == batch.count)
            try await store.inbox.settle(
                zip(claimed, batch).map { ($0.id, .mapped([$1], adapterVersion: 1)) }, rules: LedgerService(), at: Self.now)
            sent += batch.count
            // Between batches, now and then, the admin changes the program.
            if Int.random(in: 0..<4, using: &rng) == 0, let change = changes.popLast() {
                switch change {
                case "late referral":
                    _ = try await program.addReferral(
                        ReferralInput(partnerID: 2, planID: 2, prospectName: "D", domains: ["d.example"], introducedAt: "2025-01-20"), at: Self.now)
                case "plan version":
                    _ = try await program.addPlanVersion(
                        PlanID(2), PlanTerms(effectiveFrom: Events.date("2025-07-01"), rules: [.recurringShare(rate: BasisPoints(800), months: nil)]),
                        at: Self.now)
                case "override":
                    if try await store.inbox.customerIsKnown("vendor:stripe:cus_z") {
                        _ = try await program.overrideAttribution(ReferralID(3), customer: "stripe:cus_z", reason: "the owner says so", at: Self.now)
                    }
                default:
                    if let payout = try? await program.createPayout(note: nil, at: Self.now) {
                        _ = try await program.markPayoutPaid(payout.id, at: Self.now)
                    }
                }
            }
        }

        let incremental = try await Ledger(store)
        try await program.rebuildLedger(at: Self.now)
        let rebuilt = try await Ledger(store)
        #expect(incremental.lines == rebuilt.lines, "seed \(seed)")
        #expect(incremental.contracts == rebuilt.contracts, "seed \(seed)")
        #expect(incremental.conflicts == rebuilt.conflicts, "seed \(seed)")
    }
}
