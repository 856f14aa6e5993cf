import Foundation
import GatewayCore
import Testing

/// Durations as configuration writes them.
@Suite struct DurationTextTests {
    @Test func unitsAndBareSecondsAreReadAndAnythingElseIsRefused() {
        #expect(DurationText.seconds("48h") == 172_800)
        #expect(DurationText.seconds(" 30m ") == 1_800)
        #expect(DurationText.seconds("5d") == 432_000)
        #expect(DurationText.seconds("90s") == 90)
        #expect(DurationText.seconds("3600") == 3_600)
        for bad in ["", "h", "0h", "-5m", "1.5h", "5w", "٣h", "48 h"] { #expect(DurationText.seconds(bad) == nil, "\(bad)") }
        #expect(DurationText.text(172_800) == "2d")
        #expect(DurationText.text(7_200) == "2h")
        #expect(DurationText.text(300) == "5m")
        #expect(DurationText.text(5) == "5s")
        #expect(DurationText.text(90) == "90s")
    }
}
