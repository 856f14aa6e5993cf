public import Hummingbird
import Logging
public import NIOCore

/// The request context of every gateway route: Hummingbird's core storage, the peer address
/// (for rejection records and IP allow-lists) and the request id that lands on a stored delivery.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Hummingbird's request id when its logger carries one, else a fresh one; every log line of
    /// the request carries it too.
    public let requestID: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        // `RequestContext.id` unwraps logger metadata, which a handler may not keep; never crash on it.
        if let id = source.logger[metadataKey: "hb.request.id"] {
            self.requestID = id.description
        } else {
            let id = String(UInt64.random(in: .min ... .max), radix: 16)
            self.requestID = id
            self.logger[metadataKey: "request_id"] = "\(id)"
        }
    }
}
