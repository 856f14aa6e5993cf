import Foundation
import GatewayCore
@testable import GatewayPostgres
import GatewayRepositories
import PostgresNIO
import Testing

/// The schema's migrations, the refusal of a newer one, and what the schema itself keeps.
@Suite(PostgresTestDatabase.enabled) struct PostgresSchemaTests {
    @Test func aMigratedDatabaseIsReadyAndMigratingAgainDoesNothing() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            #expect(try await database.isMigrated())
            #expect(try await database.migrate().isEmpty)
            let applied = try await database.rows("SELECT identifier FROM gateway_migrations").map { try $0.decode(String.self) }
            #expect(applied == PostgresSchema.migrations.map(\.identifier))
        }
    }

    @Test func instancesStartingTogetherMigrateOnce() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 3, migrated: false) { databases in
            #expect(try await databases[0].isMigrated() == false, "an empty schema is not ready")
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for database in databases { group.addTask { try await database.migrate() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(applied.filter { !$0.isEmpty } == [PostgresSchema.migrations.map(\.identifier)])
            #expect(try await databases[2].isMigrated())
        }
    }

    @Test func aDatabaseMigratedByANewerBuildIsRefusedSayingSo() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await database.execute("INSERT INTO gateway_migrations (identifier) VALUES ('v99: from the future')")
            let attempts: [() async throws -> Int] = [{ try await database.migrate().count }, { try await database.isMigrated() ? 1 : 0 }]
            for attempt in attempts {
                do {
                    _ = try await attempt()
                    Issue.record("a newer schema was accepted")
                } catch let error as GatewayError {
                    #expect(error.code == .invalid)
                    #expect(error.message.contains("has a newer schema than this build knows (v99: from the future)"))
                    #expect(error.message.contains(database.location))
                }
            }
        }
    }

    @Test func balancesFollowEveryAccrualChangeThroughTheTrigger() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let at = Date(timeIntervalSince1970: 1_748_736_000)
            try await database.execute("INSERT INTO partner (id, name, kind, payout_form, created_at) VALUES (1, 'Acme CPA', 'center_of_influence', 'cash', \(at))")
            try await database.execute("INSERT INTO plan (id, name) VALUES (1, 'standard')")
            try await database.execute(
                """
                INSERT INTO referral (id, partner_id, plan_id, prospect_name, domains, contact_emails, vendor_ids, introduced_at, status)
                VALUES (1, 1, 1, 'Globex', '[]', '[]', '{}', \(at), 'introduced')
                """)
            func line(_ key: String, _ amount: Int) -> PostgresQuery {
                """
                INSERT INTO accrual (accrual_key, partner_id, referral_id, beneficiary, business_key, rule, plan_id, plan_version, amount_minor,
                    currency, earned_at, hold_until, note, needs_approval, state, updated_at)
                VALUES (\(key), 1, 1, 'partner', 'invoice:1', 'percent', 1, 1, \(amount), 'USD', \(at), \(at), '', false, 'open', \(at))
                """
            }
            func totals() async throws -> [String: [Int]] {
                try await database.rows("SELECT bucket, total_minor, lines FROM accrual_total WHERE lines <> 0 ORDER BY bucket").reduce(into: [:]) {
                    let (bucket, total, lines) = try $1.decode((String, Int, Int).self)
                    $0[bucket] = [total, lines]
                }
            }
            try await database.execute(line("a", 1000))
            try await database.execute(line("b", 250))
            #expect(try await totals() == ["open": [1250, 2]])
            try await database.execute("INSERT INTO payout (id, created_at) VALUES (1, \(at))")
            try await database.execute("UPDATE accrual SET payout_id = 1 WHERE accrual_key = 'a'")
            #expect(try await totals() == ["open": [250, 1], "in_payout": [1000, 1]])
            try await database.execute("UPDATE accrual SET state = 'paid' WHERE accrual_key = 'a'")
            try await database.execute("UPDATE accrual SET state = 'voided' WHERE accrual_key = 'b'")
            #expect(try await totals() == ["paid": [1000, 1], "voided": [250, 1]])
            try await database.execute("DELETE FROM accrual WHERE accrual_key = 'b'")
            #expect(try await totals() == ["paid": [1000, 1]])
        }
    }

    @Test func aDeliveryIsUniquePerSourceAndVendorIDInTheSchemaItself() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let insert: PostgresQuery = """
                INSERT INTO delivery (source, vendor_delivery_id, received_at, body, headers, verification, status)
                VALUES ('stripe', 'evt_1', now(), ''::bytea, '{}', '{}', 'stored')
                """
            try await database.execute(insert)
            await #expect(throws: PSQLError.self) { try await database.execute(insert) }
        }
    }

    @Test func aDatabaseURLIsReadAndItsPasswordNeverShown() throws {
        let address = try PostgresAddress("postgres://gateway:s%40cret@db.internal:6543/referrals?sslmode=disable")
        #expect(address.host == "db.internal")
        #expect(address.port == 6543)
        #expect(address.username == "gateway")
        #expect(address.password == "s@cret")
        #expect(address.database == "referrals")
        #expect(address.location == "postgres://gateway@db.internal:6543/referrals")
        #expect(try PostgresAddress("postgresql://gateway@localhost/referrals").port == 5432)
        #expect(address.schema == nil)
        #expect(try PostgresAddress("postgres://gateway@localhost/referrals?schema=gateway_one").schema == "gateway_one")
        #expect(throws: GatewayError.self) { try PostgresAddress("postgres://gateway@localhost/referrals?schema=a;b") }
        for bad in ["mysql://gateway@host/db", "postgres:///db", "postgres://host/db", "postgres://gateway@host/db?sslmode=sometimes"] {
            #expect(throws: GatewayError.self, "\(bad)") { try PostgresAddress(bad) }
        }
    }
}

/// OAuth tokens and poller cursors, shared by the instances.
@Suite(PostgresTestDatabase.enabled) struct PostgresVendorStateTests {
    @Test func tokensAndCursorsAreSavedReplacedAndReadByAnotherInstance() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let one = PostgresVendorStateRepository(database: databases[0])
            let other = PostgresVendorStateRepository(database: databases[1])
            let at = Date(timeIntervalSince1970: 1_748_736_000)
            #expect(try await one.oauthToken(named: "quickbooks:9130") == nil)
            #expect(try await one.pollerCursor(named: "autotask:contracts") == nil)

            try await one.saveOAuthToken(OAuthToken(refreshToken: "r1", accessToken: "a1", accessExpiresAt: at), named: "quickbooks:9130", at: at)
            #expect(try await other.oauthToken(named: "quickbooks:9130") == OAuthToken(refreshToken: "r1", accessToken: "a1", accessExpiresAt: at))
            // QuickBooks rotates the refresh token: the newest replaces the whole token.
            try await other.saveOAuthToken(OAuthToken(refreshToken: "r2"), named: "quickbooks:9130", at: at.addingTimeInterval(60))
            #expect(try await one.oauthToken(named: "quickbooks:9130") == OAuthToken(refreshToken: "r2"))
            #expect(try await one.oauthToken(named: "quickbooks:other") == nil)

            try await one.savePollerCursor("2025-06-01T00:00:00Z", named: "autotask:contracts", at: at)
            try await other.savePollerCursor("2025-06-02T00:00:00Z", named: "autotask:contracts", at: at)
            #expect(try await one.pollerCursor(named: "autotask:contracts") == "2025-06-02T00:00:00Z")
        }
    }
}
