import Foundation
import GatewayAdapters
import GatewayTestSupport
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// `referral-gateway backfill stripe`, the real executable against the loopback fake of Stripe.
@Suite struct BackfillCommandTests {
    /// Runs the executable with `environment` added; answers its status, standard output and
    /// error. It waits without blocking a thread: the tests share a small pool with live servers.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String, errors: String) {
        let process = ChildProcess()
        process.executableURL = ServerProcessTests.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GATEWAY_") }.merging(environment) { $1 }
        // Both streams to files, so neither can fill a pipe and block the child.
        let files = ["stdout", "stderr"].map { FileManager.default.temporaryDirectory.appendingPathComponent("backfill-\($0)-\(UUID().uuidString)") }
        for file in files { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        defer { for file in files { try? FileManager.default.removeItem(at: file) } }
        process.standardOutput = try FileHandle(forWritingTo: files[0])
        process.standardError = try FileHandle(forWritingTo: files[1])
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (process.terminationStatus, try String(contentsOf: files[0], encoding: .utf8), try String(contentsOf: files[1], encoding: .utf8))
    }

    @Test func backfillsStoresAndProcessesThenARevokedKeyStopsWithTheReason() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ServerProcessTests.binary.path), "build the executable first: swift build")
        let fake = FakeStripe()
        _ = try StripeBackfillTests.account(fake)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let storage = ["--data-dir", directory.path, "--adapters-dir", Fixtures.adapters.path]
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let base = "http://127.0.0.1:\(port)"
            let environment = ["GATEWAY_STRIPE_API_KEY": FakeStripe.apiKey, "GATEWAY_STRIPE_API_BASE": base]

            let first = try await Self.run(["backfill", "stripe", "--since", "2024-12-01"] + storage, environment: environment)
            #expect(first.status == 0, "\(first.errors)")
            #expect(first.output.contains("backfill stripe: read 252 records, stored 252 new deliveries"))
            #expect(first.output.contains("processed 252 deliveries"))
            // Plain progress lines (not a terminal): one per page.
            #expect(first.errors.contains("stripe invoices: 100 read, 100 new, "))
            #expect(first.errors.contains("stripe credit_notes: 2 read, 2 new, "))

            let again = try await Self.run(["backfill", "stripe", "--since", "2024-12-01", "--no-process"] + storage, environment: environment)
            #expect(again.status == 0 && again.output.contains("stored 0 new deliveries") && !again.output.contains("processed"))

            var revoked = environment
            revoked["GATEWAY_STRIPE_API_KEY"] = "rk_test_revoked_key_1234"
            let refused = try await Self.run(["backfill", "stripe", "--since", "2024-12-01"] + storage, environment: revoked)
            #expect(refused.status != 0)
            #expect(refused.errors.contains("error: Stripe refused the API key (HTTP 401): check GATEWAY_STRIPE_API_KEY"))
            #expect(!refused.errors.contains("rk_test_revoked") && !refused.output.contains("rk_test_revoked"))

            let noKey = try await Self.run(["backfill", "stripe", "--since", "2024-12-01"] + storage, environment: [:])
            #expect(noKey.status != 0 && noKey.errors.contains("set GATEWAY_STRIPE_API_KEY"))
            let badDay = try await Self.run(["backfill", "stripe", "--since", "2024-13-01"] + storage, environment: environment)
            #expect(badDay.status != 0 && badDay.errors.contains("since must be a day (2025-06-01) or an ISO 8601 timestamp"))
        }
    }
}

extension BackfillCommandTests {
    @Test func backfillsAutotaskThroughTheContractPollersAPIUser() async throws {
        let fake = FakeAutotask()
        AutotaskBackfillTests.tenant(fake)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let storage = ["--data-dir", directory.path, "--adapters-dir", Fixtures.adapters.path]
        try await AutotaskBackfillTests.serving(fake) { port in
            var environment = [
                "GATEWAY_AUTOTASK_API_BASE": "http://127.0.0.1:\(port)/atservicesrest", "GATEWAY_AUTOTASK_API_INTEGRATION_CODE": "INTEGRATION",
                "GATEWAY_AUTOTASK_API_USERNAME": "api@msp.example", "GATEWAY_AUTOTASK_API_SECRET": "api-secret",
            ]
            let first = try await Self.run(["backfill", "autotask", "--since", "2024-12-01"] + storage, environment: environment)
            #expect(first.status == 0, "\(first.errors)")
            #expect(first.output.contains("backfill autotask: read 253 records, stored 253 new deliveries"))
            #expect(first.output.contains("processed 253 deliveries"))
            #expect(first.errors.contains("autotask contracts: 250 read, 250 new, "))
            #expect(first.errors.contains("autotask companies: 3 read, 3 new, "))

            // Contracts changed since the day instead of started since it: the one started the day
            // before (changed since) is new, the rest were stored already.
            environment["GATEWAY_AUTOTASK_BACKFILL_CONTRACTS_FIELD"] = "lastModifiedDateTime"
            let again = try await Self.run(["backfill", "autotask", "--since", "2024-12-01", "--no-process"] + storage, environment: environment)
            #expect(again.status == 0 && again.output.contains("read 254 records, stored 1 new deliveries"), "\(again.output)")
            #expect(!again.output.contains("processed"))
            #expect(fake.state.withLock { $0.searches.last { $0.entity == "Contracts" } }?.search.value(at: FieldPath("filter.0.field")) == .string("lastModifiedDateTime"))

            environment["GATEWAY_AUTOTASK_API_SECRET"] = "revoked-secret"
            let refused = try await Self.run(["backfill", "autotask", "--since", "2024-12-01"] + storage, environment: environment)
            #expect(refused.status != 0)
            #expect(refused.errors.contains("error: Autotask answered HTTP 401: Invalid credentials (check GATEWAY_AUTOTASK_API_USERNAME"))
            #expect(!refused.errors.contains("revoked-secret"))

            let unset = try await Self.run(["backfill", "autotask", "--since", "2024-12-01"] + storage, environment: [:])
            #expect(unset.status != 0 && unset.errors.contains("set GATEWAY_AUTOTASK_API_BASE"))
        }
    }
}

