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

extension FileHandle {
    /// Everything up to the end of the file, reading again when a signal interrupts a read (EINTR).
    /// Foundation's `readDataToEndOfFile()` traps on EINTR, and the suite's child processes, started
    /// and killed by the hundred, send the test process signals.
    public func readAllRetryingInterrupts() -> Data {
        var data = Data()
        while true {
            do {
                guard let chunk = try read(upToCount: 65_536), !chunk.isEmpty else { return data }
                data.append(chunk)
            } catch let error as NSError
                where error.code == Int(EINTR) || (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(EINTR)
            {
                continue
            } catch {
                return data
            }
        }
    }
}
