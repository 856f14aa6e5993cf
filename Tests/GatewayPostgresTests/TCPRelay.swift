import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay on 127.0.0.1 in front of a server (PostgreSQL), which a test cuts and restores: the
/// server going away and coming back for one gateway instance, while the shared server keeps
/// serving every other test.
///
/// Cut: every relayed connection is closed and the port refuses new ones. Restore: the same port
/// accepts and relays again.
final class TCPRelay: Sendable {
    private struct State {
        var listener: (any Channel)?
        var port = 0
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    private let target: SocketAddress
    private let state = Mutex(State())

    init(to host: String, port: Int) throws {
        target = try SocketAddress.makeAddressResolvingHost(host, port: port)
    }

    /// The port the relay listens on (0 before `open()`).
    var port: Int { state.withLock { $0.port } }

    /// Starts relaying: on a new port the first time, on the same one after a cut.
    func open() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Nothing is read from a client before its server side is connected.
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in self.relay(inbound) }
            .bind(host: "127.0.0.1", port: port)
            .get()
        state.withLock { state in
            state.listener = listener
            state.port = listener.localAddress?.port ?? 0
        }
    }

    /// Closes every relayed connection and stops listening: new connections are refused.
    func cut() async {
        let (listener, connections) = state.withLock { state in
            defer {
                state.listener = nil
                state.connections = [:]
            }
            return (state.listener, Array(state.connections.values))
        }
        try? await listener?.close()
        for connection in connections { try? await connection.close() }
    }

    private func relay(_ inbound: any Channel) -> EventLoopFuture<Void> {
        ClientBootstrap(group: inbound.eventLoop)
            .channelInitializer { outbound in outbound.pipeline.addHandler(Forward(to: inbound)) }
            .connect(to: target)
            .flatMap { outbound in
                // Connected while a cut happened: that connection is cut too.
                let open = self.state.withLock { state in
                    guard state.listener != nil else { return false }
                    state.connections[ObjectIdentifier(inbound)] = inbound
                    state.connections[ObjectIdentifier(outbound)] = outbound
                    return true
                }
                guard open else {
                    outbound.close(promise: nil)
                    return inbound.close()
                }
                return inbound.pipeline.addHandler(Forward(to: outbound)).flatMap { inbound.setOption(.autoRead, value: true) }
            }
            .flatMapErrorThrowing { error in
                inbound.close(promise: nil)
                throw error
            }
    }

    /// Writes what one side reads to the other, and closes the other when one side closes.
    private final class Forward: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer

        let partner: any Channel

        init(to partner: any Channel) {
            self.partner = partner
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
