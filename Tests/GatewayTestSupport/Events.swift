public import Foundation
public import GatewayCore

/// Business events as adapters produce them, in dollars and ISO dates, for stories and streams.
public enum Events {
    public static let usd = CurrencyCode("USD")!

    /// A day (`2025-05-20`) or an ISO 8601 timestamp.
    public static func date(_ text: String) -> Date {
        (try? Date(text, strategy: .iso8601)) ?? (try! Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()))
    }

    public static func usd(_ dollars: Decimal) -> Money { Money(decimal: dollars, currency: usd)! }

    /// A customer's payment; `oneTime` splits it into a recurring and a one-time line.
    public static func paid(
        _ invoice: String, customer: String = "cus_bd", email: String? = "ap@brightdental.example", dollars: Decimal, on date: String,
        oneTime: Decimal? = nil, source: String = "stripe"
    ) -> BusinessEvent {
        var lines: [InvoicePaid.Line] = []
        if let oneTime {
            lines = [InvoicePaid.Line(amount: usd(dollars - oneTime), recurring: true), InvoicePaid.Line(amount: usd(oneTime), recurring: false)]
        }
        return .invoicePaid(
            InvoicePaid(
                invoiceID: invoice, customer: CustomerReference(source: source, id: customer, email: email), amountPaid: usd(dollars),
                paidAt: self.date(date), lines: lines))
    }

    public static func agreement(_ id: String, customer: String = "250", name: String? = nil, monthly: Decimal, on date: String) -> BusinessEvent {
        .agreementCreated(
            AgreementCreated(
                agreementID: id, customer: CustomerReference(source: "connectwise", id: customer, name: name), recurringAmount: usd(monthly),
                startDate: self.date(date)))
    }

    /// A cancellation that names only its agreement, as ConnectWise's deletion callback does.
    public static func cancelled(_ id: String, on date: String) -> BusinessEvent {
        .agreementCancelled(AgreementCancelled(source: "connectwise", agreementID: id, endDate: self.date(date)))
    }

    public static func credit(_ id: String, invoice: String, customer: String = "cus_bd", dollars: Decimal, on date: String) -> BusinessEvent {
        .creditIssued(
            CreditIssued(
                creditID: id, invoiceID: invoice, customer: CustomerReference(source: "stripe", id: customer), amount: usd(dollars),
                issuedAt: self.date(date)))
    }

    public static func void(_ invoice: String, customer: String = "cus_bd", on date: String) -> BusinessEvent {
        .invoiceVoided(InvoiceVoided(invoiceID: invoice, customer: CustomerReference(source: "stripe", id: customer), voidedAt: self.date(date)))
    }
}
