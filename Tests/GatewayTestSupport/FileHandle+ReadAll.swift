public import Foundation

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
