import Foundation
import GatewayCore

/// A ledger held in memory that applies effects the way the store does, so engine tests can run
/// whole stories without a database.
final class InMemoryLedger: LedgerLookup {
    var referrals: [Referral] = []
    var plans: [PlanID: [PlanVersion]] = [:]
    var contracts: [Contract] = []
    var accruals: [AccrualLine] = []
    var learned: [ReferralID: [ReferralMatchKey]] = [:]

    func referrals(matching keys: [ReferralMatchKey]) throws -> [ReferralMatch] {
        referrals.flatMap { referral in
            let own = Set(referral.matchKeys.map(\.storageKey) + (learned[referral.id] ?? []).map(\.storageKey))
            return keys.filter { own.contains($0.storageKey) }.map { ReferralMatch(referral: referral, key: $0) }
        }
    }

    func contract(for referral: ReferralID) throws -> Contract? {
        contracts.first { $0.referralID == referral }
    }

    func planVersions(of plan: PlanID) throws -> [PlanVersion] {
        plans[plan] ?? []
    }

    func accrualExists(key: String) throws -> Bool {
        accruals.contains { $0.key == key }
    }

    /// Runs the engine on `event` and keeps its effects.
    @discardableResult
    func apply(_ event: BusinessEvent, delivery: Int64, engine: CommissionEngine = CommissionEngine()) throws -> LedgerEffects {
        let effects = try engine.effects(of: event, delivery: DeliveryID(delivery), lookup: self)
        if let referral = effects.referral {
            learned[referral, default: []] += effects.learnedKeys
        }
        switch effects.contract {
        case .new(let draft):
            let contract = Contract(
                id: ContractID(Int64(contracts.count + 1)), referralID: draft.referral.id, partnerID: draft.referral.partnerID,
                planID: draft.referral.planID, customer: draft.customer, startedAt: draft.startedAt,
                createdByDelivery: draft.createdByDelivery)
            contracts.append(contract)
        case .existing, nil:
            break
        }
        accruals += effects.accruals
        return effects
    }
}
