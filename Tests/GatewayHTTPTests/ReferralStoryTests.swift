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

/// The spine end to end, through the admin API and signed webhooks on a live server.
@Suite struct ReferralStoryTests {
    struct Created: Decodable { var id: Int64 }

    struct AccrualRow: Decodable {
        var partner_id: Int64
        var contract_id: Int64
        var source_delivery: Int64
        var basis: Money
        var rate: Int64
        var amount: Money
        var plan_id: Int64
        var plan_version: Int
        var hold_until: Date
        var earned_at: Date
        var status: String
        var rule: String
    }

    func post(_ client: some TestClientProtocol, _ uri: String, _ json: String) async throws -> Int64 {
        try await client.execute(uri: uri, method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(string: json)) { response in
            #expect(response.status == .created, "\(uri): \(String(buffer: response.body))")
            return try Created.from(response.body).id
        }
    }

    func deliver(_ client: some TestClientProtocol, _ fixture: String) async throws -> Int64 {
        let body = try TestGateway.fixture(fixture)
        return try await client.execute(
            uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
        ) { response in
            #expect(response.status == .ok)
            return try Receipt.from(response.body).delivery_id
        }
    }

    @Test func acmeAccountingEarnsTenPercentOfBrightDentalsPaymentOnce() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let acme = try await post(client, "/admin/partners", #"{"name":"Acme Accounting","kind":"center_of_influence"}"#)
            let plan = try await post(
                client, "/admin/plans",
                #"{"name":"COI 10% of collected, 12 months","rules":[{"type":"recurring_share","rate_bps":1000,"months":12}],"hold_days":30}"#)
            _ = try await post(
                client, "/admin/referrals",
                #"{"partner_id":\#(acme),"plan_id":\#(plan),"prospect_name":"Bright Dental","domains":["brightdental.example"],"introduced_at":"2025-05-20T00:00:00Z"}"#
            )

            let paid = try await deliver(client, "stripe/invoice.paid.json")
            let succeeded = try await deliver(client, "stripe/invoice.payment_succeeded.json")
            #expect(paid != succeeded)
            try await gateway.processor.drain()

            let accruals = try await client.execute(
                uri: "/admin/partners/\(acme)/accruals", method: .get, headers: TestGateway.adminHeaders
            ) { response in
                #expect(response.status == .ok)
                return try [AccrualRow].from(response.body)
            }
            #expect(accruals.count == 1)
            let accrual = try #require(accruals.first)
            let usd = CurrencyCode("USD")!
            #expect(accrual.partner_id == acme)
            #expect(accrual.source_delivery == paid)
            #expect(accrual.basis == Money(minorUnits: 49_900, currency: usd))
            #expect(accrual.rate == 1000)
            #expect(accrual.amount == Money(minorUnits: 4_990, currency: usd))
            #expect(accrual.plan_id == plan)
            #expect(accrual.plan_version == 1)
            // Paid in June 2025 and read today: the 30-day hold is over.
            #expect(accrual.status == "payable")
            #expect(accrual.rule == "recurring_share")
            // Paid 2025-06-01T00:00:04Z, held 30 days.
            #expect(accrual.earned_at == Date(timeIntervalSince1970: 1_748_736_004))
            #expect(accrual.hold_until == Date(timeIntervalSince1970: 1_748_736_004 + 30 * 86_400))
        }
        let contracts = try await gateway.store.ledger.contracts()
        #expect(contracts.count == 1)
        #expect(contracts.first?.customer.id == "cus_SUq8vD3kLm2NpQ")
        #expect(try await gateway.store.inbox.deliveries(status: .processed).count == 2)
    }

