/// What a replay changed, or would change, in the ledger: lines created, lines whose amount or
/// state changed, and lines reversed (voided, or clawed back by a negative adjustment).
public struct LedgerDiff: Sendable, Hashable, Encodable {
    public struct Change: Sendable, Hashable, Codable {
        public var key: String
        public var partnerID: PartnerID
        public var before: Money
        public var after: Money
        public var stateBefore: String
        public var stateAfter: String

        enum CodingKeys: String, CodingKey {
            case key, before, after
            case partnerID = "partner_id"
            case stateBefore = "state_before"
            case stateAfter = "state_after"
        }
    }

    public var created: [AccrualLine]
    public var changed: [Change]
    public var reversed: [Change]

    public init(created: [AccrualLine] = [], changed: [Change] = [], reversed: [Change] = []) {
        self.created = created
        self.changed = changed
        self.reversed = reversed
    }

    public init(before: [Accrual], after: [Accrual]) {
        let old = Dictionary(before.map { ($0.line.key, $0) }, uniquingKeysWith: { first, _ in first })
        var created: [AccrualLine] = []
        var changed: [Change] = []
        var reversed: [Change] = []
        for accrual in after.sorted(by: { $0.line.key < $1.line.key }) {
            guard let previous = old[accrual.line.key] else {
                if accrual.line.amount.minorUnits < 0 {
                    reversed.append(
                        Change(
                            key: accrual.line.key, partnerID: accrual.partnerID, before: .zero(accrual.line.amount.currency), after: accrual.line.amount,
                            stateBefore: "none", stateAfter: accrual.state.rawValue))
                } else {
                    created.append(accrual.line)
                }
                continue
            }
            guard previous.line.amount != accrual.line.amount || previous.state != accrual.state else { continue }
            let change = Change(
                key: accrual.line.key, partnerID: accrual.partnerID, before: previous.line.amount, after: accrual.line.amount,
                stateBefore: previous.state.rawValue, stateAfter: accrual.state.rawValue)
            if accrual.state == .voided, previous.state != .voided {
                reversed.append(change)
            } else {
                changed.append(change)
            }
        }
        self.init(created: created, changed: changed, reversed: reversed)
    }

    public var isEmpty: Bool { created.isEmpty && changed.isEmpty && reversed.isEmpty }

    /// Two diffs one after the other.
    public func merged(with other: LedgerDiff) -> LedgerDiff {
        LedgerDiff(created: created + other.created, changed: changed + other.changed, reversed: reversed + other.reversed)
    }
}
