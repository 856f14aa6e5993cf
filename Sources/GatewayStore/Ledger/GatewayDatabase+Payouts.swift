public import Foundation
public import GatewayCore
import GRDB

/// A batch of payable lines an admin pays in one go.
public struct Payout: Sendable, Hashable, Encodable {
    public var id: Int64
    public var createdAt: Date
    public var paidAt: Date?
    public var note: String?
    public var lines: [Accrual]

    /// The net amount per partner and currency (clawbacks already deducted).
    public var totals: [PayoutTotal] {
        var sums: [String: PayoutTotal] = [:]
        for line in lines {
            let key = "\(line.line.partnerID):\(line.line.beneficiary.rawValue):\(line.line.amount.currency)"
            sums[key, default: PayoutTotal(partnerID: line.line.partnerID, beneficiary: line.line.beneficiary, amount: .zero(line.line.amount.currency))]
                .amount.minorUnits += line.line.amount.minorUnits
        }
        return sums.values.sorted { ($0.partnerID, $0.beneficiary.rawValue, $0.amount.currency.code) < ($1.partnerID, $1.beneficiary.rawValue, $1.amount.currency.code) }
    }

    enum CodingKeys: String, CodingKey {
        case id, note, lines, totals
        case createdAt = "created_at"
        case paidAt = "paid_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(paidAt, forKey: .paidAt)
        try container.encodeIfPresent(note, forKey: .note)
        try container.encode(lines.map { AccrualView($0, at: paidAt ?? createdAt) }, forKey: .lines)
        try container.encode(totals, forKey: .totals)
    }
}

/// One payee's net amount in one currency.
public struct PayoutTotal: Sendable, Hashable, Encodable {
    public var partnerID: PartnerID
    public var beneficiary: AccrualLine.Beneficiary
    public var amount: Money

    enum CodingKeys: String, CodingKey {
        case beneficiary, amount
        case partnerID = "partner_id"
    }
}

extension GatewayDatabase {
    /// Approves a line held for manual approval.
    public func approveAccrual(_ id: AccrualID, at now: Date) async throws -> Accrual {
        try await pool.write { db in
            guard let accrual = try Row.fetchOne(db, sql: "\(Self.accrualSelect) WHERE accrual.id = ?", arguments: [id.rawValue]).map(Accrual.init(row:))
            else { throw StoreError(.notFound, "accrual \(id) does not exist") }
            guard accrual.state == .open else { throw StoreError(.refused, "accrual \(id) is \(accrual.state.rawValue), not open") }
            try db.execute(sql: "UPDATE accrual SET approved_at = ? WHERE id = ?", arguments: [now, id.rawValue])
            try Self.audit("accrual.approved", subject: "accrual:\(id)", detail: ["amount": "\(accrual.line.amount)"], at: now, db)
            var approved = accrual
            approved.approvedAt = now
            return approved
        }
    }

    /// Puts every line payable on `now` (held lines past their hold, approved where needed, and
    /// open clawbacks) into a new batch. A payee whose lines net to zero or less in a currency is
    /// left out, so its clawback waits for the next batch with something to deduct it from.
    ///
    /// - Throws: `StoreError.refused` when nothing is payable.
    public func createPayout(note: String?, at now: Date) async throws -> Payout {
        try await pool.write { db in
            let open = try Row.fetchAll(db, sql: "\(Self.accrualSelect) WHERE accrual.state = 'open' AND accrual.payout_id IS NULL ORDER BY accrual.id")
                .map(Accrual.init(row:))
                .filter { $0.status(at: now) == .payable && $0.line.amount.minorUnits != 0 }
            let groups = Dictionary(grouping: open) { "\($0.line.partnerID):\($0.line.beneficiary.rawValue):\($0.line.amount.currency)" }
            let included = groups.values.filter { $0.reduce(Int64(0)) { $0 + $1.line.amount.minorUnits } > 0 }.flatMap { $0 }
            guard !included.isEmpty else { throw StoreError(.refused, "nothing is payable on \(now.formatted(.iso8601))") }
            try db.execute(sql: "INSERT INTO payout (created_at, note) VALUES (?, ?)", arguments: [now, note])
            let id = db.lastInsertedRowID
            for accrual in included {
                try db.execute(sql: "UPDATE accrual SET payout_id = ? WHERE id = ?", arguments: [id, accrual.id.rawValue])
            }
            try Self.audit("payout.created", subject: "payout:\(id)", detail: ["lines": "\(included.count)"], at: now, db)
            return try Self.payout(id, db)!
        }
    }

