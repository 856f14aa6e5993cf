public import Foundation
public import GatewayCore
public import GatewayRepositories
public import Logging

/// The ledger's rules as the store applies them: which lines the program and the events call
/// for (Core's `LedgerProjector`), how they change the stored lines without editing a paid one
/// (`AccrualReconciler`), and every sentence that explains what an event did.
public struct LedgerService: LedgerRules {
    /// The version of what the engine derives from stored events (their lookup keys, the ledger).
    /// Raise it when a change to the rules or the keys means stored data must be derived again:
    /// the next start-up does it once, and logs it.
    ///
    /// 2: customers' claims kept in `customer_claim`.
    /// 3: invoice events looked up by their invoice (`invoice:<id>`).
    public static let derivedDataVersion = 3

    public init() {}

    public func recompute(events: [RecordedEvent], program: ProgramSnapshot, existing: [Accrual]) -> LedgerPlan {
        let projection = LedgerProjector().project(events, program: program)
        return LedgerPlan(
            contracts: projection.contracts, changes: AccrualReconciler.changes(projected: projection.lines, existing: existing),
            conflicts: projection.conflicts, explanations: projection.explanations)
    }

    public func tiesPartnerReferrals(_ version: PlanVersion) -> Bool {
        !version.tiers.isEmpty || version.capPerPartnerPerYear != nil
            || version.rules.contains { if case .firstReferralBonus = $0 { true } else { false } }
    }

    public func settlesPaymentsAlone(_ version: PlanVersion) -> Bool {
        !tiesPartnerReferrals(version) && version.capPerReferral == nil
    }

    public func explain(
        _ events: [BusinessEvent], of delivery: DeliveryID, explanations: [String: String], firstDelivery: [String: DeliveryID]
    ) -> [String] {
        events.map { event in
            let explanation =
                explanations[event.businessKey]
                ?? event.customer.map { "no referral matches customer \($0.source) \($0.id)" } ?? "\(event.kind.rawValue) recorded"
            guard let first = firstDelivery[event.businessKey], first != delivery else { return explanation }
            return "the same business effect as delivery \(first), counted once: \(explanation)"
        }
    }

    /// Derives the stored data again when it was derived by another engine version (or never):
    /// the event lookup keys and the whole ledger, in one transaction. Run at start-up, before
    /// anything is served or processed.
    ///
    /// - Returns: whether anything was recomputed.
    @discardableResult
    public static func recomputeDerivedDataIfNeeded(in store: any Repositories, at now: Date, logger: Logger) async throws -> Bool {
        let stored = try await store.ledger.derivedDataVersion()
        // A newer engine's data is left alone: an older binary must not derive it backwards.
        guard (stored ?? 0) < derivedDataVersion else { return false }
        let started = ContinuousClock.now
        logger.notice(
            "recomputing derived data for this engine version (a new store, or the first start after an upgrade)",
            metadata: ["from": "\(stored.map(String.init) ?? "none")", "to": "\(derivedDataVersion)"])
        guard try await store.ledger.rebuildDerivedData(version: derivedDataVersion, rules: LedgerService(), at: now) else {
            logger.notice("derived data was recomputed by another process meanwhile")
            return false
        }
        logger.notice("derived data recomputed", metadata: ["took": "\(ContinuousClock.now - started)"])
        return true
    }
}
