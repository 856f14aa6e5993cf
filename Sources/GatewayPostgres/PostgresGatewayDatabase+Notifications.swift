import PostgresNIO

extension PostgresGatewayDatabase {
    /// Yields after each committed `NOTIFY` on `channel` whose payload names this schema, sent by
    /// any instance. One pooled connection listens; when it is lost it listens again a second later,
    /// and the caller's polling covers the gap (a notification is a wake-up, never the only way
    /// work is found).
    ///
    /// Channels are per database, so writers send `current_schema()` as the payload and listeners
    /// ignore other schemas' (tests and several gateways may share one database).
    func notifications(on channel: String, what: String) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let listener = Task { [client, logger] in
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        let schema = try await connection.execute("SELECT current_schema()", logger: logger).first?.decode(String?.self)
                        try await connection.listen(on: channel) { notifications in
                            for try await notification in notifications where notification.payload == schema { continuation.yield() }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("listening for \(what) failed; polling meanwhile", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in listener.cancel() }
        return stream
    }
}
