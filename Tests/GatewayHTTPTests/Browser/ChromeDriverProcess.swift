import AsyncHTTPClient
import Foundation
import GatewayTestSupport
import NIOCore
import NIOHTTP1
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the browser harness could not start or talk to the browser. Each case reads as a sentence,
/// so a test that throws it fails with a message saying what to do.
enum BrowserHarnessError: Error, CustomStringConvertible {
    /// A program the harness needs is not there: `tool` is "chromedriver" or "chromium".
    case missingTool(tool: String, variable: String, looked: [String])
    /// chromedriver exited or never said which port it listens on.
    case driverDidNotStart(reason: String, output: String)
    /// A wait for a page condition ran out of time.
    case timedOut(waitingFor: String, after: Duration, lastURL: String?)

    var description: String {
        switch self {
        case .missingTool(let tool, let variable, let looked):
            return """
                the browser tests need \(tool), and it is not at \(looked.joined(separator: ", ")). \
                Install Debian's packages (apt-get install -y --no-install-recommends chromium chromium-driver), \
                or set \(variable) to the path of \(tool).
                """
        case .driverDidNotStart(let reason, let output):
            return "chromedriver did not start: \(reason). It printed: \(output.isEmpty ? "(nothing)" : output)"
        case .timedOut(let what, let after, let lastURL):
            return "timed out after \(after) waiting for \(what)" + (lastURL.map { " (the browser is at \($0))" } ?? "")
        }
    }
}

/// Where chromedriver and Chromium are and how Chromium is started.
///
/// `CHROMEDRIVER` and `CHROMIUM` in the environment name the two programs; without them the
/// harness takes Debian's `/usr/bin/chromedriver` and `/usr/bin/chromium`, then looks on `PATH`.
struct BrowserOptions: Sendable {
    /// The chromedriver executable; nil finds it from `CHROMEDRIVER`, Debian's path or `PATH`.
    var chromedriver: String?
    /// The Chromium executable; nil finds it from `CHROMIUM`, Debian's path or `PATH`.
    var chromium: String?
    /// Window size of the headless browser, which decides what is "visible" to clicks.
    var windowSize = (width: 1280, height: 900)
    /// Chromium flags beside the harness's own (headless, no sandbox, a fresh profile).
    var extraArguments: [String] = []
    /// How long one WebDriver command may take, page loads included.
    var commandTimeout: Duration = .seconds(60)
    /// How long chromedriver may take to start listening.
    var startTimeout: Duration = .seconds(30)

    init(chromedriver: String? = nil, chromium: String? = nil) {
        self.chromedriver = chromedriver
        self.chromium = chromium
    }

    /// The flags every session starts Chromium with. `--no-sandbox` because tests and CI run as
    /// root, where Chromium's sandbox refuses to start; `--disable-dev-shm-usage` because a small
    /// /dev/shm (containers) crashes the renderer; a fresh `--user-data-dir` so no cookie or cache
    /// leaks from one session into another.
    func chromiumArguments(profile: URL) -> [String] {
        [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--user-data-dir=\(profile.path)", "--window-size=\(windowSize.width),\(windowSize.height)",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-sync", "--disable-crash-reporter", "--lang=en-US",
        ] + extraArguments
    }

    /// The two executables, or an error that says how to get them.
    func resolvedTools() throws -> (chromedriver: String, chromium: String) {
        let environment = ProcessInfo.processInfo.environment
        let driver = try Self.locate(
            tool: "chromedriver", explicit: chromedriver, variable: "CHROMEDRIVER", environment: environment,
            candidates: ["/usr/bin/chromedriver"], names: ["chromedriver"])
        let browser = try Self.locate(
            tool: "chromium", explicit: chromium, variable: "CHROMIUM", environment: environment,
            candidates: ["/usr/bin/chromium"], names: ["chromium", "chromium-browser", "google-chrome"])
        return (driver, browser)
    }

    static func locate(
        tool: String, explicit: String?, variable: String, environment: [String: String], candidates: [String], names: [String]
    ) throws -> String {
        let fileManager = FileManager.default
        // An explicit path, in the options or the environment, is taken as it is or not at all.
        if let path = explicit ?? environment[variable].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard fileManager.isExecutableFile(atPath: path) else {
                throw BrowserHarnessError.missingTool(tool: tool, variable: variable, looked: [path])
            }
            return path
        }
        let pathDirectories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let looked = candidates + names.flatMap { name in pathDirectories.map { "\($0)/\(name)" } }
        if let found = looked.first(where: { fileManager.isExecutableFile(atPath: $0) }) { return found }
        throw BrowserHarnessError.missingTool(tool: tool, variable: variable, looked: candidates + names.map { "\($0) on PATH" })
    }
}

