import AsyncHTTPClient
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
import Synchronization
import Testing

/// A loopback stand-in for ConnectWise's callback-key URL: serves `{"signing_key": …}` like the
/// real one, counts requests, and has a redirecting path to prove redirects are not followed.
final class FakeConnectWiseKeys: Sendable {
    let signingKey = Mutex("fixture-cw-signing-key-0001")
    let hits = Mutex(0)

    var application: some ApplicationProtocol {
        let router = Router()
        router.get("/v4_6_release/system/callbackkey/index.rails") { _, _ -> Response in
            self.hits.withLock { $0 += 1 }
            let key = self.signingKey.withLock { $0 }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"signing_key":"\#(key)"}"#)))
        }
        router.get("/redirect") { _, _ -> Response in
            self.hits.withLock { $0 += 1 }
            return Response(status: .found, headers: [.location: "/v4_6_release/system/callbackkey/index.rails"])
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}

@Suite struct ConnectWiseKeyTests {
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: SigningKeyFetcher.clientConfiguration)

    /// The repository's ConnectWise definition, allowed to fetch keys from the fake on `port`.
    static func adapters(port: Int) throws -> AdapterCatalog {
        let text = try String(contentsOf: TestGateway.root.appendingPathComponent("adapters/connectwise.yaml"), encoding: .utf8)
            .replacingOccurrences(of: #"allowed_key_hosts: ["*.myconnectwise.net"]"#, with: "allowed_key_hosts: [\"127.0.0.1:\(port)\"]\n  require_https: false")
        return AdapterCatalog(adapters: [try AdapterCatalog.parseDefinition(text, file: "connectwise.yaml")])
    }

    static func callback(messageID: String, keyURL: String, signedWith key: String) throws -> (Data, HTTPFields) {
        let template = try String(contentsOf: TestGateway.root.appendingPathComponent("fixtures/connectwise/agreement.added.json"), encoding: .utf8)
        let body = Data(
            template
                .replacingOccurrences(of: "0b7f3c1e-6a52-4a8e-9d1f-2c4b5e6f7a81", with: messageID)
                .replacingOccurrences(
                    of: "https://na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?companyName=acmemsp&id=5d0f6a7e-1b2c-4d3e-8f90-a1b2c3d4e5f6",
                    with: keyURL
                ).utf8)
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, value) in ConnectWiseSignatureScheme().sign(body: body, secret: Secret(key), at: Date()) {
            headers[HTTPField.Name(name)!] = value
        }
        return (body, headers)
    }

    func post(_ client: some TestClientProtocol, _ callback: (Data, HTTPFields)) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: "/webhooks/connectwise", method: .post, headers: callback.1, body: ByteBuffer(bytes: callback.0)) {
            ($0.status, String(buffer: $0.body))
        }
    }

    @Test func keysAreFetchedFromTheAllowListedURLOnceAndCached() async throws {
        let fake = FakeConnectWiseKeys()
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let keyURL = "http://127.0.0.1:\(port)/v4_6_release/system/callbackkey/index.rails?companyName=acmemsp&id=1"
            let gateway = try TestGateway(adapters: try Self.adapters(port: port), keyFetcher: SigningKeyFetcher(client: Self.client))
            try await gateway.application.test(.live) { client in
                let first = try await post(client, try Self.callback(messageID: "m-1", keyURL: keyURL, signedWith: "fixture-cw-signing-key-0001"))
                #expect(first.0 == .ok, "\(first.1)")
                let second = try await post(client, try Self.callback(messageID: "m-2", keyURL: keyURL, signedWith: "fixture-cw-signing-key-0001"))
                #expect(second.0 == .ok, "\(second.1)")
                #expect(fake.hits.withLock { $0 } == 1)

                // A forged body signed with another key is refused, after one re-fetch of the key.
                let forged = try await post(client, try Self.callback(messageID: "m-3", keyURL: keyURL, signedWith: "attacker-key"))
                #expect(forged.0 == .unauthorized)
                #expect(fake.hits.withLock { $0 } == 2)

                // ConnectWise rotates its key: the cached one no longer matches, a fresh fetch does.
                fake.signingKey.withLock { $0 = "rotated-key-0002" }
                let rotated = try await post(client, try Self.callback(messageID: "m-4", keyURL: keyURL, signedWith: "rotated-key-0002"))
                #expect(rotated.0 == .ok, "\(rotated.1)")
            }
            #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).map(\.vendorDeliveryID).sorted() == ["m-1", "m-2", "m-4"])
        }
    }

    @Test(arguments: [
        "https://evil.example.com/v4_6_release/system/callbackkey/index.rails?id=1",
        "https://na.myconnectwise.net.evil.test/v4_6_release/system/callbackkey/index.rails?id=1",
        "http://127.0.0.2:PORT/v4_6_release/system/callbackkey/index.rails",
        "http://127.0.0.1:1/v4_6_release/system/callbackkey/index.rails",
    ])
    func aKeyURLOffTheAllowListIsRefused401AndNothingIsFetched(_ url: String) async throws {
        let fake = FakeConnectWiseKeys()
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(adapters: try Self.adapters(port: port), keyFetcher: SigningKeyFetcher(client: Self.client))
            try await gateway.application.test(.live) { client in
                let callback = try Self.callback(
                    messageID: "m-evil", keyURL: url.replacingOccurrences(of: "PORT", with: String(port)), signedWith: "attacker-key")
                let (status, body) = try await post(client, callback)
                #expect(status == .unauthorized)
                #expect(body.contains("key_url_not_allowed"))
            }
            #expect(fake.hits.withLock { $0 } == 0)
            #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
        }
    }

    @Test func aRedirectFromTheKeyURLIsNotFollowed() async throws {
        let fake = FakeConnectWiseKeys()
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(adapters: try Self.adapters(port: port), keyFetcher: SigningKeyFetcher(client: Self.client))
            try await gateway.application.test(.live) { client in
                let callback = try Self.callback(
                    messageID: "m-redirect", keyURL: "http://127.0.0.1:\(port)/redirect", signedWith: "fixture-cw-signing-key-0001")
                let (status, body) = try await post(client, callback)
                #expect(status == .serviceUnavailable)
                #expect(body.contains("signing_key_unavailable"))
            }
            #expect(fake.hits.withLock { $0 } == 1)
            #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
        }
    }

    @Test func aStaticallyConfiguredKeyNeedsNoFetch() async throws {
        let fake = FakeConnectWiseKeys()
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(
                secrets: ["connectwise": [Secret("fixture-cw-signing-key-0001")]], adapters: try Self.adapters(port: port),
                keyFetcher: SigningKeyFetcher(client: Self.client))
            try await gateway.application.test(.live) { client in
                let keyURL = "http://127.0.0.1:\(port)/v4_6_release/system/callbackkey/index.rails?id=1"
                let (status, _) = try await post(client, try Self.callback(messageID: "m-static", keyURL: keyURL, signedWith: "fixture-cw-signing-key-0001"))
                #expect(status == .ok)
            }
            #expect(fake.hits.withLock { $0 } == 0)
        }
    }
}
