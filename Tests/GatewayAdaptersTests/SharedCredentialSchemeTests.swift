import Foundation
import GatewayAdapters
import GatewayCore
import Testing

/// HaloPSA's way in: a Basic pair or a bearer token set on the webhook, compared in constant time.
@Suite struct SharedCredentialSchemeTests {
    let scheme = SharedCredentialScheme()
    let body = Data(#"{"event":"client.created","client":{"id":212}}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_748_736_000)
    let basicSecret = Secret("halo-webhook:Tr0ub4dor&3 correct horse")
    let bearerSecret = Secret("hk_2f8e0c7a5b1d4e9f")

    func basic(_ pair: String) -> [(String, String)] { [("Authorization", "Basic \(Data(pair.utf8).base64EncodedString())")] }

    func outcome(_ headers: [(String, String)], _ secrets: [Secret], scheme: SharedCredentialScheme? = nil) -> Result<Int, SignatureFailure> {
        schemeOutcome(scheme ?? self.scheme, body: body, headers: headers, secrets: secrets, now: now)
    }

    @Test func theConfiguredBasicPairOrBearerTokenIsAccepted() throws {
        #expect(try outcome(basic(basicSecret.value), [basicSecret]).get() == 0)
        #expect(try outcome([("authorization", "Bearer \(bearerSecret.value)")], [basicSecret, bearerSecret]).get() == 1)
        // The scheme's name is case-insensitive; surrounding spaces are not part of the token.
        #expect(try outcome([("Authorization", "  bearer   \(bearerSecret.value) ")], [bearerSecret]).get() == 0)
        #expect(try outcome([("Authorization", "BASIC \(Data(basicSecret.value.utf8).base64EncodedString())")], [basicSecret]).get() == 0)
    }

    @Test func aRotationKeepsTheOldAndTheNewCredential() throws {
        let old = Secret("halo-webhook:old password")
        #expect(try outcome(basic(old.value), [basicSecret, old]).get() == 1)
        #expect(try outcome(basic(basicSecret.value), [basicSecret, old]).get() == 0)
    }

    @Test func aWrongOrAbsentCredentialIsRefused() {
        #expect(code(outcome(basic("halo-webhook:Tr0ub4dor&3 correct hors"), [basicSecret])) == .noSignatureMatched)
        #expect(code(outcome(basic("halo-webhoo:Tr0ub4dor&3 correct horse"), [basicSecret])) == .noSignatureMatched)
        #expect(code(outcome([("Authorization", "Bearer hk_2f8e0c7a5b1d4e9")], [bearerSecret])) == .noSignatureMatched)
        #expect(code(outcome([], [basicSecret])) == .missingHeader)
        #expect(code(outcome(basic(basicSecret.value), [])) == .noSecretConfigured)
    }

    @Test(arguments: [
        "Digest username=\"halo\"", "Basic", "Basic %%%not-base64", "Bearer", "Bearer    ", "hk_2f8e0c7a5b1d4e9f", "Basic \(Data("no-colon".utf8).base64EncodedString())",
        "Basic \(Data([0xff, 0xfe, 0x3a]).base64EncodedString())",
    ])
    func aMalformedAuthorizationHeaderIsExplained(_ value: String) {
        #expect(code(outcome([("Authorization", value)], [basicSecret, bearerSecret])) == .malformedHeader)
    }

    @Test func oneKindOfCredentialIsNeverAcceptedAsTheOther() {
        // The Basic pair sent as a token is refused, and a token can never be a Basic pair.
        #expect(code(outcome([("Authorization", "Bearer \(basicSecret.value)")], [basicSecret])) == .malformedHeader)
        #expect(code(outcome(basic("\(bearerSecret.value):"), [bearerSecret])) == .noSignatureMatched)
    }

    @Test func aSourceMayAcceptOnlyOneKind() {
        let basicOnly = SharedCredentialScheme(accepted: [.basic])
        let result = outcome([("Authorization", "Bearer \(bearerSecret.value)")], [bearerSecret], scheme: basicOnly)
        #expect(code(result) == .malformedHeader)
        if case .failure(let failure) = result { #expect(failure.detail == "Authorization must be Basic credentials") }
        #expect(basicOnly.signingRefusal(for: bearerSecret) != nil)
        #expect(basicOnly.signingRefusal(for: basicSecret) == nil)
        #expect(code(outcome(basic(basicSecret.value), [basicSecret], scheme: basicOnly)) == nil)
    }

    @Test func aRefusalNeverRepeatsTheCredential() {
        let sent = "halo-webhook:a guess at the password"
        for headers in [basic(sent), [("Authorization", "Bearer guessed-token")], [("Authorization", "Digest \(sent)")]] {
            guard case .failure(let failure) = outcome(headers, [basicSecret, bearerSecret]) else {
                Issue.record("a wrong credential was accepted")
                continue
            }
            for forbidden in ["a guess at the password", Data(sent.utf8).base64EncodedString(), "guessed-token", "Tr0ub4dor", bearerSecret.value] {
                #expect(!failure.description.contains(forbidden))
            }
        }
    }

    @Test func signingPresentsTheCredentialAsItsKind() throws {
        let basicHeaders = scheme.sign(body: body, secret: basicSecret, at: now)
        #expect(basicHeaders.first?.value == "Basic \(Data(basicSecret.value.utf8).base64EncodedString())")
        #expect(try outcome(basicHeaders.map { ($0.name, $0.value) }, [basicSecret]).get() == 0)
        #expect(scheme.sign(body: body, secret: bearerSecret, at: now).first?.value == "Bearer hk_2f8e0c7a5b1d4e9f")
    }

    @Test func aHeaderOtherThanAuthorizationCanCarryTheCredential() throws {
        let custom = SharedCredentialScheme(header: "X-Halo-Auth")
        #expect(try outcome([("x-halo-auth", "Bearer \(bearerSecret.value)")], [bearerSecret], scheme: custom).get() == 0)
        #expect(code(outcome([("Authorization", "Bearer \(bearerSecret.value)")], [bearerSecret], scheme: custom)) == .missingHeader)
    }

    // MARK: Definitions

    func load(_ signature: String, kept: String = "[Content-Type]") throws -> Adapter {
        try AdapterCatalog.parseDefinition(
            """
            source: psa-x
            version: 1
            signature: \(signature)
            kept_headers: \(kept)
            delivery_id: { body_digest: true }
            event_type: event
            """, file: "psa-x.yaml")
    }

    @Test func definitionsChooseTheHeaderAndTheKinds() throws {
        let adapter = try load("{ scheme: shared_credential, header: X-Halo-Auth, accept: [bearer] }")
        let scheme = try #require(adapter.scheme as? SharedCredentialScheme)
        #expect(scheme.header == "X-Halo-Auth")
        #expect(scheme.accepted == [.bearer])
        #expect(try #require(try load("{ scheme: shared_credential }").scheme as? SharedCredentialScheme).accepted == [.basic, .bearer])
    }

    @Test func aDefinitionThatWouldStoreTheCredentialIsRefused() {
        #expect(throws: AdapterDefinitionError.self) { try load("{ scheme: shared_credential }", kept: "[authorization]") }
        #expect(throws: AdapterDefinitionError.self) { try load("{ scheme: shared_credential, header: X-Halo-Auth }", kept: "[X-HALO-AUTH]") }
        // No scheme's definition may keep an Authorization header.
        #expect(throws: AdapterDefinitionError.self) { try load("{ scheme: hmac_body, header: X-Sig, algorithm: sha256 }", kept: "[Authorization]") }
        #expect(throws: AdapterDefinitionError.self) { try load("{ scheme: shared_credential, accept: [] }") }
        #expect(throws: AdapterDefinitionError.self) { try load("{ scheme: shared_credential, accept: [digest] }") }
    }

    @Test func theHaloPSADefinitionKeepsNoCredentialAndAcceptsBothKinds() throws {
        let adapter = try #require(try AdapterCatalog.load(directory: Repository.adapters)["halopsa"])
        let scheme = try #require(adapter.scheme as? SharedCredentialScheme)
        #expect(scheme.header == "Authorization")
        #expect(scheme.accepted == [.basic, .bearer])
        #expect(!adapter.definition.keptHeaders.contains { $0.lowercased() == "authorization" })
    }
}
