import Foundation
import GatewayAdapters
import GatewayCore
import GatewayHTTP
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct OperationsTests {
    func post(_ client: some TestClientProtocol, _ body: Data, headers: HTTPFields? = nil) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: "/webhooks/stripe", method: .post, headers: headers ?? TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
        ) { $0.status }
    }

    @Test func hostileBodiesWithValidSignaturesAreStoredAndFailedWithoutHarm() async throws {
        let gateway = try TestGateway()
        let valid = try TestGateway.fixture("stripe/invoice.paid.json")
        let bodies: [String: Data] = [
            "deeply nested": Data((String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8),
            "deeply nested object": Data((String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)).utf8),
            "truncated": valid.prefix(valid.count / 2),
            "not JSON": Data("<xml>hello</xml>".utf8),
            "not UTF-8": Data([0xc3, 0x28, 0xa0, 0xa1, 0xff]),
            "empty": Data(),
        ]
        try await gateway.application.test(.live) { client in
            for (name, body) in bodies {
                #expect(try await post(client, body) == .ok, "\(name)")
            }
            try await gateway.processor.drain()
            #expect(try await post(client, valid) == .ok, "the server is still up and still takes good deliveries")
        }
        try await gateway.processor.drain()
        let failed = try await gateway.store.inbox.deliveries(status: .failed)
        #expect(failed.count == bodies.count)
        #expect(Set(failed.map(\.body)) == Set(bodies.values))
        #expect(try await gateway.store.inbox.deliveries(status: .processed).count == 1)
    }

    @Test func refusedRequestsAreKeptAsMetadataWithoutTheBody() async throws {
        let gateway = try TestGateway(maxBodyBytes: 2048)
        let body = try TestGateway.fixture("stripe/customer.created.json")
        try await gateway.application.test(.live) { client in
            #expect(try await post(client, body, headers: TestGateway.stripeHeaders(body, secret: Secret("whsec_wrong"))) == .unauthorized)
            #expect(try await post(client, Data(repeating: 0x41, count: 4096)) == .contentTooLarge)
            try await client.execute(uri: "/webhooks/paypal", method: .post, body: ByteBuffer(string: "{}")) { _ in }

            struct Row: Decodable {
                var source: String
                var code: String
                var status: Int
                var size: Int?
                var remote_address: String?
            }
            let rows = try await client.execute(uri: "/admin/rejections", method: .get, headers: TestGateway.adminHeaders) { response in
                let text = String(buffer: response.body)
                #expect(!text.contains("cus_SUq8vD3kLm2NpQ"), "no body in rejection records")
                #expect(!text.contains("whsec_wrong"))
                return try [Row].from(response.body)
            }
            #expect(Set(rows.map(\.code)) == ["no_signature_matched", "body_too_large", "unknown_source"])
            let signature = try #require(rows.first { $0.code == "no_signature_matched" })
            #expect(signature.source == "stripe")
            #expect(signature.status == 401)
            #expect(signature.size == body.count)
            #expect(signature.remote_address == "127.0.0.1")
        }
    }

    @Test func deliveriesAreSearchedBySourceStatusTypeIDCustomerAndTimeAndPaged() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            for name in ["invoice.paid", "invoice.payment_succeeded", "customer.created", "invoice.paid.pre-basil"] {
                #expect(try await post(client, try TestGateway.fixture("stripe/\(name).json")) == .ok)
            }
            try await gateway.processor.drain()

            struct Row: Decodable {
                var id: Int64
                var event_type: String?
                var status: String
            }
            func search(_ query: String) async throws -> [Row] {
                try await client.execute(uri: "/admin/deliveries?\(query)", method: .get, headers: TestGateway.adminHeaders) { response in
                    #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                    return try [Row].from(response.body)
                }
            }
            #expect(try await search("event_type=invoice.paid").count == 2)
            #expect(try await search("status=ignored").map(\.event_type) == ["customer.created"])
            #expect(try await search("vendor_id=evt_1RZq3MKx7aQ2mN0pPs8uW2cD").map(\.event_type) == ["invoice.payment_succeeded"])
            #expect(try await search("customer=stripe:cus_QhOldCust00001").count == 1)
            #expect(try await search("source=stripe&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z").count == 4)
            #expect(try await search("to=2000-01-01T00:00:00Z").isEmpty)
            let page = try await search("limit=3")
            #expect(page.count == 3)
            let rest = try await search("limit=3&before=\(page.last!.id)")
            #expect(rest.count == 1)
            try await client.execute(uri: "/admin/deliveries?status=bogus", method: .get, headers: TestGateway.adminHeaders) {
                #expect($0.status == .badRequest)
            }
        }
    }

    @Test func readyzChecksTheStoreCanBeWritten() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ready"}"#)
            }
        }
    }

    @Test func everyAdminRouteRefusesAMissingOrWrongToken() async throws {
        let gateway = try TestGateway()
        let routes: [(HTTPRequest.Method, String)] = [
            (.get, "/admin/partners"), (.post, "/admin/partners"), (.get, "/admin/partners/1/accruals"), (.get, "/admin/plans"),
            (.post, "/admin/plans"), (.post, "/admin/plans/1/versions"), (.get, "/admin/referrals"), (.post, "/admin/referrals"),
            (.post, "/admin/referrals/1/qualify"), (.post, "/admin/referrals/1/lose"), (.post, "/admin/referrals/1/override"),
            (.get, "/admin/contracts"), (.get, "/admin/conflicts"), (.get, "/admin/accruals"), (.post, "/admin/accruals/1/approve"),
            (.get, "/admin/payouts"), (.post, "/admin/payouts"), (.post, "/admin/payouts/1/paid"), (.get, "/admin/outbound-referrals"),
            (.post, "/admin/outbound-referrals"), (.get, "/admin/give-get"), (.get, "/admin/settings"), (.put, "/admin/settings"),
            (.get, "/admin/audit"), (.post, "/admin/ledger/rebuild"), (.get, "/admin/deliveries"), (.get, "/admin/deliveries/1"),
            (.post, "/admin/deliveries/1/replay"), (.get, "/admin/rejections"), (.post, "/admin/replays"), (.get, "/admin/replays"),
            (.get, "/admin/replays/1"), (.delete, "/admin/replays/1"),
        ]
        try await gateway.application.test(.live) { client in
            for (method, uri) in routes {
                for headers: HTTPFields in [[:], [.authorization: "Bearer wrong-token"], [.authorization: "Basic \(TestGateway.adminToken.value)"]] {
                    try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: "{}")) { response in
                        #expect(response.status == .unauthorized, "\(method) \(uri) with \(headers)")
                    }
                }
            }
        }
        #expect(try await gateway.program.partners().isEmpty)
        #expect(try await gateway.program.auditLog().isEmpty)
    }
}

