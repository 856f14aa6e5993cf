import Foundation

/// What one webhook source may send: how big, how often, and from where.
public struct SourcePolicy: Sendable {
    /// Largest body accepted; larger ones answer 413 before they are read in full.
    public var maxBodyBytes: Int
    /// Sustained requests per second before 429 (`nil`: no limit), with bursts up to `burst`.
    public var requestsPerSecond: Double?
    public var burst: Int
    /// When not empty, only these networks may post (the peer address; a proxy in front must be
    /// listed itself).
    public var allowedNetworks: [IPNetwork]

    public init(maxBodyBytes: Int = 1 << 20, requestsPerSecond: Double? = nil, burst: Int = 50, allowedNetworks: [IPNetwork] = []) {
        self.maxBodyBytes = maxBodyBytes
        self.requestsPerSecond = requestsPerSecond
        self.burst = max(1, burst)
        self.allowedNetworks = allowedNetworks
    }
}

/// An IPv4 or IPv6 network in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`, or one address).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    let address: [UInt8]
    let prefix: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1).map(String.init)
        guard let bytes = Self.bytes(of: parts[0]) else { return nil }
        let maximum = bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maximum
        guard let prefix, (0...maximum).contains(prefix) else { return nil }
        self.address = bytes
        self.prefix = prefix
        self.description = text
    }

    /// Whether `ip` (an address in text form) lies in the network.
    public func contains(_ ip: String) -> Bool {
        guard let bytes = Self.bytes(of: ip), bytes.count == address.count else { return false }
        var remaining = prefix
        for index in address.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if bytes[index] & mask != address[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The address's bytes, through the C library's parser.
    static func bytes(of text: String) -> [UInt8]? {
        // Into plain bytes rather than `in_addr`/`in6_addr`: which C module those structs belong to
        // depends on what else the target imports, and a clean build can disagree with an
        // incremental one.
        var address = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &address) == 1 { return Array(address.prefix(4)) }
        if inet_pton(AF_INET6, text, &address) == 1 { return address }
        return nil
    }
}
