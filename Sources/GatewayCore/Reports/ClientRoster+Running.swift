public import Foundation

/// The one meaning of "running" that every report, chart and statement uses.
///
/// A referred contract is running on a day when it has started, its agreement has not ended, and
/// its client is still a client that day: under an open agreement, or, without one, paid within
/// the last `ClientRoster.lapseDays`. So a cancelled agreement stops counting on its end date, and
/// a client that stops paying stops counting on the day it lapses, in every figure at once.
extension ClientRoster {
    /// Whether `contract` is running on `date`.
    public func isRunning(_ contract: Contract, on date: Date) -> Bool {
        guard contract.startedAt <= date else { return false }
        if let ended = contract.endedAt, ended <= date { return false }
        // A contract whose client the stored events do not describe (its events were pruned or
        // replayed away) counts by its own dates alone.
        guard let client = client(matching: ReferralMatchKey.vendor(source: contract.customer.source, id: contract.customer.id).storageKey)
        else { return true }
        return client.isActive(on: date)
    }

    /// The contracts of `contracts` running on `date`.
    public func running(_ contracts: [Contract], on date: Date) -> [Contract] {
        contracts.filter { isRunning($0, on: date) }
    }

    /// What the contracts of `contracts` running on `date` bring each month, per currency.
    public func runningMRR(_ contracts: [Contract], on date: Date) -> [Money] {
        Money.sums(running(contracts, on: date).compactMap(\.monthlyValue))
    }
}
