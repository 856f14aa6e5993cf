public import Foundation
public import GatewayCore

/// How reports write values for people: amounts with their currency, days in UTC, percentages.
public enum Display {
    public static func money(_ amounts: [Money]) -> String {
        amounts.isEmpty ? "—" : amounts.map(\.description).joined(separator: ", ")
    }

    public static func day(_ date: Date?) -> String {
        date.map { $0.formatted(.iso8601.year().month().day()) } ?? ""
    }

    public static func percent(_ value: Double?) -> String {
        value.map { "\($0.formatted(.number.precision(.fractionLength(1)))) %" } ?? "—"
    }

    public static func number(_ value: Double?) -> String {
        value.map { $0.formatted(.number.precision(.fractionLength(0...2))) } ?? "—"
    }

    /// A partner kind as people write it: `vCIO`, `Peer MSP`, `Center of influence`.
    public static func kind(_ kind: Partner.Kind) -> String {
        switch kind {
        case .vcio: "vCIO"
        case .peerMSP: "Peer MSP"
        default: words(kind.rawValue)
        }
    }

    /// `Center of influence` for `center_of_influence`.
    public static func words(_ raw: String) -> String {
        let text = raw.replacingOccurrences(of: "_", with: " ")
        return text.prefix(1).uppercased() + text.dropFirst()
    }
}
