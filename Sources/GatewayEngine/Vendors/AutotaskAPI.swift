import AsyncHTTPClient
import Foundation
import GatewayAdapters
import NIOCore
import NIOHTTP1

/// Autotask's REST API as the gateway's API user calls it, for the contract poller and the
/// backfill: header authentication (`ApiIntegrationCode`, `UserName`, `Secret`), an entity's
/// `query` (POST with a search filter) and the `pageDetails.nextPageUrl` of each answer,
/// Autotask's `{"errors": [{"message": …}]}` in reasons, and retries: 429 and 5xx with backoff
/// (or for a 429's `Retry-After`, when the policy waits out rate limits), never a refusal.
struct AutotaskAPI: Sendable {
    let credentials: AutotaskContractPoller.Credentials
    let client: HTTPClient

    /// The first page of `entity`'s records that `search` selects:
    /// `POST <zone>/v1.0/<entity>/query` with `{"filter": […], "maxRecords": …}`.
    func query(_ entity: String, search: JSONValue, retry: RetryPolicy) async throws(FetchFailure) -> JSONValue {
        let body: Data
        do {
            body = try Self.encoder.encode(search)
        } catch {
            throw FetchFailure("the \(entity) query could not be written: \(error)", transient: false)
        }
        return try await call(credentials.apiBase.appendingPathComponent("v1.0/\(entity)/query"), method: .POST, body: body, retry: retry)
    }

    /// The page a `nextPageUrl` names.
    func page(_ url: URL, retry: RetryPolicy) async throws(FetchFailure) -> JSONValue {
        try await call(url, method: .GET, body: nil, retry: retry)
    }

    /// The page after `page`, when Autotask says there is one.
    func nextPage(of page: JSONValue) -> URL? {
        guard let next = page.value(at: FieldPath("pageDetails.nextPageUrl"))?.scalarText, !next.isEmpty else { return nil }
        return URL(string: next, relativeTo: credentials.apiBase)?.absoluteURL
    }

    /// A page's records.
    func items(of page: JSONValue, _ what: String) throws(FetchFailure) -> [JSONValue] {
        guard case .array(let items)? = page.value(at: FieldPath("items")) else {
            throw FetchFailure("Autotask answered the \(what) query without items", transient: false)
        }
        return items
    }

    private func call(_ url: URL, method: HTTPMethod, body: Data?, retry: RetryPolicy) async throws(FetchFailure) -> JSONValue {
        try await retry.run { await attempt(url, method: method, body: body) }
    }

    private func attempt(_ url: URL, method: HTTPMethod, body: Data?) async -> Result<JSONValue, FetchFailure> {
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = method
            request.headers.add(name: "ApiIntegrationCode", value: credentials.integrationCode)
            request.headers.add(name: "UserName", value: credentials.userName)
            request.headers.add(name: "Secret", value: credentials.secret.value)
            request.headers.add(name: "Accept", value: "application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response = try await client.execute(request, timeout: .seconds(30))
            let data = Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)
            let document = try? JSONValue.parse(data)
            let code = Int(response.status.code)
            if code == 200, let document { return .success(document) }
            let messages = Self.errorMessages(document).map { ": \($0)" } ?? ""
            switch code {
            case 401, 403:
                return .failure(
                    FetchFailure(
                        "Autotask answered HTTP \(code)\(messages) (check GATEWAY_AUTOTASK_API_USERNAME, GATEWAY_AUTOTASK_API_SECRET and "
                            + "GATEWAY_AUTOTASK_API_INTEGRATION_CODE)", transient: false, status: code))
            case 429:
                return .failure(
                    FetchFailure(
                        "Autotask answered HTTP 429\(messages)", transient: true, status: code,
                        retryAfter: VendorRequest.retryAfter(response.headers.first(name: "Retry-After"))))
            default:
                return .failure(FetchFailure("Autotask answered HTTP \(code)\(messages)", transient: code == 408 || code >= 500, status: code))
            }
        } catch {
            return .failure(FetchFailure("Autotask could not be reached (\(type(of: error)))", transient: true))
        }
    }

    /// `{"errors": [{"message": …}]}`, Autotask's error shape.
    private static func errorMessages(_ document: JSONValue?) -> String? {
        guard case .array(let errors)? = document?.value(at: FieldPath("errors")) else { return nil }
        let messages = errors.compactMap { $0.value(at: FieldPath("message"))?.scalarText.map { String($0.prefix(200)) } }
        return messages.isEmpty ? nil : messages.joined(separator: "; ")
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}
