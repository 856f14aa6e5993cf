public import Hummingbird
public import NIOCore

/// The request context of every gateway route: Hummingbird's core storage plus the peer address,
/// which rejection records and IP allow-lists need.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
