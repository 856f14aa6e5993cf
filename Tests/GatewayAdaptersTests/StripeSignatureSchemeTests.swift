import Foundation
import GatewayAdapters
import GatewayCore
import Testing

/// The vectors of `shared/reference/vendors.md` §7.1.
@Suite struct StripeSignatureSchemeTests {
    let scheme = StripeSignatureScheme()
    let body = Data(#"{"id":"evt_fixture_0001","object":"event","type":"invoice.paid"}"#.utf8)
    let current = Secret("whsec_fixtureOnlyNotARealSecret0001")
    let old = Secret("whsec_fixtureOnlyNotARealSecret0002")
    let signedAt = Date(timeIntervalSince1970: 1_748_736_000)
    let currentSignature = "c453527ae8ddadf99e9280e1e2d5ee6d9db9ea9230f6b960247f084245a0b92c"
    let oldSignature = "d57fd6d13cdbaa7aec44abbaec9f1d4514c81a9ac7ca5e1e2803158256369279"

    func headers(_ value: String) -> HeaderValues { HeaderValues([("Stripe-Signature", value)]) }

    func failure(
        _ value: String?, body: Data? = nil, secrets: [Secret]? = nil, now: Date? = nil
    ) -> SignatureFailure.Code? {
        do {
            _ = try scheme.verify(
                body: body ?? self.body, headers: value.map(headers) ?? HeaderValues(), secrets: secrets ?? [current],
                now: now ?? signedAt)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func signsTheVectorExactly() {
        let signed = scheme.sign(body: body, secret: current, at: signedAt)
        #expect(signed.map(\.name) == ["Stripe-Signature"])
        #expect(signed.first?.value == "t=1748736000,v1=\(currentSignature)")
    }

    @Test func verifiesTheVector() throws {
        let verification = try scheme.verify(
            body: body, headers: headers("t=1748736000,v1=\(currentSignature)"), secrets: [current], now: signedAt)
        #expect(verification.matchedSecretIndex == 0)
        #expect(verification.signedAt == signedAt)
        #expect(verification.scheme == "stripe")
    }

    @Test func duringARotationEitherSecretVerifiesAndTheMatchIsRecordedByPosition() throws {
        let rotation =
            "t=1748736000,v1=\(currentSignature),v1=\(oldSignature),v0=0000000000000000000000000000000000000000000000000000000000000000"
        #expect(try scheme.verify(body: body, headers: headers(rotation), secrets: [current, old], now: signedAt).matchedSecretIndex == 0)
        #expect(try scheme.verify(body: body, headers: headers(rotation), secrets: [old], now: signedAt).matchedSecretIndex == 0)
        let onlyOld = "t=1748736000,v1=\(oldSignature)"
        #expect(try scheme.verify(body: body, headers: headers(onlyOld), secrets: [current, old], now: signedAt).matchedSecretIndex == 1)
    }

    @Test func aTamperedBodyMatchesNoSignature() {
        var tampered = body
        tampered.append(UInt8(ascii: " "))
        #expect(failure("t=1748736000,v1=\(currentSignature)", body: tampered) == .noSignatureMatched)
        // The vector for the tampered body, signed with the real secret, does verify it.
        #expect(failure("t=1748736000,v1=9693349584c14f8c79bf9ff73ba8dd85af0cad688ba9a4cdd66326861253dbf3", body: tampered) == nil)
    }

    @Test func eachFailureHasItsReason() {
        #expect(failure(nil) == .missingHeader)
        #expect(failure("v1=\(currentSignature)") == .malformedHeader)
        #expect(failure("t=soon,v1=\(currentSignature)") == .malformedHeader)
        #expect(failure("t=1748736000") == .malformedHeader)
        #expect(failure("t=1748736000,v1=nothex") == .malformedHeader)
        #expect(failure("t=1748736000,v1=\(currentSignature)", secrets: [old]) == .noSignatureMatched)
        #expect(failure("t=1748736000,v1=\(currentSignature)", secrets: []) == .noSecretConfigured)
    }

    @Test func onlyV1CountsSoAV0SignatureCannotDowngradeTheCheck() {
        #expect(failure("t=1748736000,v0=\(currentSignature)") == .malformedHeader)
        #expect(failure("t=1748736000,v0=\(currentSignature),v1=\(oldSignature)") == .noSignatureMatched)
    }

    @Test func toleranceEdges() {
        let header = "t=1748736000,v1=\(currentSignature)"
        #expect(failure(header, now: signedAt.addingTimeInterval(300)) == nil)
        #expect(failure(header, now: signedAt.addingTimeInterval(301)) == .timestampOutsideTolerance)
        #expect(failure(header, now: signedAt.addingTimeInterval(-60)) == nil)
        #expect(failure(header, now: signedAt.addingTimeInterval(-61)) == .timestampOutsideTolerance)
    }

    @Test func theFailureDetailNeverCarriesTheSecret() {
        do {
            _ = try scheme.verify(body: body, headers: headers("t=1748736000,v1=\(oldSignature)"), secrets: [current], now: signedAt)
            Issue.record("expected a failure")
        } catch {
            #expect(!error.description.contains(current.value))
            #expect("\(current)" == "<secret>")
        }
    }
}
