/// Runs operations one after another, in call order, even when callers overlap.
actor SerialPasses {
    private var last: Task<Int, any Error>?

    func run(_ operation: @escaping @Sendable () async throws -> Int) async throws -> Int {
        let previous = last
        let task = Task {
            _ = await previous?.result
            return try await operation()
        }
        last = task
        return try await task.value
    }
}
