public import Foundation
public import GatewayCore

/// The ledger's derived data: contracts, accrual lines, conflicts, and the payouts that pay lines.
public protocol LedgerRepository: Sendable {
    /// Recomputes the whole ledger from the program and every stored event.
    func recompute(rules: any LedgerRules, at now: Date) async throws
    /// The engine version the derived data (event lookup keys, the ledger) was last computed by.
    func derivedDataVersion() async throws -> Int?
    /// Computes the event lookup keys and the ledger again from the stored events and records
    /// `version`, in one transaction, unless the store's derived data is already of `version` or a
    /// later one (another process did it first, or a newer engine did).
    /// - Returns: whether it computed anything.
    @discardableResult
    func rebuildDerivedData(version: Int, rules: any LedgerRules, at now: Date) async throws -> Bool

    func accrual(_ id: AccrualID) async throws -> Accrual?
    /// A partner's accruals, oldest first.
    func accruals(partner: PartnerID) async throws -> [Accrual]
    /// Every accrual, oldest first.
    func allAccruals() async throws -> [Accrual]
    /// The accruals a delivery's events produced.
    func accruals(fromDelivery delivery: DeliveryID) async throws -> [Accrual]
    func accrualCount() async throws -> Int
    /// Every contract, oldest first.
    func contracts() async throws -> [Contract]
    /// Claims that lost to another or were blocked, as of the last recomputation.
    func conflicts() async throws -> [AttributionConflict]

    /// Records an approval of an open line.
    /// - Throws: `GatewayError.refused` when the line is no longer open.
    func markApproved(_ id: AccrualID, at now: Date) async throws -> Accrual
    /// Puts into a new batch the lines `select` chooses among the open lines in no batch, read
    /// and written in one transaction (so no recomputation slips in between).
    /// - Returns: the batch, or `nil` when `select` chose nothing (no batch is made).
    func addPayout(note: String?, at now: Date, select: @Sendable ([Accrual]) -> [Accrual]) async throws -> Payout?
    /// Marks a batch paid; its lines are final.
    func markPayoutPaid(_ id: Int64, at now: Date) async throws -> Payout
    func payouts() async throws -> [Payout]
    func payout(_ id: Int64) async throws -> Payout?
}