    /// Marks a batch paid: its lines are final and are never edited again.
    public func markPayoutPaid(_ id: Int64, at now: Date) async throws -> Payout {
        try await pool.write { db in
            guard let payout = try Self.payout(id, db) else { throw StoreError(.notFound, "payout \(id) does not exist") }
            guard payout.paidAt == nil else { throw StoreError(.refused, "payout \(id) was already marked paid") }
            try db.execute(sql: "UPDATE payout SET paid_at = ? WHERE id = ?", arguments: [now, id])
            try db.execute(sql: "UPDATE accrual SET state = 'paid', updated_at = ? WHERE payout_id = ?", arguments: [now, id])
            try Self.audit("payout.paid", subject: "payout:\(id)", detail: [:], at: now, db)
            return try Self.payout(id, db)!
        }
    }

    public func payouts() async throws -> [Payout] {
        try await pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM payout ORDER BY id").compactMap { try Self.payout($0, db) } }
    }

    static func payout(_ id: Int64, _ db: Database) throws -> Payout? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM payout WHERE id = ?", arguments: [id]) else { return nil }
        let lines = try Row.fetchAll(db, sql: "\(Self.accrualSelect) WHERE accrual.payout_id = ? ORDER BY accrual.id", arguments: [id])
            .map(Accrual.init(row:))
        return Payout(id: id, createdAt: row["created_at"], paidAt: row["paid_at"], note: row["note"], lines: lines)
    }

    // MARK: Give and get

    public func recordOutboundReferral(
        partner: PartnerID, clientName: String, on date: Date, monthlyValue: Money?, note: String?, at now: Date
    ) async throws -> OutboundReferral {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM partner WHERE id = ?)", arguments: [partner.rawValue]) == true else {
                throw StoreError(.notFound, "partner \(partner) does not exist")
            }
            try db.execute(
                sql: "INSERT INTO outbound_referral (partner_id, client_name, referred_at, monthly_value, note) VALUES (?, ?, ?, ?, ?)",
                arguments: [partner.rawValue, clientName, date, try monthlyValue.map(StoreCoding.text), note])
            let id = db.lastInsertedRowID
            try Self.audit("outbound.recorded", subject: "partner:\(partner)", detail: ["client": clientName], at: now, db)
            return OutboundReferral(id: id, partnerID: partner, clientName: clientName, referredAt: date, monthlyValue: monthlyValue, note: note)
        }
    }

    public func outboundReferrals() async throws -> [OutboundReferral] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbound_referral ORDER BY id").map { row in
                OutboundReferral(
                    id: row["id"], partnerID: PartnerID(row["partner_id"]), clientName: row["client_name"], referredAt: row["referred_at"],
                    monthlyValue: try (row["monthly_value"] as String?).map { try StoreCoding.value(Money.self, from: $0) }, note: row["note"])
            }
        }
    }

    /// What each partner sent the MSP against what the MSP sent them.
    public func giveGet(at now: Date, quietAfterDays: Int) async throws -> [GiveGetBalance] {
        let partners = try await partners()
        let referrals = try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM referral").map(Referral.init(row:)) }
        let contracts = try await contracts()
        let outbound = try await outboundReferrals()
        return partners.map { partner in
            GiveGetBalance(
                partner: partner, referrals: referrals.filter { $0.partnerID == partner.id },
                contracts: contracts.filter { $0.partnerID == partner.id }, outbound: outbound.filter { $0.partnerID == partner.id },
                now: now, quietAfterDays: quietAfterDays)
        }
    }
}
