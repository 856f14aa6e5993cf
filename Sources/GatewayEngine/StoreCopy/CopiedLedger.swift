public import Foundation
public import GatewayCore

/// The check that a copied store holds the same ledger: the source's accrual lines against the
/// target's after a rebuild there, line by line by key. Pure.
///
/// Every field is compared (ids, contract, partner, referral, amounts, currency, state, approval,
/// payout, dates); dates to the millisecond, the SQLite store's precision, so a PostgreSQL store's
/// microseconds copied into SQLite still compare equal.
public enum CopiedLedger {
    /// How the two ledgers differ, one sentence per line that differs, in key order; empty when
    /// they are the same. A sentence names the line's key and the fields, never an amount.
    public static func differences(source: [Accrual], target: [Accrual]) -> [String] {
        let expected = Dictionary(source.map { ($0.line.key, $0) }, uniquingKeysWith: { first, _ in first })
        let found = Dictionary(target.map { ($0.line.key, $0) }, uniquingKeysWith: { first, _ in first })
        var sentences: [String] = []
        if expected.count != source.count || found.count != target.count {
            sentences.append("a line key appears twice (source \(source.count) lines, \(expected.count) keys; target \(target.count) lines, \(found.count) keys)")
        }
        for key in Set(expected.keys).union(found.keys).sorted() {
            switch (expected[key], found[key]) {
            case (.some, nil): sentences.append("line \(key) is missing from the target")
            case (nil, .some): sentences.append("line \(key) is only in the target")
            case (let from?, let to?):
                let fields = differingFields(from, to)
                if !fields.isEmpty { sentences.append("line \(key) differs in \(fields.joined(separator: ", "))") }
            case (nil, nil): break
            }
        }
        return sentences
    }

    /// The names of the fields where `a` and `b` differ.
    static func differingFields(_ a: Accrual, _ b: Accrual) -> [String] {
        let fields: [(String, (Accrual) -> AnyHashable)] = [
            ("id", { $0.id }), ("contract", { $0.contractID }), ("partner", { $0.line.partnerID }), ("beneficiary", { $0.line.beneficiary }),
            ("referral", { $0.line.referralID }), ("delivery", { $0.line.sourceDelivery }), ("business key", { $0.line.businessKey }),
            ("rule", { $0.line.rule }), ("plan", { $0.line.planID }), ("plan version", { $0.line.planVersion }), ("basis", { $0.line.basis }),
            ("rate", { $0.line.rate }), ("amount", { $0.line.amount }), ("earned at", { milliseconds($0.line.earnedAt) }),
            ("hold until", { milliseconds($0.line.holdUntil) }), ("note", { $0.line.note }), ("needs approval", { $0.line.needsApproval }),
            ("adjusts", { $0.line.adjusts }), ("state", { $0.state }), ("approved at", { $0.approvedAt.map(milliseconds) }),
            ("payout", { $0.payoutID }),
        ]
        return fields.filter { $0.1(a) != $0.1(b) }.map(\.0)
    }

    /// Whole milliseconds since 1970, cut toward the past: whole microseconds first, which a
    /// `Date`'s floating point holds exactly, so the same instant read from either store agrees.
    static func milliseconds(_ date: Date) -> Int64 {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let remainder = microseconds % 1000
        return remainder < 0 ? microseconds / 1000 - 1 : microseconds / 1000
    }
}
