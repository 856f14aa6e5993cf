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

@Suite struct ReplayTests {
    struct Job: Decodable {
        struct Diff: Decodable {
            var created: [AccrualLine]
            var changed: [LedgerDiff.Change]
            var reversed: [LedgerDiff.Change]
        }
        var id: Int
        var state: String
        var total: Int
        var done: Int
        var dry_run: Bool
        var diff: Diff
        var statuses: [String: Int]
    }

    /// The Stripe definition with a mapping mistake: the customer is read from the wrong path.
    static func brokenStripe() throws -> AdapterCatalog {
        let text = try String(contentsOf: TestGateway.root.appendingPathComponent("adapters/stripe.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "customer_id: { path: data.object.customer, transform: object_id }\n      customer_email", with: "customer_id: { path: data.object.client, transform: object_id }\n      customer_email")
        #expect(text.contains("data.object.client"))
        return AdapterCatalog(adapters: [try AdapterCatalog.parseDefinition(text, file: "stripe.yaml")])
    }

    func replay(_ client: some TestClientProtocol, _ json: String, expect status: HTTPResponse.Status = .ok) async throws -> Job {
        try await client.execute(uri: "/admin/replays", method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(string: json)) {
            #expect($0.status == status, "\(String(buffer: $0.body))")
            return try Job.from($0.body)
        }
    }

    @Test func afterAMappingFixAFilteredReplayAccruesOnceAndASecondChangesNothing() async throws {
        let broken = try TestGateway(adapters: try Self.brokenStripe())
        try await Stories.brightDental(broken.program, months: 12)
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        try await broken.application.test(.live) { client in
            try await client.execute(uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)) {
                #expect($0.status == .ok)
            }
        }
        try await broken.processor.drain()
        #expect(try await broken.store.inbox.deliveries(status: .failed).count == 1)

        // The definition is fixed (the repository's own); the same store is served again.
        let fixed = try TestGateway(directory: broken.directory)
        try await fixed.application.test(.live) { client in
            let filter = #"{"filter":{"source":"stripe","status":["failed"],"event_type":"invoice.paid"}}"#
            let dry = try await replay(client, #"{"dry_run":true,"filter":{"source":"stripe","status":["failed"],"event_type":"invoice.paid"}}"#)
            #expect(dry.dry_run)
            #expect(dry.diff.created.map(\.amount.minorUnits) == [4_990])
            #expect(try await fixed.store.ledger.allAccruals().isEmpty, "a dry run writes nothing")
            #expect(try await fixed.store.inbox.deliveries(status: .failed).count == 1)

            let real = try await replay(client, filter)
            #expect(real.state == "finished")
            #expect(real.diff.created.count == 1)
            #expect(real.statuses == ["processed": 1])
            #expect(try await fixed.store.ledger.allAccruals().map(\.line.amount.minorUnits) == [4_990])

            let again = try await replay(client, #"{"filter":{"source":"stripe"}}"#)
            #expect(again.total == 1)
            #expect(again.diff.created.isEmpty && again.diff.changed.isEmpty && again.diff.reversed.isEmpty)
            #expect(try await fixed.store.ledger.allAccruals().count == 1)
        }
    }

    @Test func registeringTheMissingReferralAlreadyPicksUpEarlierPaymentsSoAReplayChangesNothing() async throws {
        let gateway = try TestGateway()
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)) { _ in }
            try await gateway.processor.drain()
            try await Stories.brightDental(gateway.program, months: 12)
            #expect(try await gateway.store.ledger.allAccruals().count == 1)
            let replayed = try await replay(client, #"{"delivery_ids":[1]}"#)
            #expect(replayed.diff.created.isEmpty && replayed.diff.changed.isEmpty)
            #expect(try await gateway.store.ledger.allAccruals().count == 1)
        }
    }

    @Test func aLargeReplayRunsInTheBackgroundWithProgress() async throws {
        let gateway = try TestGateway()
        let template = try String(contentsOf: TestGateway.root.appendingPathComponent("fixtures/stripe/customer.created.json"), encoding: .utf8)
        for index in 0..<150 {
            _ = try await gateway.store.inbox.ingest(
                IncomingDelivery(
                    source: "stripe", vendorDeliveryID: "evt_bg_\(index)", eventType: "customer.created", receivedAt: Date(), requestID: nil,
                    body: Data(template.replacingOccurrences(of: "evt_1RZpZZKx7aQ2mN0pCusCr001", with: "evt_bg_\(index)").utf8), headers: [:],
                    verification: Verification(scheme: "stripe", matchedSecretIndex: 0)))
        }
        try await gateway.processor.drain()
        try await gateway.application.test(.live) { client in
            let started = try await replay(client, #"{"filter":{"source":"stripe"}}"#, expect: .accepted)
            #expect(started.total == 150)
            var job = started
            for _ in 0..<200 where job.state == "running" {
                try await Task.sleep(for: .milliseconds(20))
                job = try await client.execute(uri: "/admin/replays/\(started.id)", method: .get, headers: TestGateway.adminHeaders) { try Job.from($0.body) }
            }
            #expect(job.state == "finished")
            #expect(job.done == 150)
            #expect(job.statuses == ["ignored": 150])
        }
    }
}