extension BackfillCommandTests {
    @Test func backfillsQuickBooksWithTheConnectedAppAndKeepsItsRotatedToken() async throws {
        let fake = FakeQuickBooks()
        try QuickBooksBackfillTests.company(fake)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let storage = ["--data-dir", directory.path, "--adapters-dir", Fixtures.adapters.path]
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let environment = [
                "GATEWAY_QUICKBOOKS_REALM_ID": QuickBooksFetchTests.realm, "GATEWAY_QUICKBOOKS_CLIENT_ID": FakeQuickBooks.clientID,
                "GATEWAY_QUICKBOOKS_CLIENT_SECRET": FakeQuickBooks.clientSecret, "GATEWAY_QUICKBOOKS_REFRESH_TOKEN": "refresh-0",
                "GATEWAY_QUICKBOOKS_API_BASE": "http://127.0.0.1:\(port)", "GATEWAY_QUICKBOOKS_TOKEN_URL": "http://127.0.0.1:\(port)/oauth2/v1/tokens/bearer",
            ]
            let first = try await Self.run(["backfill", "quickbooks", "--since", "2024-12-01"] + storage, environment: environment)
            #expect(first.status == 0, "\(first.errors)")
            #expect(first.output.contains("backfill quickbooks: read 255 records, stored 255 new deliveries"))
            #expect(first.output.contains("processed 255 deliveries"))
            // One page of up to 1000 records each.
            #expect(first.errors.contains("quickbooks Payment: 250 read, 250 new, ") && first.errors.contains("/s, 100% of the period"))
            #expect(first.errors.contains("quickbooks RefundReceipt: 1 read, 1 new, "))

            // The environment still names the spent refresh token: the stored one is used.
            let again = try await Self.run(["backfill", "quickbooks", "--since", "2024-12-01", "--no-process"] + storage, environment: environment)
            #expect(again.status == 0 && again.output.contains("read 255 records, stored 0 new deliveries"), "\(again.errors)")

            fake.state.withLock { $0.unauthorizedAfterQueries = 0 }
            let refused = try await Self.run(["backfill", "quickbooks", "--since", "2024-12-01"] + storage, environment: environment)
            #expect(refused.status != 0)
            #expect(
                refused.errors.contains(
                    "error: QuickBooks refused the credentials for the Payment query: HTTP 401; reconnect the app and set GATEWAY_QUICKBOOKS_REFRESH_TOKEN"))

            let unset = try await Self.run(["backfill", "quickbooks", "--since", "2024-12-01"] + storage, environment: [:])
            #expect(unset.status != 0 && unset.errors.contains("set GATEWAY_QUICKBOOKS_REALM_ID"))
        }
    }
}

extension BackfillCommandTests {
    @Test func backfillsConnectWiseWithAnAPIMembersKeys() async throws {
        let fake = FakeConnectWise()
        try ConnectWiseBackfillTests.psa(fake)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let storage = ["--data-dir", directory.path, "--adapters-dir", Fixtures.adapters.path]
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            var environment = [
                "GATEWAY_CONNECTWISE_API_BASE": "http://127.0.0.1:\(port)\(FakeConnectWise.root)", "GATEWAY_CONNECTWISE_API_COMPANY_ID": FakeConnectWise.companyID,
                "GATEWAY_CONNECTWISE_API_PUBLIC_KEY": FakeConnectWise.publicKey, "GATEWAY_CONNECTWISE_API_PRIVATE_KEY": FakeConnectWise.privateKey,
                "GATEWAY_CONNECTWISE_API_CLIENT_ID": FakeConnectWise.clientID,
            ]
            let first = try await Self.run(["backfill", "connectwise", "--since", "2024-12-01"] + storage, environment: environment)
            #expect(first.status == 0, "\(first.errors)")
            #expect(first.output.contains("backfill connectwise: read 253 records, stored 255 new deliveries"))
            #expect(first.output.contains("processed 255 deliveries"))
            #expect(first.errors.contains("connectwise agreements: 250 read, 252 new, ") && first.errors.contains("connectwise companies: 3 read, 3 new, "))

            let again = try await Self.run(["backfill", "connectwise", "--since", "2024-12-01", "--no-process"] + storage, environment: environment)
            #expect(again.status == 0 && again.output.contains("stored 0 new deliveries"))

            environment["GATEWAY_CONNECTWISE_API_PRIVATE_KEY"] = "revoked-private-key"
            let refused = try await Self.run(["backfill", "connectwise", "--since", "2024-12-01"] + storage, environment: environment)
            #expect(refused.status != 0)
            #expect(refused.errors.contains("error: ConnectWise refused the credentials for the agreements list: HTTP 401"))
            #expect(!refused.errors.contains("revoked-private-key"))

            environment.removeValue(forKey: "GATEWAY_CONNECTWISE_API_CLIENT_ID")
            let partial = try await Self.run(["backfill", "connectwise", "--since", "2024-12-01"] + storage, environment: environment)
            #expect(partial.status != 0 && partial.errors.contains("set all of GATEWAY_CONNECTWISE_API_BASE"))
        }
    }
}
