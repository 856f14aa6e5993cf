import Crypto
public import Foundation
public import GatewayCore

/// Stripe's scheme: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over
/// `"<t>." + body` keyed with the whole `whsec_…` string, any `v1` may match, `v0` and other
/// schemes are ignored (no downgrade), and `t` must be recent.
public struct StripeSignatureScheme: SignatureScheme {
    public var name: String { "stripe" }
    public var header: String
    /// How old a signature may be; Stripe's libraries use 300 s.
    public var tolerance: TimeInterval
    /// How far in the future a timestamp may be, for clock skew; Stripe's libraries do not check.
    public var futureTolerance: TimeInterval

    public init(header: String = "Stripe-Signature", tolerance: TimeInterval = 300, futureTolerance: TimeInterval = 60) {
        self.header = header
        self.tolerance = tolerance
        self.futureTolerance = futureTolerance
    }

    public func verify(body: Data, headers: HeaderValues, secrets: [Secret], now: Date) throws(SignatureFailure) -> Verification {
        guard !secrets.isEmpty else { throw SignatureFailure(.noSecretConfigured, "no signing secret is configured for this source") }
        guard let value = headers[header] else { throw SignatureFailure(.missingHeader, "the \(header) header is missing") }

        var timestamp: Int64?
        var signatures: [Data] = []
        for item in value.split(separator: ",") {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let key = item[..<equals].trimmingWhitespace()
            let rest = item[item.index(after: equals)...].trimmingWhitespace()
            switch key {
            case "t": timestamp = Int64(rest)
            case "v1": if let bytes = Hex.decode(rest) { signatures.append(bytes) }
            default: continue
            }
        }
        guard let timestamp else { throw SignatureFailure(.malformedHeader, "\(header) has no valid t= timestamp") }
        guard !signatures.isEmpty else { throw SignatureFailure(.malformedHeader, "\(header) has no v1= signature") }

        let signedAt = Date(timeIntervalSince1970: TimeInterval(timestamp))
        let age = now.timeIntervalSince(signedAt)
        guard age <= tolerance, -age <= futureTolerance else {
            throw SignatureFailure(
                .timestampOutsideTolerance,
                "t=\(timestamp) is \(Int(age)) s from the gateway's clock; allowed: \(Int(tolerance)) s old, \(Int(futureTolerance)) s ahead")
        }

        var matched: Int?
        for (index, secret) in secrets.enumerated() {
            let mac = Self.code(body: body, timestamp: timestamp, secret: secret)
            for signature in signatures where mac == signature && matched == nil {
                matched = index
            }
        }
        guard let matched else { throw SignatureFailure(.noSignatureMatched, "no v1 signature matched a configured secret") }
        return Verification(scheme: name, matchedSecretIndex: matched, signedAt: signedAt)
    }

    public func sign(body: Data, secret: Secret, at date: Date) -> [(name: String, value: String)] {
        let timestamp = Int64(date.timeIntervalSince1970)
        let mac = Self.code(body: body, timestamp: timestamp, secret: secret)
        return [(header, "t=\(timestamp),v1=\(Hex.encode(mac))")]
    }

    private static func code(body: Data, timestamp: Int64, secret: Secret) -> HashedAuthenticationCode<SHA256> {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret.utf8))
        hmac.update(data: Data("\(timestamp).".utf8))
        hmac.update(data: body)
        return hmac.finalize()
    }
}
