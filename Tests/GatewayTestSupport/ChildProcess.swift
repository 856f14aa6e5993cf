public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests, started with `posix_spawn`: the part of Foundation's `Process` the
/// tests use, under the same names.
///
/// Foundation's `Process.run()` in this toolchain (swift-corelibs-foundation, Swift 6.3.1) finds
/// the descriptors to close by copying whole `dirent` records out of `readdir(3)`, reading past the
/// end of glibc's buffer: with the hundreds of descriptors a parallel test run holds open it
/// crashed the suite (SIGSEGV in a `memmove` inside `run()`), serialized launches or not. Upstream
/// has fixed it; until the toolchain has the fix, tests start children here. The child keeps
/// descriptors 0 to 2 only (`posix_spawn_file_actions_addclosefrom_np`), as Foundation's does.
public final class ChildProcess: Sendable {
    private struct Setup {
        var executableURL: URL?
        var arguments: [String] = []
        var environment: [String: String]?
        var standardInput: (any Sendable)?
        var standardOutput: (any Sendable)?
        var standardError: (any Sendable)?
        var terminationHandler: (@Sendable (ChildProcess) -> Void)?
    }

    private struct State {
        var pid: pid_t = 0
        /// The raw `waitpid` status, once the child ended.
        var status: Int32?
    }

    private let setup = Mutex(Setup())
    private let state = Mutex(State())
    private let ended = DispatchSemaphore(value: 0)

    public init() {}

    public var executableURL: URL? {
        get { setup.withLock { $0.executableURL } }
        set { setup.withLock { $0.executableURL = newValue } }
    }

    public var arguments: [String]? {
        get { setup.withLock { $0.arguments } }
        set { setup.withLock { $0.arguments = newValue ?? [] } }
    }

    /// The child's whole environment; nil inherits the test process's.
    public var environment: [String: String]? {
        get { setup.withLock { $0.environment } }
        set { setup.withLock { $0.environment = newValue } }
    }

    /// A `Pipe` (the child gets its reading end) or a `FileHandle`; nil inherits the test's.
    public var standardInput: (any Sendable)? {
        get { setup.withLock { $0.standardInput } }
        set { setup.withLock { $0.standardInput = newValue } }
    }

    /// A `Pipe` (the child gets its writing end, closed here once the child has it) or a
    /// `FileHandle`; nil inherits the test's.
    public var standardOutput: (any Sendable)? {
        get { setup.withLock { $0.standardOutput } }
        set { setup.withLock { $0.standardOutput = newValue } }
    }

    public var standardError: (any Sendable)? {
        get { setup.withLock { $0.standardError } }
        set { setup.withLock { $0.standardError = newValue } }
    }

    /// Called once, on a thread of its own, when the child has ended.
    public var terminationHandler: (@Sendable (ChildProcess) -> Void)? {
        get { setup.withLock { $0.terminationHandler } }
        set { setup.withLock { $0.terminationHandler = newValue } }
    }

    public var processIdentifier: Int32 { state.withLock { $0.pid } }

    public var isRunning: Bool { state.withLock { $0.pid != 0 && $0.status == nil } }

    /// The exit code, or the signal that ended the child.
    public var terminationStatus: Int32 {
        guard let status = state.withLock({ $0.status }) else { preconditionFailure("the child is still running") }
        return Self.exited(status) ? (status >> 8) & 0xff : status & 0x7f
    }

    public var terminationReason: Process.TerminationReason {
        guard let status = state.withLock({ $0.status }) else { preconditionFailure("the child is still running") }
        return Self.exited(status) ? .exit : .uncaughtSignal
    }

    /// Starts the child.
    ///
    /// - Throws: `CocoaError(.fileNoSuchFile)` without an executable; a POSIX error when the
    ///   spawn failed.
    public func run() throws {
        let setup = setup.withLock { $0 }
        guard let executable = setup.executableURL?.path else { throw CocoaError(.fileNoSuchFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var toClose: [FileHandle] = []
        for (target, stream, readsFromIt) in [
            (Int32(0), setup.standardInput, true), (1, setup.standardOutput, false), (2, setup.standardError, false),
        ] {
            switch stream {
            case let pipe as Pipe:
                let end = readsFromIt ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                posix_spawn_file_actions_adddup2(&actions, end.fileDescriptor, target)
                toClose.append(end)
            case let handle as FileHandle:
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            default:
                break
            }
        }
        try Self.closeFrom(3, in: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, as Foundation's: a signal to the test's group does not reach it.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv = ([executable] + setup.arguments).map { strdup($0) } + [nil]
        let environment = setup.environment ?? ProcessInfo.processInfo.environment
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        // The child has its own copies: the test's ends are closed so a reader sees the end of
        // the stream when the child exits.
        for handle in toClose { try? handle.close() }
        state.withLock { $0.pid = pid }
        let reaper = Thread { [self, pid] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            state.withLock { $0.status = status }
            ended.signal()
            self.setup.withLock { $0.terminationHandler }?(self)
        }
        reaper.name = "child \(pid)"
        reaper.start()
    }

    /// Blocks until the child has ended.
    public func waitUntilExit() {
        guard state.withLock({ $0.pid != 0 }) else { return }
        ended.wait()
        ended.signal()
    }

    /// Sends SIGTERM.
    public func terminate() { send(SIGTERM) }

    /// Sends SIGINT.
    public func interrupt() { send(SIGINT) }

    private func send(_ signal: Int32) {
        state.withLock { state in
            if state.pid != 0, state.status == nil { kill(state.pid, signal) }
        }
    }

    private static func exited(_ status: Int32) -> Bool { status & 0x7f == 0 }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not declare.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    private static let addCloseFrom: AddCloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    private static func closeFrom(_ lowest: Int32, in actions: inout posix_spawn_file_actions_t) throws {
        guard let addCloseFrom else { throw POSIXError(.ENOSYS) }
        let result = addCloseFrom(&actions, lowest)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
    }
}
