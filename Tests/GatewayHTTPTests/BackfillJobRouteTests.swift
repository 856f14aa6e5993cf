import AsyncHTTPClient
import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// A Stripe backfill started through the admin API, followed to its end, against the loopback
/// Stripe API; and the refusals of a backfill that cannot start.
@Suite struct BackfillJobRouteTests {
    struct Job: Decodable {
        var id: Int
        var source: String
        var state: String
        var fetched: Int
        var stored: Int
        var percent_done: Double?
        var error: String?
    }

    func call<T: Decodable>(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ json: String? = nil, expect status: HTTPResponse.Status
    ) async throws -> T {
        try await client.execute(uri: uri, method: method, headers: TestGateway.adminHeaders, body: json.map { ByteBuffer(string: $0) }) { response in
            #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))")
            return try T.from(response.body)
        }
    }

    @Test func aBackfillStartsInTheBackgroundAndItsProgressIsFollowedToTheEnd() async throws {
        let fake = FakeStripe()
        _ = try StripeBackfillTests.account(fake)
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(
                now: { StripeBackfillTests.now },
                backfills: { store in ["stripe": StripeBackfillTests.backfill(store, port: port).runner] })
            try await gateway.application.test(.router) { client in
                let started: Job = try await call(client, .post, "/admin/backfills", #"{"source":"stripe","since":"2024-12-01"}"#, expect: .accepted)
                #expect(started.state == "running" && started.source == "stripe")
                // A second one of the same source waits for the first.
                let busy: Refusal = try await call(client, .post, "/admin/backfills", #"{"source":"stripe","since":"2024-12-01"}"#, expect: .conflict)
                #expect(busy.reason == "backfill \(started.id) of stripe is still running")

                var job = started
                var polls = 0
                while job.state == "running", polls < 500 {
                    polls += 1
                    try await Task.sleep(for: .milliseconds(20))
                    let latest: Job = try await call(client, .get, "/admin/backfills/\(started.id)", expect: .ok)
                    job = latest
                }
                #expect(job.state == "finished", "\(job)")
                #expect(job.fetched == 252 && job.stored == 252)
                #expect(job.percent_done == 100)
                let all: [Job] = try await call(client, .get, "/admin/backfills", expect: .ok)
                #expect(all.map(\.id) == [started.id])
            }
            // The stored invoices were processed when it finished.
            try await gateway.processor.drain()
            #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery(statuses: [.stored], limit: 10)).isEmpty)
        }
    }

    /// Follows `started` until it is no longer running.
    func follow(_ started: Job, _ client: some TestClientProtocol) async throws -> Job {
        var job = started
        var polls = 0
        while job.state == "running", polls < 500 {
            polls += 1
            try await Task.sleep(for: .milliseconds(20))
            job = try await call(client, .get, "/admin/backfills/\(started.id)", expect: .ok)
        }
        return job
    }

    @Test func anAutotaskBackfillRunsAsAJobOverItsTwoLists() async throws {
        let fake = FakeAutotask()
        AutotaskBackfillTests.tenant(fake)
        try await AutotaskBackfillTests.serving(fake) { port in
            let gateway = try TestGateway(
                now: { AutotaskBackfillTests.now },
                backfills: { store in ["autotask": AutotaskBackfillTests.backfill(store, port: port).runner] })
            try await gateway.application.test(.router) { client in
                let started: Job = try await call(client, .post, "/admin/backfills", #"{"source":"autotask","since":"2024-12-01"}"#, expect: .accepted)
                #expect(started.state == "running" && started.source == "autotask")
                let job = try await follow(started, client)
                #expect(job.state == "finished", "\(job)")
                #expect(job.fetched == 253 && job.stored == 253 && job.percent_done == 100)
                // Another source, not configured here, is refused with the ones that are.
                let unconfigured: Refusal = try await call(
                    client, .post, "/admin/backfills", #"{"source":"quickbooks","since":"2024-12-01"}"#, expect: .unprocessableContent)
                #expect(unconfigured.reason.hasSuffix("(configured: autotask)"))
            }
            try await gateway.processor.drain()
            #expect(try await gateway.store.inbox.deliveries(status: .processed, limit: 1_000).count == 253)
        }
    }

    @Test func aBackfillThatCannotStartIsRefusedWithTheReason() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.router) { client in
            let unconfigured: Refusal = try await call(client, .post, "/admin/backfills", #"{"source":"stripe","since":"2024-12-01"}"#, expect: .unprocessableContent)
            #expect(unconfigured.reason.hasPrefix("no stripe API client is configured"))
            let unknown: Refusal = try await call(client, .post, "/admin/backfills", #"{"source":"paypal","since":"2024-12-01"}"#, expect: .badRequest)
            #expect(unknown.reason.hasPrefix("source must be one of"))
            let badDay: Refusal = try await call(client, .post, "/admin/backfills", #"{"source":"stripe","since":"2024-02-30"}"#, expect: .badRequest)
            #expect(badDay.reason.hasPrefix("since must be a day"))
            let missing: Refusal = try await call(client, .get, "/admin/backfills/7", expect: .notFound)
            #expect(missing.reason == "backfill 7 does not exist")
        }
    }
}
