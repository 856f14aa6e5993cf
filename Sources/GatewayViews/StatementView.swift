import Foundation
public import GatewayCore

/// A partner statement as the HTML templates read it: every value already written for people.
public struct StatementView {
    struct LineRow {
        var id: Int64
        var earned: String
        var client: String
        var rule: String
        var plan: String
        var basis: String
        var rate: String
        var amount: String
        var status: String
        var delivery: String
        var businessKey: String
        var note: String
    }

    struct TotalsRow {
        var currency: String
        var earned: String
        var pending: String
        var awaiting: String
        var payable: String
        var inPayout: String
        var paid: String
        var voided: String

        init(_ totals: StatusTotals) {
            currency = totals.currency.code
            earned = totals.earned.decimalString
            pending = totals.amount(.pending).decimalString
            awaiting = totals.amount(.awaitingApproval).decimalString
            payable = totals.amount(.payable).decimalString
            inPayout = totals.amount(.inPayout).decimalString
            paid = totals.amount(.paid).decimalString
            voided = totals.amount(.voided).decimalString
        }
    }

    var partner: String
    var kind: String
    var periodText: String
    /// The period as `<input type="date">` values; `to` is the last day included.
    var from: String
    var to: String
    var generated: String
    var lines: [LineRow]
    var periodTotals: [TotalsRow]
    var balance: [TotalsRow]

    public init(_ statement: PartnerStatement) {
        partner = statement.partner.name
        kind = Display.kind(statement.partner.kind)
        from = Display.day(statement.period.start)
        to = Display.day(statement.period.end.addingTimeInterval(-1))
        periodText = "\(from) to \(to)"
        generated = statement.generatedAt.formatted(.iso8601)
        lines = statement.lines.map { line in
            let accrual = line.accrual.line
            return LineRow(
                id: line.accrual.id.rawValue, earned: Display.day(accrual.earnedAt), client: line.client, rule: Display.words(accrual.rule),
                plan: "\(accrual.planID.rawValue) v\(accrual.planVersion)", basis: accrual.basis?.description ?? "",
                rate: accrual.rate?.description ?? "", amount: accrual.amount.description, status: Display.words(line.status.rawValue),
                delivery: accrual.sourceDelivery.map { "\($0.rawValue)" } ?? "—", businessKey: accrual.businessKey, note: accrual.note)
        }
        periodTotals = statement.periodTotals.map(TotalsRow.init)
        balance = statement.balance.map(TotalsRow.init)
    }

    /// The printable page.
    public var html: String { ConsoleTemplates.render("statement", self) }
}

extension PartnerStatement {
    /// The statement as a printable HTML page.
    public var html: String { StatementView(self).html }
}
