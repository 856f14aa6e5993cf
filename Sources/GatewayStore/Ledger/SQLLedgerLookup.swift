import GRDB
import GatewayCore

/// The commission engine's questions, answered inside the processing transaction.
struct SQLLedgerLookup: LedgerLookup {
    let db: Database

    func referrals(matching keys: [ReferralMatchKey]) throws -> [ReferralMatch] {
        guard !keys.isEmpty else { return [] }
        let byStorageKey = Dictionary(keys.map { ($0.storageKey, $0) }, uniquingKeysWith: { first, _ in first })
        let placeholders = Array(repeating: "?", count: byStorageKey.count).joined(separator: ", ")
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT referral.*, referral_key.key AS matched_key FROM referral_key
                JOIN referral ON referral.id = referral_key.referral_id
                WHERE referral_key.key IN (\(placeholders))
                """,
            arguments: StatementArguments(Array(byStorageKey.keys)))
        return try rows.compactMap { row in
            guard let key = byStorageKey[row["matched_key"]] else { return nil }
            return ReferralMatch(referral: try Referral(row: row), key: key)
        }
    }

    func contract(for referral: ReferralID) throws -> Contract? {
        try Row.fetchOne(db, sql: "SELECT * FROM contract WHERE referral_id = ?", arguments: [referral.rawValue]).map(Contract.init(row:))
    }

    func planVersions(of plan: PlanID) throws -> [PlanVersion] {
        try Row.fetchAll(db, sql: "SELECT * FROM plan_version WHERE plan_id = ? ORDER BY version", arguments: [plan.rawValue])
            .map(PlanVersion.init(row:))
    }

    func accrualExists(key: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM accrual WHERE accrual_key = ?)", arguments: [key]) ?? false
    }
}
