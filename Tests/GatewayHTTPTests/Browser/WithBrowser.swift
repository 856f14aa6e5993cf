import Foundation

/// Runs `body` with a fresh headless Chromium, driven over W3C WebDriver by its own chromedriver.
///
///     try await app.test(.live) { client in
///         let port = try #require(client.port)
///         try await withBrowser { browser in
///             try await browser.navigate(to: "http://127.0.0.1:\(port)/console/login")
///             try await browser.fill("#password", with: "secret")
///             try await browser.click("button[type=submit]")
///             #expect(try await browser.text(of: "h1") == "Console")
///         }
///     }
///
/// Each call has its own chromedriver, Chromium and empty profile, so tests may run in parallel and
/// share no cookies. On every way out, thrown errors and cancellation included, the session is
/// deleted (Chromium is killed if that fails), chromedriver is stopped and the profile removed.
/// Chromium and chromedriver come from `CHROMIUM` and `CHROMEDRIVER` or Debian's paths; if either
/// is missing this throws a ``BrowserHarnessError`` that says how to install them.
func withBrowser<T>(
    _ options: BrowserOptions = BrowserOptions(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (WebDriverSession) async throws -> T
) async throws -> T {
    let tools = try options.resolvedTools()
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-chromium-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: profile) }

    let driver = try await ChromeDriverProcess.start(executable: tools.chromedriver, timeout: options.startTimeout)
    do {
        let session = try await WebDriverSession.create(
            driverURL: driver.baseURL, chromium: tools.chromium, arguments: options.chromiumArguments(profile: profile),
            commandTimeout: options.commandTimeout)
        let result: T
        do {
            result = try await body(session)
        } catch {
            await session.end()
            throw error
        }
        await session.end()
        await driver.stop()
        return result
    } catch {
        await driver.stop()
        throw error
    }
}
