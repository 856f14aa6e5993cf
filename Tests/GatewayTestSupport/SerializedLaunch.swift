public import Foundation
import Synchronization

extension Process {
    /// `run()`, one launch at a time across the whole test process. Foundation's `Process.run()`
    /// on Linux crashed (SIGSEGV in a copy inside it) when the suite's parallel tests launched
    /// gateway processes at the same moment; launches are quick, so taking turns costs nothing.
    public func runSerialized() throws {
        try ProcessLaunches.lock.withLock { _ in try run() }
    }
}

private enum ProcessLaunches {
    static let lock = Mutex(())
}
