import Foundation
import GatewayAdapters
import GatewayRepositories
import GatewayTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// `referral-gateway send`, the real executable, signing as each new scheme would and posting to
/// a live gateway.
@Suite struct SendCommandTests {
    static func send(_ fixture: String, secret: String, port: Int) throws -> (status: Int32, errors: String) {
        try ReportCommandTests.run(
            [
                "send", TestGateway.root.appendingPathComponent("fixtures/\(fixture)").path, "--secret", secret, "--to", "http://127.0.0.1:\(port)",
                "--adapters-dir", Fixtures.adapters.path,
            ], readingErrors: true)
    }

    @Test func sendSignsWithAPrivateKeyOrACredentialAndRefusesToSignWithAPublicKey() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ServerProcessTests.binary.path), "build the executable first: swift build")
        let gateway = try TestGateway(secrets: [
            "generic": [Secret("whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=")],
            "halopsa": [Secret("halo-webhook:a long random password")],
            "xero": [Secret("fixture-xero-webhook-key-0001")],
        ])
        try await gateway.application.test(.live) { client in
            let port = try #require(client.port)
            // A public key only verifies: send says so and posts nothing.
            let refused = try Self.send("generic/invoice.paid.json", secret: "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=", port: port)
            #expect(refused.status != 0)
            #expect(refused.errors.contains("a whpk_ public key only verifies"))
            #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)

            #expect(try Self.send("generic/invoice.paid.json", secret: "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=", port: port).status == 0)
            #expect(try Self.send("halopsa/contract.created.json", secret: "halo-webhook:a long random password", port: port).status == 0)
            #expect(try Self.send("halopsa/client.created.json", secret: "halo-webhook:a guess", port: port).status != 0)
            #expect(try Self.send("xero/intent-to-receive.json", secret: "fixture-xero-webhook-key-0001", port: port).status == 0)
            #expect(try Self.send("xero/intent-to-receive.json", secret: "not-the-key", port: port).status != 0)
        }
        let stored = try await gateway.store.inbox.deliveries(matching: DeliveryQuery())
        #expect(Set(stored.map(\.source)) == ["generic", "halopsa", "xero"])
        #expect(stored.count == 3)
    }
}
