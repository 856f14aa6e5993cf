import Foundation
import GatewayAdapters
import GatewayCore
import Testing

/// The vectors of `shared/reference/vendors.md` §7.2–7.5.
@Suite struct VendorSignatureSchemeTests {
    let now = Date(timeIntervalSince1970: 1_748_736_000)

    func failure(_ scheme: some SignatureScheme, _ body: Data, _ headers: [(String, String)], _ secrets: [Secret], now: Date? = nil)
        -> SignatureFailure.Code?
    {
        do {
            _ = try scheme.verify(body: body, headers: HeaderValues(headers), secrets: secrets, now: now ?? self.now)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: QuickBooks Online

    let quickbooks = HMACBodySignatureScheme(header: "intuit-signature", algorithm: .sha256)
    let verifier = Secret("fixture-verifier-token-0001")
    let legacyBody = Data(
        #"{"eventNotifications":[{"realmId":"9341454977738491","dataChangeEvent":{"entities":[{"name":"Payment","id":"217","operation":"Create","lastUpdated":"2025-06-01T14:03:12.000Z"}]}}]}"#
            .utf8)
    let cloudEventsBody = Data(
        #"[{"specversion":"1.0","id":"2f1c8a6e-0d7b-4c39-9b8e-5f0a7e3d1c22","source":"intuit.fixture","type":"qbo.payment.created.v1","datacontenttype":"application/json","time":"2025-06-01T14:03:12.000Z","intuitentityid":"217","intuitaccountid":"9341454977738491","data":{}}]"#
            .utf8)

    @Test func quickBooksVectorsVerifyAndSign() {
        #expect(quickbooks.sign(body: legacyBody, secret: verifier, at: now).first?.value == "cezXdJ+bK1XnD8yG3vWkRiFf+vTbE8B0lg7A7tmpkfM=")
        #expect(failure(quickbooks, legacyBody, [("intuit-signature", "cezXdJ+bK1XnD8yG3vWkRiFf+vTbE8B0lg7A7tmpkfM=")], [verifier]) == nil)
        #expect(failure(quickbooks, cloudEventsBody, [("Intuit-Signature", "Y8dal/wHKw74giQthj6qXab83e+LzTcTZ2hUconTK6w=")], [verifier]) == nil)
        #expect(failure(quickbooks, legacyBody + Data(" ".utf8), [("intuit-signature", "cezXdJ+bK1XnD8yG3vWkRiFf+vTbE8B0lg7A7tmpkfM=")], [verifier]) == .noSignatureMatched)
        #expect(failure(quickbooks, legacyBody, [], [verifier]) == .missingHeader)
        #expect(failure(quickbooks, legacyBody, [("intuit-signature", "%%%")], [verifier]) == .malformedHeader)
        #expect(failure(quickbooks, legacyBody, [("intuit-signature", "cezXdJ+bK1XnD8yG3vWkRiFf+vTbE8B0lg7A7tmpkfM=")], []) == .noSecretConfigured)
    }

    @Test func aRotatedVerifierTokenIsAcceptedInSecondPlace() throws {
        let verification = try quickbooks.verify(
            body: legacyBody, headers: HeaderValues([("intuit-signature", "cezXdJ+bK1XnD8yG3vWkRiFf+vTbE8B0lg7A7tmpkfM=")]),
            secrets: [Secret("new-token"), verifier], now: now)
        #expect(verification.matchedSecretIndex == 1)
    }

    // MARK: Autotask

    let autotask = HMACBodySignatureScheme(header: "X-Hook-Signature", algorithm: .sha1, prefix: "sha1=")
    let autotaskBody = Data(
        #"{"Action":"Create","Guid":"a1da62a4-2c49-40a8-8183-69994ce5b3eb","EntityType":"Company","Id":29683512,"Fields":{"CompanyName":"Acme Dental LLC","CompanyType":"1"},"EventTime":"2025-06-01T14:03:12Z","SequenceNumber":1,"PersonID":30691780}"#
            .utf8)

    @Test func autotaskVectorVerifiesAndSigns() {
        let secret = Secret("fixture-autotask-secret-0001")
        #expect(autotask.sign(body: autotaskBody, secret: secret, at: now).first?.value == "sha1=zSkfDZg7POL3bBcoc7gix8cvh2I=")
        #expect(failure(autotask, autotaskBody, [("x-hook-signature", "sha1=zSkfDZg7POL3bBcoc7gix8cvh2I=")], [secret]) == nil)
        #expect(failure(autotask, autotaskBody, [("x-hook-signature", "zSkfDZg7POL3bBcoc7gix8cvh2I=")], [secret]) == .malformedHeader)
        #expect(failure(autotask, autotaskBody, [("x-hook-signature", "sha1=zSkfDZg7POL3bBcoc7gix8cvh2I=")], [Secret("other")]) == .noSignatureMatched)
    }

    @Test func theAutotaskFixtureIsTheVectorBody() throws {
        let fixture = try Data(contentsOf: Repository.fixtures.appendingPathComponent("autotask/company.create.json"))
        #expect(fixture == autotaskBody)
    }

    // MARK: ConnectWise

    let connectwise = ConnectWiseSignatureScheme()

    func connectwiseBody(keyURL: String) -> Data {
        Data(
            #"{"MessageId":"0b7f3c1e-6a52-4a8e-9d1f-2c4b5e6f7a81","FromUrl":"na.myconnectwise.net","CompanyId":"acmemsp","MemberId":"jdoe","Action":"added","Type":"agreement","ID":4711,"ProductInstanceId":null,"PartnerId":null,"Entity":"{\"id\":4711,\"name\":\"Managed Services - Gold\"}","Metadata":{"key_url":"\#(keyURL)"},"CallbackObjectRecId":301}"#
                .utf8)
    }
    let vectorKeyURL = "https://na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?companyName=acmemsp&id=5d0f6a7e-1b2c-4d3e-8f90-a1b2c3d4e5f6"

    @Test func connectWiseVectorVerifiesAndSigns() throws {
        let body = connectwiseBody(keyURL: vectorKeyURL)
        #expect(body == (try Data(contentsOf: Repository.fixtures.appendingPathComponent("connectwise/agreement.added.vector.json"))))
        let key = Secret("fixture-cw-signing-key-0001")
        #expect(connectwise.sign(body: body, secret: key, at: now).first?.value == "17MCPws7enIq6/XzNI4FD7psVBBvcMjExcOp9YdpCXs=")
        #expect(failure(connectwise, body, [("X-Content-Signature", "17MCPws7enIq6/XzNI4FD7psVBBvcMjExcOp9YdpCXs=")], [key]) == nil)
        #expect(failure(connectwise, body, [("x-content-signature", "17MCPws7enIq6/XzNI4FD7psVBBvcMjExcOp9YdpCXs=")], [Secret("other")]) == .noSignatureMatched)
        #expect(try connectwise.keyLocation(in: body)?.absoluteString == vectorKeyURL)
    }

    @Test(arguments: [
        "https://evil.example.com/v4_6_release/system/callbackkey/index.rails?id=1",
        "https://na.myconnectwise.net.evil.test/v4_6_release/system/callbackkey/index.rails?id=1",
        "https://myconnectwise.net/key",
        "http://na.myconnectwise.net/key",
        "https://user:pass@na.myconnectwise.net/key",
        "https://na.myconnectwise.net:8443/key",
        "https://na.myconnectwise.net/key#fragment",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "not a url",
    ])
    func keyURLsOffTheAllowListAreRefusedBeforeAnyFetch(_ url: String) {
        #expect(throws: SignatureFailure.self) { try connectwise.keyLocation(in: connectwiseBody(keyURL: url)) }
    }

    @Test func aBodyWithoutAKeyURLIsRefused() {
        #expect(throws: SignatureFailure.self) { try connectwise.keyLocation(in: Data(#"{"Metadata":{}}"#.utf8)) }
        #expect(throws: SignatureFailure.self) { try connectwise.keyLocation(in: Data("garbage".utf8)) }
    }

    // MARK: Standard Webhooks

    let standard = StandardWebhooksSignatureScheme()
    let standardSecret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    let standardBody = Data(#"{"test": 2432232314}"#.utf8)
    let standardNow = Date(timeIntervalSince1970: 1_614_265_330)

    func standardHeaders(_ signature: String, timestamp: String = "1614265330") -> [(String, String)] {
        [("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", timestamp), ("webhook-signature", signature)]
    }

    @Test func standardWebhooksPublishedVector() {
        let signed = standard.sign(body: standardBody, secret: standardSecret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", at: standardNow)
        #expect(signed.first { $0.name == "webhook-signature" }?.value == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        #expect(failure(standard, standardBody, standardHeaders(good), [standardSecret], now: standardNow) == nil)
        #expect(failure(standard, standardBody, standardHeaders("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= \(good)"), [standardSecret], now: standardNow) == nil)
        // v1a is asymmetric: a whsec_ secret never checks it.
        #expect(failure(standard, standardBody, standardHeaders("v1a,\(good.dropFirst(3))"), [standardSecret], now: standardNow) == .noSignatureMatched)
        #expect(failure(standard, standardBody, standardHeaders("v2,\(good.dropFirst(3))"), [standardSecret], now: standardNow) == .malformedHeader)
        #expect(failure(standard, standardBody + Data(" ".utf8), standardHeaders(good), [standardSecret], now: standardNow) == .noSignatureMatched)
        #expect(failure(standard, standardBody, Array(standardHeaders(good).dropFirst()), [standardSecret], now: standardNow) == .missingHeader)
    }

    @Test func standardWebhooksToleranceIsFiveMinutesBothWays() {
        let good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        #expect(failure(standard, standardBody, standardHeaders(good), [standardSecret], now: standardNow.addingTimeInterval(300)) == nil)
        #expect(failure(standard, standardBody, standardHeaders(good), [standardSecret], now: standardNow.addingTimeInterval(301)) == .timestampOutsideTolerance)
        #expect(failure(standard, standardBody, standardHeaders(good), [standardSecret], now: standardNow.addingTimeInterval(-301)) == .timestampOutsideTolerance)
    }
}
