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
        let secrets = [Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Secret("fuzz-secret")]
        let fixtures = try FixtureCheck.fixtures(in: Repository.fixtures.appendingPathComponent(source)).map { try Data(contentsOf: $0) }
        let headerNames = ["Stripe-Signature", "intuit-signature", "X-Hook-Signature", "x-content-signature", "webhook-id", "webhook-timestamp",
            "webhook-signature"]
        for round in 0..<400 {
            let body = round % 2 == 0 || fixtures.isEmpty ? randomBytes(&rng) : mangled(fixtures.randomElement(using: &rng)!, &rng)
            var headers: [(String, String)] = []
            for name in headerNames where Bool.random(using: &rng) {
                let value = String(decoding: randomBytes(&rng).prefix(90), as: UTF8.self)
                headers.append((name, Bool.random(using: &rng) ? value : "t=1748736000,v1=\(value),sha1=\(value)"))
            }
            #expect(throws: SignatureFailure.self, "\(source) accepted random input in round \(round)") {
                _ = try adapter.verify(body: body, headers: HeaderValues(headers), secrets: secrets, now: Date(timeIntervalSince1970: 1_748_736_000))
            }
            _ = adapter.identify(body, headers: HeaderValues(headers))
            _ = try? adapter.map(body)
        }
    }
}
