/// Turns a fresh projection into changes to the stored ledger without ever editing a paid line:
/// open lines are updated or voided in place, and a paid line whose projected amount changed gets
/// an adjustment line (negative: a clawback the next payout deducts; positive: a top-up).
public enum AccrualReconciler {
    public enum Change: Hashable, Sendable {
        case create(AccrualLine)
        /// New terms for an open (or voided) line; it is open again if the amount is positive.
        case update(AccrualID, AccrualLine)
        case void(AccrualID, reason: String)
    }

    public static func changes(projected: [AccrualLine], existing: [Accrual]) -> [Change] {
        var changes: [Change] = []
        let base = Dictionary(existing.filter { $0.line.adjusts == nil }.map { ($0.line.key, $0) }, uniquingKeysWith: { first, _ in first })
        let adjustments = Dictionary(grouping: existing.filter { $0.line.adjusts != nil }, by: { $0.line.adjusts! })
        let projectedKeys = Set(projected.map(\.key))

        for line in projected {
            guard let stored = base[line.key] else {
                if line.amount.minorUnits != 0 { changes.append(.create(line)) }
                continue
            }
            switch stored.state {
            case .open, .voided:
                if line.amount.minorUnits == 0 {
                    if stored.state == .open { changes.append(.void(stored.id, reason: line.note.isEmpty ? "no longer earned" : line.note)) }
                } else if stored.line != line || stored.state == .voided {
                    changes.append(.update(stored.id, line))
                }
            case .paid:
                changes += adjust(paid: stored, to: line, adjustments: adjustments[line.key] ?? [])
            }
        }
        for stored in base.values.sorted(by: { $0.id < $1.id }) where !projectedKeys.contains(stored.line.key) {
            switch stored.state {
            case .open:
                changes.append(.void(stored.id, reason: "no longer earned: the events or the program changed"))
            case .paid:
                var gone = stored.line
                gone.amount = Money.zero(gone.amount.currency)
                gone.note = "no longer earned after it was paid"
                changes += adjust(paid: stored, to: gone, adjustments: adjustments[stored.line.key] ?? [])
            case .voided:
                continue
            }
        }
        return changes
    }

    /// Brings what was paid (the line plus paid adjustments) to `line.amount` with one open
    /// adjustment line, created, updated or voided as needed.
    private static func adjust(paid: Accrual, to line: AccrualLine, adjustments: [Accrual]) -> [Change] {
        let settled = paid.line.amount.minorUnits + adjustments.filter { $0.state == .paid }.reduce(0) { $0 + $1.line.amount.minorUnits }
        let delta = line.amount.minorUnits - settled
        let open = adjustments.first { $0.state == .open }
        guard delta != 0 else {
            return open.map { [.void($0.id, reason: "the paid amount is right again")] } ?? []
        }
        var adjustment = line
        adjustment.key = open?.line.key ?? "\(line.key)|adjustment:\(adjustments.count + 1)"
        adjustment.adjusts = line.key
        adjustment.amount = Money(minorUnits: delta, currency: line.amount.currency)
        adjustment.basis = nil
        adjustment.rate = nil
        adjustment.holdUntil = line.earnedAt
        adjustment.needsApproval = false
        adjustment.note = (delta < 0 ? "clawback of a paid line, deducted from the next payout" : "top-up of a paid line")
            + (line.note.isEmpty ? "" : ": \(line.note)")
        if let open {
            return open.line == adjustment ? [] : [.update(open.id, adjustment)]
        }
        return [.create(adjustment)]
    }
}