/// A chromedriver child process on a loopback port it picked itself (`--port=0`, so two test
/// processes never race for one port). ``stop()`` ends it; ``withBrowser(_:isolation:_:)`` calls
/// that on every path out.
final class ChromeDriverProcess: Sendable {
    /// What chromedriver printed, the last 16 KB of it, for error messages.
    private final class OutputLog: Sendable {
        let text = Mutex("")
        func append(_ data: Data) {
            text.withLock {
                $0 += String(decoding: data, as: UTF8.self)
                if $0.utf8.count > 16_384 { $0 = String($0.suffix(16_384)) }
            }
        }
    }

    let port: Int
    private let process: ChildProcess
    private let output: OutputLog

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var processIdentifier: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    /// The tail of what chromedriver printed.
    var recentOutput: String { output.text.withLock { $0 } }

    private init(port: Int, process: ChildProcess, output: OutputLog) {
        self.port = port
        self.process = process
        self.output = output
    }

    /// Starts chromedriver and returns once its `/status` says it is ready for sessions.
    static func start(executable: String, timeout: Duration = .seconds(30)) async throws -> ChromeDriverProcess {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--port=0", "--allowed-ips=127.0.0.1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let output = OutputLog()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            // An empty read is the end of the stream; stop asking or the handler spins.
            if data.isEmpty { handle.readabilityHandler = nil } else { output.append(data) }
        }
        do {
            try process.run()
        } catch {
            pipe.fileHandleForReading.readabilityHandler = nil
            throw BrowserHarnessError.driverDidNotStart(reason: "\(executable) could not be run: \(error)", output: "")
        }

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        func fail(_ reason: String) -> any Error {
            let driver = ChromeDriverProcess(port: 0, process: process, output: output)
            driver.killNow()
            return BrowserHarnessError.driverDidNotStart(reason: reason, output: driver.recentOutput)
        }

        // "ChromeDriver was started successfully on port 40123."
        var port: Int?
        while port == nil {
            let text = output.text.withLock { $0 }
            if let range = text.range(of: #"started successfully on port \d+"#, options: .regularExpression) {
                port = Int(text[range].split(separator: " ").last!)
                break
            }
            guard process.isRunning else { throw fail("it exited with status \(process.terminationStatus)") }
            guard clock.now < deadline else { throw fail("it did not report its port within \(timeout)") }
            do { try await Task.sleep(for: .milliseconds(20)) } catch {
                _ = fail("cancelled")
                throw error
            }
        }
        let driver = ChromeDriverProcess(port: port!, process: process, output: output)

        // Listening is not yet ready: wait for GET /status to say {"ready": true}.
        while true {
            do {
                let status = try await WebDriverHTTP.send(.GET, "\(driver.baseURL)/status", timeout: .seconds(5))
                if status["ready"]?.boolValue == true { return driver }
            } catch is CancellationError {
                driver.killNow()
                throw CancellationError()
            } catch {
                // Not answering yet; try again until the deadline.
            }
            guard process.isRunning else { throw fail("it exited with status \(process.terminationStatus)") }
            guard clock.now < deadline else { throw fail("GET /status did not answer ready within \(timeout)") }
            do { try await Task.sleep(for: .milliseconds(50)) } catch {
                driver.killNow()
                throw error
            }
        }
    }

    /// Ends chromedriver: asks it to shut down (which also quits any browser a session left open),
    /// then SIGKILL if it is still there after a second.
    ///
    /// Not SIGTERM: a child inherits the signal mask of the thread that spawned it, and Swift's
    /// concurrency threads (Dispatch workers) block SIGTERM, so chromedriver never sees it.
    func stop() async {
        guard process.isRunning else { return }
        if !Task.isCancelled {
            _ = try? await WebDriverHTTP.send(.GET, "\(baseURL)/shutdown", timeout: .seconds(1))
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(1))
            while process.isRunning && clock.now < deadline && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
        }
        killNow()
    }

    /// Ends chromedriver at once with SIGKILL, which no inherited signal setting can ignore.
    func killNow() {
        guard process.isRunning else { return }
        _ = kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { killNow() }
}
