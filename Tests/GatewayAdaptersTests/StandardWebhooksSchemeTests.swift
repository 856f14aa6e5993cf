import Foundation
import GatewayAdapters
import GatewayCore
import Testing

/// The rest of Standard Webhooks: asymmetric `v1a` signatures, mixed signature lists, and the
/// `svix-*` header names. The symmetric published vector is in `VendorSignatureSchemeTests`.
@Suite struct StandardWebhooksSchemeTests {
    let scheme = StandardWebhooksSignatureScheme()
    let body = Data(#"{"test": 2432232314}"#.utf8)
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    let now = Date(timeIntervalSince1970: 1_614_265_330)

    // The reference library's asymmetric vector (libraries/go/webhook_asymmetric_test.go): the
    // seed is base64 of "TESTSIGNINGKEYDONOTUSETHISFORANY"; its public key was derived with
    // Python's `cryptography` independently of swift-crypto.
    let privateKey = Secret("whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=")
    let publicKey = Secret("whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=")
    let published = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="
    /// Another key pair's public half (seed: 32 bytes of 0x01), which must verify nothing above.
    let otherPublicKey = Secret("whpk_iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=")
    let symmetricSecret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    let symmetricSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    func headers(_ signature: String, prefix: String = "webhook", timestamp: String = "1614265330") -> [(String, String)] {
        [("\(prefix)-id", id), ("\(prefix)-timestamp", timestamp), ("\(prefix)-signature", signature)]
    }

    func verify(_ headers: [(String, String)], _ secrets: [Secret], body: Data? = nil, now: Date? = nil) -> Result<Int, SignatureFailure> {
        schemeOutcome(scheme, body: body ?? self.body, headers: headers, secrets: secrets, now: now ?? self.now)
    }

    // MARK: v1a

    @Test func thePublishedAsymmetricVectorVerifiesWithItsPublicKey() throws {
        let verification = try scheme.verify(body: body, headers: HeaderValues(headers(published)), secrets: [publicKey], now: now)
        #expect(verification.scheme == "standard_webhooks")
        #expect(verification.matchedSecretIndex == 0)
        #expect(verification.signedAt == now)
    }

    @Test func aPrivateKeySignsWhatItsPublicKeyVerifies() throws {
        let signed = scheme.sign(body: body, secret: privateKey, id: id, at: now)
        let signature = try #require(signed.first { $0.name == "webhook-signature" }?.value)
        #expect(signature.hasPrefix("v1a,"))
        #expect(try verify(signed.map { ($0.name, $0.value) }, [publicKey]).get() == 0)
        #if !canImport(Darwin)
        // BoringSSL's ed25519 is deterministic (RFC 8032), so the reference library's exact
        // signature comes out; Apple's CryptoKit randomises its signatures, so only the round trip
        // holds there.
        #expect(signature == published)
        #endif
    }

    @Test func theReceiverMayHoldThePrivateKeyAsTheReferenceLibraryAllows() {
        #expect(code(verify(headers(published), [privateKey])) == nil)
    }

    @Test func aWrongKeyOrAnyChangedByteIsRefused() {
        #expect(code(verify(headers(published), [otherPublicKey])) == .noSignatureMatched)
        // A symmetric secret never checks an asymmetric signature, and the reverse.
        #expect(code(verify(headers(published), [symmetricSecret])) == .noSignatureMatched)
        #expect(code(verify(headers(symmetricSignature), [publicKey])) == .noSignatureMatched)
        #expect(code(verify(headers(published), [publicKey], body: body + Data(" ".utf8))) == .noSignatureMatched)
        #expect(code(verify(headers(published, timestamp: "1614265331"), [publicKey])) == .noSignatureMatched)
        var otherID = headers(published)
        otherID[0].1 = "msg_other"
        #expect(code(verify(otherID, [publicKey])) == .noSignatureMatched)
        // The signature's last byte changed.
        #expect(code(verify(headers(String(published.dropLast(4)) + "Aw=="), [publicKey])) == .noSignatureMatched)
    }

    @Test func timestampsOutsideFiveMinutesAreRefusedForV1aToo() {
        #expect(code(verify(headers(published), [publicKey], now: now.addingTimeInterval(300))) == nil)
        #expect(code(verify(headers(published), [publicKey], now: now.addingTimeInterval(301))) == .timestampOutsideTolerance)
        #expect(code(verify(headers(published), [publicKey], now: now.addingTimeInterval(-301))) == .timestampOutsideTolerance)
    }

    // MARK: Lists of signatures and of keys

    @Test func unknownVersionsAndBrokenEntriesAreSkippedAndAnyValidEntryIsAccepted() {
        let list = "v2,AAAA v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,%%% garbage \(published) v1,"
        #expect(code(verify(headers(list), [publicKey])) == nil)
        let both = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Aw== \(symmetricSignature)"
        #expect(code(verify(headers(both), [publicKey, symmetricSecret])) == nil)
    }

    @Test func theFirstConfiguredKeyThatMatchesIsRecorded() throws {
        let both = "\(symmetricSignature) \(published)"
        #expect(try verify(headers(both), [otherPublicKey, publicKey, symmetricSecret]).get() == 1)
        #expect(try verify(headers(both), [symmetricSecret, publicKey]).get() == 0)
        // A source moving from whsec_ to whpk_ keeps both during the move.
        #expect(try verify(headers(published), [symmetricSecret, publicKey]).get() == 1)
    }

    @Test func aListOfOnlyUnsupportedVersionsIsMalformed() {
        #expect(code(verify(headers("v2,AAAA v0,BBBB"), [publicKey])) == .malformedHeader)
        #expect(code(verify(headers(""), [publicKey])) == .malformedHeader)
    }

    @Test func keysThatCannotBeReadMatchNothingAndSayTheSecretIsTheProblem() throws {
        #expect(code(verify(headers(published), [Secret("whpk_%%%")])) == .noSecretConfigured)
        // 31 bytes is no ed25519 key.
        #expect(code(verify(headers(published), [Secret("whpk_\(Data(repeating: 1, count: 31).base64EncodedString())")])) == .noSecretConfigured)
        // An unusable key beside a good one is only skipped.
        #expect(try verify(headers(published), [Secret("whpk_%%%"), publicKey]).get() == 1)
    }

    @Test func aSixtyFourBytePrivateKeyMustCarryItsOwnPublicKey() throws {
        let seed = Data("TESTSIGNINGKEYDONOTUSETHISFORANY".utf8)
        let publicBytes = try #require(Data(base64Encoded: String(publicKey.value.dropFirst(5))))
        let full = Secret("whsk_\((seed + publicBytes).base64EncodedString())")
        #expect(code(verify(headers(published), [full])) == nil)
        let mismatched = Secret("whsk_\((seed + Data(repeating: 7, count: 32)).base64EncodedString())")
        #expect(code(verify(headers(published), [mismatched])) == .noSecretConfigured)
    }

    @Test func onlyAPublicKeyRefusesToSign() {
        #expect(scheme.signingRefusal(for: publicKey) != nil)
        #expect(scheme.signingRefusal(for: privateKey) == nil)
        #expect(scheme.signingRefusal(for: symmetricSecret) == nil)
        #expect(!scheme.sign(body: body, secret: publicKey, id: id, at: now).contains { $0.name == "webhook-signature" })
    }

    // MARK: svix-* headers

    @Test func svixHeaderNamesCarryTheSameSignatures() {
        #expect(code(verify(headers(published, prefix: "svix"), [publicKey])) == nil)
        #expect(code(verify(headers(symmetricSignature, prefix: "Svix"), [symmetricSecret])) == nil)
        #expect(code(verify(headers(published, prefix: "svix"), [publicKey], now: now.addingTimeInterval(301))) == .timestampOutsideTolerance)
        #expect(code(verify(Array(headers(published, prefix: "svix").dropLast()), [publicKey])) == .missingHeader)
    }

    @Test func whenBothFamiliesArePresentTheWebhookHeadersWin() {
        let bad = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Aw=="
        #expect(code(verify(headers(bad) + headers(published, prefix: "svix"), [publicKey])) == .noSignatureMatched)
        #expect(code(verify(headers(published) + headers(bad, prefix: "svix"), [publicKey])) == nil)
    }

    @Test func theFamiliesAreNeverMixed() {
        // webhook-id alone makes the request a webhook-* one, whose timestamp is then missing.
        let mixed = [("webhook-id", id), ("svix-timestamp", "1614265330"), ("svix-signature", published)]
        let result = verify(mixed, [publicKey])
        #expect(code(result) == .missingHeader)
        if case .failure(let failure) = result { #expect(failure.detail.contains("webhook-timestamp")) }
    }

    @Test func svixNamesCanBeSignedWith() {
        let signed = scheme.sign(body: body, secret: privateKey, id: id, at: now, names: .svix)
        #expect(signed.map(\.name) == ["svix-id", "svix-timestamp", "svix-signature"])
        #expect(code(verify(signed.map { ($0.name, $0.value) }, [publicKey])) == nil)
    }

    // MARK: The generic adapter

    @Test func theGenericAdapterTakesItsDeliveryIDFromTheFamilyItVerified() throws {
        let adapter = try #require(try AdapterCatalog.load(directory: Repository.adapters)["generic"])
        let fixture = try Data(contentsOf: Repository.fixtures.appendingPathComponent("generic/invoice.paid.json"))
        let svixOnly = HeaderValues([("svix-id", "msg_svix"), ("svix-timestamp", "1"), ("svix-signature", "v1,AAAA")])
        #expect(adapter.identify(fixture, headers: svixOnly) == DeliveryIdentity(vendorDeliveryID: "msg_svix", eventType: "invoice.paid", derived: false))
        let both = HeaderValues([("webhook-id", "msg_standard"), ("svix-id", "msg_svix")])
        #expect(adapter.identify(fixture, headers: both).vendorDeliveryID == "msg_standard")
    }

    @Test func aDeliveryIDHeaderListMustNameAHeader() {
        let definition = """
            source: empty-headers
            version: 1
            signature: { scheme: standard_webhooks }
            delivery_id: { header: [] }
            event_type: type
            """
        #expect(throws: AdapterDefinitionError.self) { try AdapterCatalog.parseDefinition(definition, file: "empty-headers.yaml") }
    }
}
