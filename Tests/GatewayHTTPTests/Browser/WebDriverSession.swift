import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON value as WebDriver sends and receives it (its own type, apart from GatewayAdapters' JSONValue).
enum WebDriverJSON: Sendable, Equatable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([WebDriverJSON])
    case object([String: WebDriverJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([WebDriverJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: WebDriverJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Whole numbers go out as integers: WebDriver wants integer timeouts and sizes.
            if value.rounded() == value, abs(value) < 9e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    subscript(key: String) -> WebDriverJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }
    var numberValue: Double? { if case .number(let value) = self { value } else { nil } }
    var arrayValue: [WebDriverJSON]? { if case .array(let value) = self { value } else { nil } }
    var isNull: Bool { self == .null }

    var description: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
    }
}

extension WebDriverJSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(arrayLiteral elements: WebDriverJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, WebDriverJSON)...) { self = .object(Dictionary(uniqueKeysWithValues: elements)) }
    init(nilLiteral: ()) { self = .null }
}

/// An error the browser answered a WebDriver command with, such as "no such element".
struct WebDriverError: Error, CustomStringConvertible {
    /// The W3C error code: "no such element", "stale element reference", "session not created"…
    var error: String
    var message: String
    /// The command, as "POST /session/…/element".
    var command: String
    var httpStatus: Int

    var description: String { "WebDriver \(command) failed (\(httpStatus) \(error)): \(message)" }
}

/// The HTTP-JSON wire of W3C WebDriver: every answer is `{"value": …}`, errors included.
enum WebDriverHTTP {
    static func send(_ method: HTTPMethod, _ url: String, _ body: WebDriverJSON? = nil, timeout: Duration) async throws -> WebDriverJSON {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if method == .POST {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body ?? [:])))
        }
        let (seconds, attoseconds) = timeout.components
        let response = try await HTTPClient.shared.execute(
            request, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        // "POST /session/{id}/element": the session id tells a reader nothing.
        let path = (URL(string: url)?.path ?? url).replacingOccurrences(of: #"^/session/[^/]+"#, with: "/session/{id}", options: .regularExpression)
        let command = "\(method.rawValue) \(path)"
        let answer: WebDriverJSON
        do {
            answer = try JSONDecoder().decode(WebDriverJSON.self, from: Data(bytes.readableBytesView))
        } catch {
            throw WebDriverError(
                error: "unreadable answer", message: String(buffer: bytes).prefix(500).description, command: command,
                httpStatus: Int(response.status.code))
        }
        let value = answer["value"] ?? .null
        if response.status.code >= 400 || value["error"] != nil {
            // The stack trace is chromedriver's own C++ frames: of no use in a test failure.
            throw WebDriverError(
                error: value["error"]?.stringValue ?? "HTTP \(response.status.code)",
                message: value["message"]?.stringValue ?? answer.description, command: command,
                httpStatus: Int(response.status.code))
        }
        return value
    }
}

/// A cookie as the browser holds it.
struct BrowserCookie: Sendable, Equatable {
    var name: String
    var value: String
    var path: String?
    var domain: String?
    var secure: Bool
    var httpOnly: Bool
    /// "Strict", "Lax" or "None", as Chromium reports it.
    var sameSite: String?
    /// Seconds since 1970; nil for a session cookie.
    var expiry: Double?

    init?(_ json: WebDriverJSON) {
        guard let name = json["name"]?.stringValue, let value = json["value"]?.stringValue else { return nil }
        self.name = name
        self.value = value
        path = json["path"]?.stringValue
        domain = json["domain"]?.stringValue
        secure = json["secure"]?.boolValue ?? false
        httpOnly = json["httpOnly"]?.boolValue ?? false
        sameSite = json["sameSite"]?.stringValue
        expiry = json["expiry"]?.numberValue
    }
}

