import Foundation

/// Where the repository's adapter definitions and fixtures are, found from this file's place in
/// `Benchmarks/Sources/BenchmarkInputs/`, so the suites read the files the gateway ships.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let adapters = root.appendingPathComponent("adapters")
    public static let fixtures = root.appendingPathComponent("fixtures")

    /// The bytes of `fixtures/<source>/<name>`; stops the suite when the file is missing.
    public static func fixture(_ source: String, _ name: String) -> Data {
        let url = fixtures.appendingPathComponent(source).appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url) else { fatalError("cannot read \(url.path)") }
        return data
    }

    /// The text of `adapters/<source>.yaml`.
    public static func definition(_ source: String) -> String {
        let url = adapters.appendingPathComponent("\(source).yaml")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { fatalError("cannot read \(url.path)") }
        return text
    }
}

/// Stripe payloads shaped like the ones the end-to-end benchmark sends.
public enum StripeInvoice {
    /// A basil-shape `invoice.paid` event, compact as Stripe sends it (about 1.5 KB), as
    /// `scripts/bench/signed_requests.py` writes them for the end-to-end benchmark.
    public static func paid(eventID: String = "evt_1RZq3LKx7aQ2mN0pV1eT9bYc", invoice: String = "in_1RZq3HKx7aQ2mN0pXf4sLk2Q", customer: Int = 7)
        -> Data
    {
        let email = customer % 10 == 0 ? "ap@brightdental.example" : "billing@client\(customer).example"
        return Data(
            """
            {"id":"\(eventID)","object":"event","api_version":"2025-03-31.basil","created":1748736005,"livemode":false,"pending_webhooks":1,\
            "request":{"id":null,"idempotency_key":null},"type":"invoice.paid","data":{"object":{"id":"\(invoice)","object":"invoice",\
            "number":"A1B2C3D4-0007","status":"paid","billing_reason":"subscription_cycle","collection_method":"charge_automatically",\
            "customer":"cus_bench\(customer)","customer_email":"\(email)","customer_name":"Client \(customer)","currency":"usd",\
            "amount_due":49900,"amount_paid":49900,"amount_remaining":0,"amount_overpaid":0,"subtotal":49900,"total":49900,\
            "created":1748732400,"period_start":1746054000,"period_end":1748732400,"status_transitions":{"finalized_at":1748736000,\
            "paid_at":1748736004,"voided_at":null,"marked_uncollectible_at":null},"metadata":{},"parent":{"type":"subscription_details",\
            "quote_details":null,"subscription_details":{"subscription":"sub_bench\(customer)","metadata":{},"subscription_proration_date":null}},\
            "lines":{"object":"list","has_more":false,"total_count":1,"url":"/v1/invoices/\(invoice)/lines","data":[{"id":"il_\(invoice)",\
            "object":"line_item","invoice":"\(invoice)","amount":49900,"currency":"usd","description":"1 × Managed IT – Gold (at $499.00 / month)",\
            "quantity":1,"period":{"start":1748732400,"end":1751324400},"metadata":{},"parent":{"type":"subscription_item_details",\
            "invoice_item_details":null,"subscription_item_details":{"subscription":"sub_bench\(customer)","subscription_item":"si_bench",\
            "invoice_item":null,"proration":false,"proration_details":{"credited_items":null}}},"pricing":{"type":"price_details",\
            "price_details":{"price":"price_bench","product":"prod_bench"},"unit_amount_decimal":"49900"}}]}}}}
            """.utf8)
    }

    /// When `paid()` was signed (its `created`), and a gateway clock a few seconds later.
    public static let signedAt = Date(timeIntervalSince1970: 1_748_736_005)
    public static let receivedAt = Date(timeIntervalSince1970: 1_748_736_007)
}