@Suite struct SourceLimitTests {
    @Test func aSourceOverItsRateIsToldToRetryLaterWhileOthersAreServed() async throws {
        let gateway = try TestGateway(
            secrets: ["autotask": [Secret("at-secret")]], policies: ["stripe": SourcePolicy(requestsPerSecond: 0.001, burst: 3)])
        let body = try TestGateway.fixture("stripe/customer.created.json")
        try await gateway.application.test(.live) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<5 {
                try await client.execute(uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)) {
                    statuses.append($0.status)
                    if $0.status == .tooManyRequests {
                        // One token comes back every 1,000 s at this rate.
                        #expect($0.headers[.retryAfter] == "1000")
                        #expect(String(buffer: $0.body).contains("rate_limited"))
                    }
                }
            }
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests, .tooManyRequests])
            let autotask = try TestGateway.fixture("autotask/company.create.json")
            let signed = HMACBodySignatureScheme(header: "X-Hook-Signature", algorithm: .sha1, prefix: "sha1=").sign(body: autotask, secret: Secret("at-secret"), at: Date())
            try await client.execute(
                uri: "/webhooks/autotask", method: .post, headers: [HTTPField.Name(signed[0].name)!: signed[0].value], body: ByteBuffer(bytes: autotask)
            ) {
                #expect($0.status == .ok, "another source has its own budget")
            }
        }
    }

    @Test func anAllowListRefusesOtherAddressesAndPerSourceBodyLimitsApply() async throws {
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        let elsewhere = try TestGateway(policies: ["stripe": SourcePolicy(allowedNetworks: [IPNetwork("203.0.113.0/24")!])])
        try await elsewhere.application.test(.live) { client in
            try await client.execute(uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)) {
                #expect($0.status == .forbidden)
                #expect(String(buffer: $0.body).contains("address_not_allowed"))
            }
        }
        let loopback = try TestGateway(policies: ["stripe": SourcePolicy(maxBodyBytes: 1_000, allowedNetworks: [IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!])])
        try await loopback.application.test(.live) { client in
            try await client.execute(uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)) {
                #expect($0.status == .contentTooLarge, "allowed address, but the body is over stripe's 1000-byte limit")
            }
        }
        #expect(IPNetwork("10.0.0.0/8")!.contains("10.255.1.2"))
        #expect(!IPNetwork("10.0.0.0/8")!.contains("11.0.0.1"))
        #expect(IPNetwork("2001:db8::/32")!.contains("2001:db8:1::5"))
        #expect(!IPNetwork("2001:db8::/32")!.contains("10.0.0.1"))
        #expect(IPNetwork("300.1.1.1") == nil)
    }
}

@Suite struct MetricsTests {
    @Test func metricsCountWhatHappenedInPrometheusTextWithoutSecretsOrPayloads() async throws {
        let gateway = try TestGateway()
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        try await gateway.application.test(.live) { client in
            for headers in [TestGateway.stripeHeaders(body), TestGateway.stripeHeaders(body), TestGateway.stripeHeaders(body, secret: Secret("whsec_nope"))] {
                try await client.execute(uri: "/webhooks/stripe", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { _ in }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = String(buffer: response.body)
                #expect(text.contains(#"gateway_deliveries_received_total{source="stripe"} 3"#))
                #expect(text.contains(#"gateway_deliveries_stored_total{source="stripe"} 1"#))
                #expect(text.contains(#"gateway_deliveries_duplicate_total{source="stripe"} 1"#))
                #expect(text.contains(#"gateway_deliveries_rejected_total{source="stripe",reason="no_signature_matched"} 1"#))
                #expect(text.contains("gateway_ingest_duration_seconds_bucket"))
                #expect(text.contains("gateway_queue_depth"))
                #expect(text.contains("gateway_oldest_unprocessed_age_seconds"))
                #expect(!text.contains("whsec_"))
                #expect(!text.contains("brightdental"))
            }
        }
    }
}
