import Foundation
import GatewayAdapters
import GatewayCore
import Testing

/// Random bytes and mangled payloads against every scheme and mapper: nothing crashes, and
/// nothing is accepted without a valid signature.
@Suite struct FuzzTests {
    static let catalog = try! AdapterCatalog.load(directory: Repository.adapters)

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
    }

    func randomBytes(_ rng: inout Generator) -> Data {
        Data((0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    func randomBase64(_ count: Int, _ rng: inout Generator) -> String {
        Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }).base64EncodedString()
    }

    static let symmetricSecret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    static let privateKey = Secret("whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=")
    static let publicKey = Secret("whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=")

    /// A fixture with a few bytes flipped, so it stays mostly JSON.
    func mangled(_ fixture: Data, _ rng: inout Generator) -> Data {
        var bytes = [UInt8](fixture)
        guard !bytes.isEmpty else { return fixture }
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
        }
        return Data(bytes)
    }

    @Test(arguments: catalog.sources)
    func noSchemeAcceptsRandomInputAndNoMapperCrashes(_ source: String) throws {
        let adapter = try #require(Self.catalog[source])
        var rng = Generator(state: UInt64(source.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
        let secrets = [Self.symmetricSecret, Self.publicKey, Secret("fuzz-secret")]
        let fixtures = try FixtureCheck.fixtures(in: Repository.fixtures.appendingPathComponent(source)).map { try Data(contentsOf: $0) }
        let headerNames = ["Stripe-Signature", "intuit-signature", "X-Hook-Signature", "x-content-signature", "webhook-id", "webhook-timestamp",
            "webhook-signature", "svix-id", "svix-timestamp", "svix-signature", "Authorization", "x-xero-signature"]
        for round in 0..<400 {
            let body = round % 2 == 0 || fixtures.isEmpty ? randomBytes(&rng) : mangled(fixtures.randomElement(using: &rng)!, &rng)
            var headers: [(String, String)] = []
            for name in headerNames where Bool.random(using: &rng) {
                let value = String(decoding: randomBytes(&rng).prefix(90), as: UTF8.self)
                // Well-formed values as often as random ones, so the signature checks themselves run.
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: headers.append((name, value))
                case 1: headers.append((name, "t=1748736000,v1=\(value),sha1=\(value)"))
                case 2: headers.append((name, "1748736000"))
                case 3: headers.append((name, "Basic \(Data("fuzz:\(value)".utf8).base64EncodedString())"))
                case 4: headers.append((name, "Bearer \(randomBase64(24, &rng))"))
                default: headers.append((name, "v1,\(randomBase64(32, &rng)) v1a,\(randomBase64(64, &rng))"))
                }
            }
            #expect(throws: SignatureFailure.self, "\(source) accepted random input in round \(round)") {
                _ = try adapter.verify(body: body, headers: HeaderValues(headers), secrets: secrets, now: Date(timeIntervalSince1970: 1_748_736_000))
            }
            _ = adapter.identify(body, headers: HeaderValues(headers))
            _ = try? adapter.map(body)
        }
    }

    /// Correctly signed Standard Webhooks deliveries (`v1` and `v1a`, under either family of
    /// header names) with one thing changed are all refused, and the untouched signature is found
    /// wherever it sits in a list of junk entries.
    @Test func standardWebhooksRefusesEveryAlteredDeliveryAndFindsTheGoodSignatureInAnyList() throws {
        let scheme = StandardWebhooksSignatureScheme()
        let now = Date(timeIntervalSince1970: 1_748_736_000)
        let secrets = [Self.symmetricSecret, Self.publicKey]
        var rng = Generator(state: 20_250_601)
        for round in 0..<300 {
            let body = randomBytes(&rng)
            let id = "msg_\(UInt32.random(in: 0...UInt32.max, using: &rng))"
            let signedAt = now.addingTimeInterval(Double(Int.random(in: -250...250, using: &rng)))
            let names: StandardWebhooksSignatureScheme.HeaderNames = Bool.random(using: &rng) ? .standard : .svix
            let signingKey = Bool.random(using: &rng) ? Self.symmetricSecret : Self.privateKey
            let signed = scheme.sign(body: body, secret: signingKey, id: id, at: signedAt, names: names)
            let good = try #require(signed.first { $0.name == names.signature }?.value)

            var junk = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                "\(["v1", "v1a", "v2", "x"].randomElement(using: &rng)!),\(randomBase64(Bool.random(using: &rng) ? 32 : 64, &rng))"
            }
            junk.insert(good, at: Int.random(in: 0...junk.count, using: &rng))
            let listed = HeaderValues([(names.id, id), (names.timestamp, String(Int64(signedAt.timeIntervalSince1970))), (names.signature, junk.joined(separator: " "))])
            #expect(throws: Never.self, "round \(round): the good signature was not found") {
                _ = try scheme.verify(body: body, headers: listed, secrets: secrets, now: now)
            }

            var headers = signed.map { ($0.name, $0.value) }
            var altered = body
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: altered.append(UInt8.random(in: 0...255, using: &rng))
            case 1: headers[0].1 += "x"
            case 2: headers[1].1 = String(Int64(signedAt.timeIntervalSince1970) + 1)
            default:
                var bytes = try #require(Data(base64Encoded: String(good.drop { $0 != "," }.dropFirst())))
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                headers[2].1 = "\(good.prefix { $0 != "," }),\(bytes.base64EncodedString())"
            }
            #expect(throws: SignatureFailure.self, "round \(round): an altered delivery was accepted") {
                _ = try scheme.verify(body: altered, headers: HeaderValues(headers), secrets: secrets, now: now)
            }
        }
    }

    /// A configured credential changed by one character, cut short or extended is refused, in
    /// either presentation; only the exact one is accepted.
    @Test func sharedCredentialsRefuseEveryNearMiss() throws {
        let scheme = SharedCredentialScheme()
        let now = Date(timeIntervalSince1970: 1_748_736_000)
        var rng = Generator(state: 16)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/ ")
        for round in 0..<300 {
            let word = { (count: Int) in String((0..<count).map { _ in alphabet.randomElement(using: &rng)! }) }
            let isBasic = Bool.random(using: &rng)
            let token = word(Int.random(in: 8...40, using: &rng)).replacingOccurrences(of: " ", with: "")
            let secret = Secret(isBasic ? "\(word(6)):\(word(Int.random(in: 1...30, using: &rng)))" : (token.isEmpty ? "t" : token))
            let signed = scheme.sign(body: Data(), secret: secret, at: now).map { ($0.name, $0.value) }
            #expect(throws: Never.self, "round \(round): the exact credential was refused") {
                _ = try scheme.verify(body: randomBytes(&rng), headers: HeaderValues(signed), secrets: [Secret("other:one"), secret], now: now)
            }

            var near = Array(secret.value)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let index = Int.random(in: 0..<near.count, using: &rng)
                near[index] = near[index] == "a" ? "b" : "a"
            case 1: near.removeLast()
            // Not a space: surrounding spaces are not part of a header value.
            default: near.append(alphabet.dropLast().randomElement(using: &rng)!)
            }
            let altered = scheme.sign(body: Data(), secret: Secret(String(near)), at: now).map { ($0.name, $0.value) }
            #expect(throws: SignatureFailure.self, "round \(round): a near miss was accepted") {
                _ = try scheme.verify(body: Data(), headers: HeaderValues(altered), secrets: [secret], now: now)
            }
        }
    }
}
