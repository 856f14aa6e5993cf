import Foundation
import GatewayAdapters
import GatewayTestSupport

/// A Stripe account's history made from the repository's fixtures: each invoice and credit note
/// both as the webhook event Stripe would send and as the API object inside it, which is what the
/// Stripe API's lists serve. Client `n` is `cus_cNN`, billed at `ap@cNN.example`.
enum StripeHistory {
    static func customer(_ n: Int) -> String { "cus_c\(String(format: "%02d", n))" }
    static func domain(_ n: Int) -> String { "c\(String(format: "%02d", n)).example" }

    /// `invoice.paid` for client `n`: `cents` on one subscription line, paid at `paidAt`.
    static func invoicePaid(_ id: String, client n: Int, cents: Int, paidAt: Date) throws -> String {
        let paid = Int(paidAt.timeIntervalSince1970)
        return try fixture(
            "invoice.paid.json",
            [
                // Amounts before dates, so a new date holding the old amount's digits stays as it is.
                ("49900", String(cents)), ("evt_1RZq3LKx7aQ2mN0pV1eT9bYc", "evt_\(id)"), ("in_1RZq3HKx7aQ2mN0pXf4sLk2Q", id), ("cus_SUq8vD3kLm2NpQ", customer(n)),
                ("ap@brightdental.example", "ap@\(domain(n))"), ("Bright Dental PC", "Client \(n)"),
                ("sub_1QyT8bKx7aQ2mN0pR3cW5uVz", "sub_\(customer(n))"), ("1748736005", String(paid + 1)), ("1748736004", String(paid)),
                ("1748736000", String(paid - 4)), ("1748732400", String(paid - 3_604)), ("1746054000", String(paid - 3_604 - 2_592_000)),
                ("1751324400", String(paid - 3_604 + 2_592_000)),
            ])
    }

    /// `credit_note.created` for client `n`: `cents` credited to the customer's balance against `invoice`.
    static func creditNote(_ id: String, invoice: String, client n: Int, cents: Int, at date: Date) throws -> String {
        let at = Int(date.timeIntervalSince1970)
        return try fixture(
            "credit_note.created.json",
            [
                (#""amount_refunded": 10000"#, #""amount_refunded": 0"#), ("10000", String(cents)), ("evt_1RZz0bKx7aQ2mN0pCnCr0001", "evt_\(id)"), ("cn_1RZz0aKx7aQ2mN0pPq9Rs8Tu", id), ("in_1RZq3HKx7aQ2mN0pXf4sLk2Q", invoice),
                ("cus_SUq8vD3kLm2NpQ", customer(n)), ("1749340801", String(at + 1)), ("1749340800", String(at)),
            ])
    }

    /// The API object an event carries (`data.object`), as a list serves it.
    static func object(of event: String) throws -> JSONValue {
        guard let object = try JSONValue.parse(Data(event.utf8)).value(at: FieldPath("data.object")) else {
            throw CocoaError(.coderInvalidValue)
        }
        return object
    }

    private static func fixture(_ name: String, _ replacing: [(String, String)]) throws -> String {
        var text = String(decoding: try Fixtures.data("stripe/\(name)"), as: UTF8.self)
        for (old, new) in replacing { text = text.replacingOccurrences(of: old, with: new) }
        return text
    }
}
