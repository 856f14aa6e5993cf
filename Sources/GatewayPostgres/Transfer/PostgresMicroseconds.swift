import PostgresNIO

/// A `timestamptz` as PostgreSQL keeps it, whole microseconds, counted from 1970 as a store copy
/// carries dates. PostgresNIO's `Date` coding goes through `Double` and cuts toward zero on the way
/// in (`Int64(seconds * 1_000_000)`), which can put a date a microsecond early; this never rounds.
struct PostgresMicroseconds: PostgresNonThrowingEncodable, PostgresDecodable {
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    var sinceUnixEpoch: Int64

    /// PostgreSQL counts from 2000-01-01 00:00:00 UTC.
    static let postgresEpochOffset: Int64 = 946_684_800 * 1_000_000

    init(sinceUnixEpoch: Int64) {
        self.sinceUnixEpoch = sinceUnixEpoch
    }

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        // PostgreSQL's infinities are the extreme values, kept as they are both ways.
        let infinite = sinceUnixEpoch == .max || sinceUnixEpoch == .min
        byteBuffer.writeInteger(infinite ? sinceUnixEpoch : sinceUnixEpoch - Self.postgresEpochOffset)
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary else { throw PostgresDecodingError.Code.typeMismatch }
        guard buffer.readableBytes == 8, let microseconds = buffer.readInteger(as: Int64.self) else { throw PostgresDecodingError.Code.failure }
        let infinite = microseconds == .max || microseconds == .min
        sinceUnixEpoch = infinite ? microseconds : microseconds + Self.postgresEpochOffset
    }
}