/// One browser session: a headless Chromium that chromedriver drives. Every method is one or a few
/// W3C WebDriver commands; a command the browser refuses throws ``WebDriverError``.
struct WebDriverSession: Sendable {
    let id: String
    /// chromedriver's address, "http://127.0.0.1:PORT".
    let driverURL: String
    /// Chromium's main process, so it can be killed if the session cannot be deleted.
    let browserProcessID: Int32?
    let commandTimeout: Duration

    /// Starts Chromium through chromedriver.
    static func create(driverURL: String, chromium: String, arguments: [String], commandTimeout: Duration) async throws -> WebDriverSession {
        let capabilities: WebDriverJSON = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": ["binary": .string(chromium), "args": .array(arguments.map { .string($0) })],
                ]
            ]
        ]
        let value = try await WebDriverHTTP.send(.POST, "\(driverURL)/session", capabilities, timeout: commandTimeout)
        guard let id = value["sessionId"]?.stringValue else {
            throw WebDriverError(error: "session not created", message: "no sessionId in \(value)", command: "POST /session", httpStatus: 200)
        }
        let pid = value["capabilities"]?["goog:processID"]?.numberValue.map { Int32($0) }
        let session = WebDriverSession(id: id, driverURL: driverURL, browserProcessID: pid, commandTimeout: commandTimeout)
        // No implicit wait: a missing element fails at once; waitForElement waits on purpose.
        try await session.post("timeouts", ["implicit": 0, "pageLoad": .number(commandTimeout.seconds * 1000), "script": 10_000])
        return session
    }

    /// Deletes the session, which quits Chromium; kills Chromium if chromedriver cannot.
    func end() async {
        do {
            _ = try await WebDriverHTTP.send(.DELETE, "\(driverURL)/session/\(id)", timeout: .seconds(15))
        } catch {
            if let browserProcessID, browserProcessID > 0 { kill(browserProcessID, SIGKILL) }
        }
    }

    // MARK: Commands

    @discardableResult
    func post(_ path: String, _ body: WebDriverJSON = [:]) async throws -> WebDriverJSON {
        try await WebDriverHTTP.send(.POST, "\(driverURL)/session/\(id)/\(path)", body, timeout: commandTimeout)
    }

    func get(_ path: String) async throws -> WebDriverJSON {
        try await WebDriverHTTP.send(.GET, "\(driverURL)/session/\(id)/\(path)", timeout: commandTimeout)
    }

    /// Loads `url` and returns once the page has loaded.
    func navigate(to url: String) async throws { try await post("url", ["url": .string(url)]) }
    func back() async throws { try await post("back") }
    func refresh() async throws { try await post("refresh") }

    func currentURL() async throws -> String { try await get("url").stringValue ?? "" }
    func title() async throws -> String { try await get("title").stringValue ?? "" }
    /// The DOM serialized as HTML (the live document, not the bytes the server sent).
    func pageSource() async throws -> String { try await get("source").stringValue ?? "" }

    /// The first element matching a CSS selector; throws "no such element" if there is none.
    func findElement(_ selector: String) async throws -> WebElement {
        let value = try await post("element", ["using": "css selector", "value": .string(selector)])
        return try WebElement(session: self, reference: value)
    }

    /// Every element matching a CSS selector, maybe none.
    func findElements(_ selector: String) async throws -> [WebElement] {
        let value = try await post("elements", ["using": "css selector", "value": .string(selector)])
        return try (value.arrayValue ?? []).map { try WebElement(session: self, reference: $0) }
    }

    /// Clears the field at `selector` and types `text` into it.
    func fill(_ selector: String, with text: String) async throws {
        let element = try await findElement(selector)
        try await element.clear()
        try await element.sendKeys(text)
    }

    /// Clicks the element at `selector`; a click that submits a form returns after the next page loads.
    func click(_ selector: String) async throws { try await findElement(selector).click() }

    /// The rendered text of the element at `selector`.
    func text(of selector: String) async throws -> String { try await findElement(selector).text() }

    /// Runs `script` as the body of a function in the page (`return …` gives a value back).
    @discardableResult
    func execute(_ script: String, _ arguments: [WebDriverJSON] = []) async throws -> WebDriverJSON {
        try await post("execute/sync", ["script": .string(script), "args": .array(arguments)])
    }

    /// Every cookie the browser would send to the current page, HttpOnly ones included.
    func cookies() async throws -> [BrowserCookie] {
        (try await get("cookie").arrayValue ?? []).compactMap(BrowserCookie.init)
    }

    func cookie(named name: String) async throws -> BrowserCookie? {
        try await cookies().first { $0.name == name }
    }

    func deleteAllCookies() async throws {
        _ = try await WebDriverHTTP.send(.DELETE, "\(driverURL)/session/\(id)/cookie", timeout: commandTimeout)
    }

    /// A PNG of the viewport: write it to a file and look at it when a test puzzles you.
    func screenshot() async throws -> Data {
        guard let base64 = try await get("screenshot").stringValue, let data = Data(base64Encoded: base64) else {
            throw WebDriverError(error: "unreadable answer", message: "the screenshot is not base64", command: "GET /screenshot", httpStatus: 200)
        }
        return data
    }

    // MARK: Waiting

    /// Polls `condition` until it holds; throws ``BrowserHarnessError/timedOut(waitingFor:after:lastURL:)``.
    ///
    /// A WebDriver error inside `condition` (no such element, a stale element) counts as "not
    /// yet": after a click the old page may still be there, or the new one half loaded.
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var lastError: WebDriverError?
        while true {
            do {
                if try await condition() { return }
                lastError = nil
            } catch let error as WebDriverError {
                lastError = error
            }
            guard clock.now < deadline else {
                throw BrowserHarnessError.timedOut(
                    waitingFor: what + (lastError.map { " (last error: \($0))" } ?? ""), after: timeout, lastURL: try? await currentURL())
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until an element matches `selector` and returns it.
    func waitForElement(_ selector: String, timeout: Duration = .seconds(10)) async throws -> WebElement {
        var found: WebElement?
        try await waitUntil("an element matching \(selector)", timeout: timeout) {
            found = try await findElements(selector).first
            return found != nil
        }
        return found!
    }
}

/// An element of the current page. It goes stale when the page is left.
struct WebElement: Sendable {
    /// The key W3C WebDriver names element references by.
    static let referenceKey = "element-6066-11e4-a52e-4f735466cecf"

    let session: WebDriverSession
    let id: String

    init(session: WebDriverSession, reference: WebDriverJSON) throws {
        guard let id = reference[Self.referenceKey]?.stringValue else {
            throw WebDriverError(error: "unreadable answer", message: "not an element: \(reference)", command: "element", httpStatus: 200)
        }
        self.session = session
        self.id = id
    }

    private var path: String { "element/\(id)" }

    func click() async throws { try await session.post("\(path)/click") }
    func clear() async throws { try await session.post("\(path)/clear") }
    /// Types `text` as key presses, so the page's input events fire as they would for a person.
    func sendKeys(_ text: String) async throws { try await session.post("\(path)/value", ["text": .string(text)]) }
    func text() async throws -> String { try await session.get("\(path)/text").stringValue ?? "" }
    func tagName() async throws -> String { try await session.get("\(path)/name").stringValue ?? "" }
    /// The HTML attribute as written in the markup, nil if absent.
    func attribute(_ name: String) async throws -> String? { try await session.get("\(path)/attribute/\(name)").stringValue }
    /// The DOM property, e.g. "value" of an input as it is now.
    func property(_ name: String) async throws -> WebDriverJSON { try await session.get("\(path)/property/\(name)") }
    func isDisplayed() async throws -> Bool { try await session.get("\(path)/displayed").boolValue ?? false }
    func isEnabled() async throws -> Bool { try await session.get("\(path)/enabled").boolValue ?? false }
}

extension Duration {
    /// Whole and fractional seconds, for JSON.
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