    @Test func aReferralCodeInTheExpandedCustomerOfAPreBasilInvoiceAttributesIt() async throws {
        let gateway = try TestGateway()
        let partner = try await gateway.program.addPartner(PartnerInput(name: "Harbor vCIO", kind: "vcio"), at: Date())
        let plan = try await gateway.program.addPlan(
            PlanInput(name: "vCIO 5%", terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(500), months: nil)])), at: Date())
        _ = try await gateway.program.addReferral(
            ReferralInput(
                partnerID: partner.id.rawValue, planID: plan.id.rawValue, prospectName: "Harbor Law Group", referralCode: "acme-harbor",
                introducedAt: "2024-06-21T20:00:00Z"), at: Date())
        try await gateway.application.test(.live) { client in
            _ = try await deliver(client, "stripe/invoice.paid.pre-basil.json")
        }
        try await gateway.processor.drain()
        let accruals = try await gateway.store.ledger.accruals(partner: partner.id)
        // 5 % of the $999.00 subscription line; the $300.00 setup fee is a one-time line and left out.
        #expect(accruals.map(\.line.amount.minorUnits) == [4_995])
    }

    @Test func aCustomerMatchingNoReferralIsProcessedWithoutAccrual() async throws {
        let gateway = try TestGateway()
        let id = try await gateway.application.test(.live) { client in try await deliver(client, "stripe/invoice.paid.json") }
        try await gateway.processor.drain()
        let delivery = try #require(try await gateway.store.inbox.delivery(DeliveryID(id)))
        #expect(delivery.status == .processed)
        #expect(delivery.statusReason?.contains("no referral matches customer stripe cus_SUq8vD3kLm2NpQ") == true)
        #expect(try await gateway.store.ledger.allAccruals().isEmpty)
        #expect(try await gateway.store.inbox.businessEvents(of: DeliveryID(id)).count == 1)
    }

    @Test func verifiedDeliveriesThatCannotBeMappedStayStoredWithTheirStatus() async throws {
        let gateway = try TestGateway()
        let bodies: [String: Data] = [
            "unmapped": try TestGateway.fixture("stripe/customer.created.json"),
            "not json": Data("this is not json".utf8),
            "not utf-8": Data([0xff, 0xfe, 0x00, 0x7b]),
            "missing customer": Data(
                #"{"id":"evt_nocus","object":"event","type":"invoice.paid","created":1748736005,"data":{"object":{"id":"in_x","currency":"usd","amount_paid":100}}}"#.utf8),
        ]
        let ids = try await gateway.application.test(.live) { client in
            var ids: [String: Int64] = [:]
            for (name, body) in bodies {
                ids[name] = try await client.execute(
                    uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
                ) { response in
                    #expect(response.status == .ok, "\(name)")
                    return try Receipt.from(response.body).delivery_id
                }
            }
            return ids
        }
        try await gateway.processor.drain()
        func delivery(_ name: String) async throws -> StoredDelivery {
            try #require(try await gateway.store.inbox.delivery(DeliveryID(ids[name]!)))
        }
        #expect(try await delivery("unmapped").status == .ignored)
        #expect(try await delivery("unmapped").statusReason?.contains("customer.created") == true)
        #expect(try await delivery("not json").status == .failed)
        #expect(try await delivery("not json").statusReason?.hasPrefix("malformed_body") == true)
        #expect(try await delivery("not json").vendorDeliveryID.hasPrefix("sha256:"))
        #expect(try await delivery("not utf-8").status == .failed)
        #expect(try await delivery("not utf-8").body == bodies["not utf-8"])
        #expect(try await delivery("missing customer").status == .failed)
        #expect(try await delivery("missing customer").statusReason?.contains("customer_id") == true)
    }

    @Test func theAdminAPIRefusesMissingOrWrongTokensAndIsOffWithoutOne() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            for uri in ["/admin/partners", "/admin/plans", "/admin/referrals", "/admin/deliveries", "/admin/partners/1/accruals"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer not-the-token"]) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                }
                try await client.execute(uri: uri, method: .get, headers: TestGateway.adminHeaders) { response in
                    // Authorized: the route answers (partner 1 does not exist yet, so its accruals are 404).
                    #expect(response.status == (uri.hasSuffix("accruals") ? .notFound : .ok), "\(uri)")
                }
            }
            try await client.execute(
                uri: "/admin/partners", method: .post, headers: [.authorization: "Bearer wrong"],
                body: ByteBuffer(string: #"{"name":"Mallory","kind":"client"}"#)
            ) { response in
                #expect(response.status == .unauthorized)
            }
        }
        #expect(try await gateway.program.partners().isEmpty)

        let closed = try TestGateway(adminTokens: [])
        try await closed.application.test(.live) { client in
            try await client.execute(uri: "/admin/partners", method: .get, headers: TestGateway.adminHeaders) { response in
                #expect(response.status == .forbidden)
                let refusal = try Refusal.from(response.body)
                #expect(refusal.reason.contains("GATEWAY_ADMIN_TOKEN"))
            }
        }
    }

    @Test func severalAdminTokensAreAcceptedForRotation() async throws {
        let gateway = try TestGateway(adminTokens: [Secret("new-token"), TestGateway.adminToken])
        try await gateway.application.test(.live) { client in
            for token in ["new-token", TestGateway.adminToken.value] {
                try await client.execute(uri: "/admin/partners", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test func invalidAdminInputIsRefusedWithAReason() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            let cases: [(String, String, HTTPResponse.Status)] = [
                ("/admin/partners", #"{"name":"X","kind":"astrologer"}"#, .badRequest),
                ("/admin/partners", #"{"name":"  ","kind":"client"}"#, .badRequest),
                ("/admin/plans", #"{"name":"p","rules":[{"type":"recurring_share","rate_bps":20000}]}"#, .badRequest),
                ("/admin/plans", #"{"name":"p","rules":[]}"#, .badRequest),
                ("/admin/referrals", #"{"partner_id":42,"plan_id":1,"prospect_name":"X"}"#, .notFound),
                ("/admin/partners", "{", .badRequest),
            ]
            for (uri, body, status) in cases {
                try await client.execute(uri: uri, method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == status, "\(uri) \(body): \(String(buffer: response.body))")
                }
            }
            _ = try await post(client, "/admin/plans", #"{"name":"dup","rules":[{"type":"recurring_share","rate_bps":100}]}"#)
            try await client.execute(
                uri: "/admin/plans", method: .post, headers: TestGateway.adminHeaders,
                body: ByteBuffer(string: #"{"name":"dup","rules":[{"type":"recurring_share","rate_bps":100}]}"#)
            ) { response in
                #expect(response.status == .conflict)
            }
        }
    }
}
