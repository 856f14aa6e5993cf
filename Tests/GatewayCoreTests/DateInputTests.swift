import Foundation
import GatewayCore
import Testing

/// Dates as admins type them.
@Suite struct DateInputTests {
    @Test func anImpossibleDayIsRefusedRatherThanRolledOver() throws {
        #expect(try DateInput.parse("2024-02-29", field: "on") == Date(timeIntervalSince1970: 1_709_164_800))
        for text in ["2026-02-30", "2025-04-31", "2025-13-01", "2025-00-10"] {
            #expect(throws: GatewayError.self, "\(text)") { try DateInput.parse(text, field: "on") }
        }
    }
}
