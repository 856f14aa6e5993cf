import GRDB
public import GatewayCore

extension GatewayDatabase {
    /// Writes what the commission engine decided for one event.
    static func write(_ effects: LedgerEffects, _ db: Database) throws {
        if let referral = effects.referral {
            for key in effects.learnedKeys {
                try learn(key, for: referral, db)
            }
        }
        let contractID: ContractID
        switch effects.contract {
        case nil:
            return
        case .existing(let contract):
            contractID = contract.id
        case .new(let draft):
            let referralID = draft.referral.id
            try db.execute(
                sql: """
                    INSERT INTO contract (referral_id, partner_id, plan_id, customer, started_at, created_by_delivery)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    draft.referral.id.rawValue, draft.referral.partnerID.rawValue, draft.referral.planID.rawValue,
                    try StoreCoding.text(draft.customer), draft.startedAt, draft.createdByDelivery.rawValue,
                ])
            contractID = ContractID(db.lastInsertedRowID)
            try db.execute(sql: "UPDATE referral SET status = ? WHERE id = ?", arguments: [Referral.Status.signed.rawValue, referralID.rawValue])
        }
        for line in effects.accruals {
            try db.execute(
                sql: """
                    INSERT INTO accrual (accrual_key, partner_id, contract_id, delivery_id, business_key, rule, plan_id,
                        plan_version, basis_minor, rate_bps, amount_minor, currency, earned_at, hold_until, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    line.key, line.partnerID.rawValue, contractID.rawValue, line.sourceDelivery.rawValue, line.businessKey,
                    line.rule, line.planID.rawValue, line.planVersion, line.basis.minorUnits, line.rate.value,
                    line.amount.minorUnits, line.amount.currency.code, line.earnedAt, line.holdUntil, line.state.rawValue,
                ])
        }
    }

    /// Makes a referral answer to `key` from now on; a vendor id is also recorded on the referral.
    private static func learn(_ key: ReferralMatchKey, for referral: ReferralID, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO referral_key (key, referral_id) VALUES (?, ?)", arguments: [key.storageKey, referral.rawValue])
        guard case .vendor(let source, let id) = key,
            let text = try String.fetchOne(db, sql: "SELECT vendor_ids FROM referral WHERE id = ?", arguments: [referral.rawValue])
        else { return }
        var vendorIDs = try StoreCoding.value([String: String].self, from: text)
        guard vendorIDs[source] == nil else { return }
        vendorIDs[source] = id
        try db.execute(
            sql: "UPDATE referral SET vendor_ids = ? WHERE id = ?", arguments: [try StoreCoding.text(vendorIDs), referral.rawValue])
    }

    /// A partner's accruals, oldest first.
    public func accruals(partner: PartnerID) async throws -> [Accrual] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM accrual WHERE partner_id = ? ORDER BY earned_at, id", arguments: [partner.rawValue])
                .map(Accrual.init(row:))
        }
    }

    /// Every accrual, oldest first.
    public func allAccruals() async throws -> [Accrual] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM accrual ORDER BY earned_at, id").map(Accrual.init(row:))
        }
    }

    /// Every contract, oldest first.
    public func contracts() async throws -> [Contract] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM contract ORDER BY id").map(Contract.init(row:)) }
    }
}

extension Contract {
    init(row: Row) throws {
        self.init(
            id: ContractID(row["id"]),
            referralID: ReferralID(row["referral_id"]),
            partnerID: PartnerID(row["partner_id"]),
            planID: PlanID(row["plan_id"]),
            customer: try StoreCoding.value(CustomerReference.self, from: row["customer"]),
            startedAt: row["started_at"],
            createdByDelivery: DeliveryID(row["created_by_delivery"]))
    }
}

extension Accrual {
    init(row: Row) throws {
        guard let currency = CurrencyCode(row["currency"]), let state = Accrual.State(rawValue: row["state"]) else {
            throw DatabaseError(message: "accrual \(row["id"] as Int64? ?? 0) has an unreadable currency or state")
        }
        self.init(
            id: AccrualID(row["id"]),
            contractID: ContractID(row["contract_id"]),
            line: AccrualLine(
                key: row["accrual_key"],
                partnerID: PartnerID(row["partner_id"]),
                sourceDelivery: DeliveryID(row["delivery_id"]),
                businessKey: row["business_key"],
                rule: row["rule"],
                planID: PlanID(row["plan_id"]),
                planVersion: row["plan_version"],
                basis: Money(minorUnits: row["basis_minor"], currency: currency),
                rate: BasisPoints(row["rate_bps"]),
                amount: Money(minorUnits: row["amount_minor"], currency: currency),
                earnedAt: row["earned_at"],
                holdUntil: row["hold_until"],
                state: state))
    }
}
