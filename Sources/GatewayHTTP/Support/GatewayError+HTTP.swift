public import GatewayCore
public import HTTPTypes
public import Hummingbird

/// The one mapping from the engine's refusals to HTTP: the same refusal answers the same status
/// in the admin API, the reports and the console.
extension GatewayError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch code {
        case .invalid: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        default: .unprocessableContent
        }
    }

    /// `{"error": "<code>", "reason": "<sentence>"}`, as every JSON refusal, with `"field"` when
    /// one input is at fault.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try APIError(status, code.rawValue, message, field: field).response(from: request, context: context)
    }
}

extension Request {
    /// The JSON body as `type`; a body that does not decode is refused as invalid input, with
    /// the reason the decoder gave (Hummingbird turns decoding errors into a 400 with a message).
    func decodeInput<Value: Decodable>(as type: Value.Type, context: some RequestContext) async throws -> Value {
        do {
            return try await decode(as: type, context: context)
        } catch let error as HTTPError where error.status == .badRequest {
            throw GatewayError.invalid(error.body ?? "the body is not valid JSON")
        }
    }
}
