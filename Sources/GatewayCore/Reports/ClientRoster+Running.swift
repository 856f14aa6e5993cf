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
        // The client's agreements decide, not the contract's first one: a renewal that cancels
        // the old agreement and opens a new one keeps the contract running.
        guard let client = client(of: contract) else {
            // A contract whose client the stored events no longer describe (pruned or replayed
            // away) counts by its own dates.
            return contract.endedAt.map { $0 > date } ?? true
        }
        return client.isActive(on: date)
    }

    /// What `contract` brings a month on `date`: its client's open agreements as they stand that
    /// day (so an expansion counts from its date), or, without agreements, its value at signing.
    public func monthlyValue(of contract: Contract, on date: Date) -> Money? {
        guard let client = client(of: contract), !client.agreements.isEmpty else { return contract.monthlyValue }
        // Agreements without an amount (a PSA that keeps prices elsewhere) leave the signing value.
        return client.monthlyValue(on: date) ?? contract.monthlyValue
    }

    /// The contracts of `contracts` running on `date`.
    public func running(_ contracts: [Contract], on date: Date) -> [Contract] {
        contracts.filter { isRunning($0, on: date) }
    }

    /// What the contracts of `contracts` running on `date` bring each month, per currency.
    public func runningMRR(_ contracts: [Contract], on date: Date) -> [Money] {
        mrr(of: running(contracts, on: date), on: date)
    }

    /// What `running` (contracts already known to run on `date`) bring each month, per currency.
    public func mrr(of running: [Contract], on date: Date) -> [Money] {
        Money.sums(running.compactMap { monthlyValue(of: $0, on: date) })
    }

    private func client(of contract: Contract) -> ClientRecord? {
        client(matching: ReferralMatchKey.vendor(source: contract.customer.source, id: contract.customer.id).storageKey)
    }
}
