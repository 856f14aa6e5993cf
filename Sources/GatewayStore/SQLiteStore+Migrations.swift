import Foundation
import GRDB

extension SQLiteStore {
    /// The schema, one migration per released change, in SQL only: a migration never calls
    /// application code, so what it does cannot change when the engine does. Data derived by the
    /// engine (event lookup keys, the ledger) is computed again at start-up when the engine's
    /// version changed (`LedgerRepository.rebuildDerivedData`).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: inbox, program, ledger") { db in
            try db.execute(sql: """
                CREATE TABLE delivery (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    source TEXT NOT NULL,
                    vendor_delivery_id TEXT NOT NULL,
                    event_type TEXT,
                    received_at DATETIME NOT NULL,
                    request_id TEXT,
                    body BLOB NOT NULL,
                    headers TEXT NOT NULL,
                    verification TEXT NOT NULL,
                    status TEXT NOT NULL,
                    status_reason TEXT,
                    adapter_version INTEGER,
                    processed_at DATETIME,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (source, vendor_delivery_id)
                );
                CREATE INDEX delivery_by_status ON delivery (status, id);

                CREATE TABLE business_event (
                    delivery_id INTEGER NOT NULL REFERENCES delivery (id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    business_key TEXT NOT NULL,
                    adapter_version INTEGER NOT NULL,
                    payload TEXT NOT NULL,
                    explanation TEXT NOT NULL,
                    PRIMARY KEY (delivery_id, position)
                );
                CREATE INDEX business_event_by_key ON business_event (business_key);

                CREATE TABLE partner (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    payout_form TEXT NOT NULL,
                    email TEXT,
                    created_at DATETIME NOT NULL
                );

                CREATE TABLE plan (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE
                );
                CREATE TABLE plan_version (
                    plan_id INTEGER NOT NULL REFERENCES plan (id),
                    version INTEGER NOT NULL,
                    effective_from DATETIME NOT NULL,
                    rules TEXT NOT NULL,
                    hold_days INTEGER NOT NULL,
                    attribution_window_days INTEGER NOT NULL,
                    PRIMARY KEY (plan_id, version)
                );

                CREATE TABLE referral (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    plan_id INTEGER NOT NULL REFERENCES plan (id),
                    prospect_name TEXT NOT NULL,
                    domains TEXT NOT NULL,
                    contact_emails TEXT NOT NULL,
                    vendor_ids TEXT NOT NULL,
                    referral_code TEXT,
                    introduced_at DATETIME NOT NULL,
                    status TEXT NOT NULL
                );
                CREATE TABLE referral_key (
                    key TEXT NOT NULL,
                    referral_id INTEGER NOT NULL REFERENCES referral (id),
                    PRIMARY KEY (key, referral_id)
                ) WITHOUT ROWID;

                CREATE TABLE contract (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    referral_id INTEGER NOT NULL UNIQUE REFERENCES referral (id),
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    plan_id INTEGER NOT NULL REFERENCES plan (id),
                    customer TEXT NOT NULL,
                    started_at DATETIME NOT NULL,
                    created_by_delivery INTEGER NOT NULL REFERENCES delivery (id)
                );

                CREATE TABLE accrual (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    accrual_key TEXT NOT NULL UNIQUE,
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    contract_id INTEGER NOT NULL REFERENCES contract (id),
                    delivery_id INTEGER NOT NULL REFERENCES delivery (id),
                    business_key TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    plan_id INTEGER NOT NULL REFERENCES plan (id),
                    plan_version INTEGER NOT NULL,
                    basis_minor INTEGER NOT NULL,
                    rate_bps INTEGER NOT NULL,
                    amount_minor INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    earned_at DATETIME NOT NULL,
                    hold_until DATETIME NOT NULL,
                    state TEXT NOT NULL
                );
                CREATE INDEX accrual_by_partner ON accrual (partner_id, earned_at);
                """)
        }
        migrator.registerMigration("v2: vendor OAuth tokens") { db in
            try db.execute(sql: """
                CREATE TABLE oauth_token (
                    name TEXT PRIMARY KEY,
                    refresh_token TEXT NOT NULL,
                    access_token TEXT,
                    access_expires_at DATETIME,
                    updated_at DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3: poller cursors") { db in
            try db.execute(sql: """
                CREATE TABLE poller_cursor (
                    name TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4: program engine") { db in
            // Accruals became a projection of the stored events: the table is rebuilt in its new
            // shape and refilled by the first reprojection (no payout existed before this version).
            try db.execute(sql: """
                ALTER TABLE partner ADD COLUMN specialty TEXT;
                ALTER TABLE partner ADD COLUMN domains TEXT NOT NULL DEFAULT '[]';
                ALTER TABLE partner ADD COLUMN vendor_ids TEXT NOT NULL DEFAULT '{}';

                ALTER TABLE referral ADD COLUMN qualified_at DATETIME;
                ALTER TABLE referral ADD COLUMN lost_at DATETIME;
                ALTER TABLE referral ADD COLUMN claim_share INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE referral ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';

                ALTER TABLE plan_version ADD COLUMN terms TEXT NOT NULL DEFAULT '{}';

                ALTER TABLE business_event ADD COLUMN customer_key TEXT;
                ALTER TABLE business_event ADD COLUMN occurred_at DATETIME;
                CREATE INDEX business_event_by_customer ON business_event (customer_key);
                CREATE TABLE business_event_key (
                    key TEXT NOT NULL,
                    delivery_id INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY (key, delivery_id, position)
                ) WITHOUT ROWID;

                DROP TABLE accrual;
                DROP TABLE contract;
                CREATE TABLE contract (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    referral_id INTEGER NOT NULL UNIQUE REFERENCES referral (id),
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    plan_id INTEGER NOT NULL REFERENCES plan (id),
                    customer TEXT NOT NULL,
                    started_at DATETIME NOT NULL,
                    created_by_delivery INTEGER NOT NULL,
                    ended_at DATETIME,
                    monthly_value TEXT
                );
                CREATE TABLE payout (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    created_at DATETIME NOT NULL,
                    paid_at DATETIME,
                    note TEXT
                );
                CREATE TABLE accrual (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    accrual_key TEXT NOT NULL UNIQUE,
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    referral_id INTEGER NOT NULL REFERENCES referral (id),
                    beneficiary TEXT NOT NULL,
                    delivery_id INTEGER,
                    business_key TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    plan_id INTEGER NOT NULL,
                    plan_version INTEGER NOT NULL,
                    basis_minor INTEGER,
                    rate_bps INTEGER,
                    amount_minor INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    earned_at DATETIME NOT NULL,
                    hold_until DATETIME NOT NULL,
                    note TEXT NOT NULL,
                    needs_approval INTEGER NOT NULL,
                    adjusts TEXT,
                    state TEXT NOT NULL,
                    approved_at DATETIME,
                    payout_id INTEGER REFERENCES payout (id),
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX accrual_by_partner ON accrual (partner_id, earned_at);
                CREATE INDEX accrual_by_payout ON accrual (payout_id);

                CREATE TABLE attribution_override (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    customer_key TEXT NOT NULL,
                    referral_id INTEGER NOT NULL REFERENCES referral (id),
                    reason TEXT NOT NULL,
                    created_at DATETIME NOT NULL
                );
                CREATE TABLE attribution_conflict (
                    customer_key TEXT NOT NULL,
                    referral_id INTEGER NOT NULL,
                    winner INTEGER,
                    reason TEXT NOT NULL
                );
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at DATETIME NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE TABLE outbound_referral (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    client_name TEXT NOT NULL,
                    referred_at DATETIME NOT NULL,
                    monthly_value TEXT,
                    note TEXT
                );
                CREATE TABLE program_settings (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    settings TEXT NOT NULL
                );
                """)
            // The events stored before this version are indexed by the start-up recomputation of
            // derived data, and the accruals refilled by it.
        }
        migrator.registerMigration("v5: operations") { db in
            try db.execute(sql: """
                ALTER TABLE delivery ADD COLUMN lease_until DATETIME;
                ALTER TABLE delivery ADD COLUMN next_attempt_at DATETIME;
                ALTER TABLE delivery ADD COLUMN duplicate_count INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE delivery ADD COLUMN last_duplicate_at DATETIME;
                CREATE INDEX delivery_by_received ON delivery (received_at);
                CREATE INDEX delivery_by_event_type ON delivery (source, event_type);
                CREATE TABLE rejection (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at DATETIME NOT NULL,
                    source TEXT NOT NULL,
                    code TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    size INTEGER,
                    remote_address TEXT,
                    request_id TEXT
                );
                CREATE INDEX rejection_by_at ON rejection (at);
                """)
        }
        migrator.registerMigration("v6: retention") { db in
            try db.execute(sql: "ALTER TABLE delivery ADD COLUMN body_pruned_at DATETIME")
        }
        migrator.registerMigration("v7: event key lookups by event") { db in
            // The projection's queries go from an event to its keys; without this index each such
            // step scanned every key of every event.
            try db.execute(sql: "CREATE INDEX business_event_key_by_event ON business_event_key (delivery_id, position, key)")
        }
        migrator.registerMigration("v8: client reviews and statements") { db in
            try db.execute(sql: """
                CREATE TABLE client_review (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    client TEXT NOT NULL,
                    reviewed_on DATETIME NOT NULL,
                    outcome TEXT NOT NULL,
                    note TEXT,
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX client_review_by_date ON client_review (reviewed_on);
                CREATE INDEX business_event_by_kind ON business_event (kind);
                """)
        }
        migrator.registerMigration("v9: balances kept by triggers") { db in
            // A statement's balance must not read every line a partner ever earned. Lines whose
            // status does not depend on the date (paid, voided, in a payout, and open ones in
            // total) are summed by triggers; only the held and unapproved open lines are read,
            // through indexes that hold just those.
            let bucket = { (row: String) in
                "CASE WHEN \(row).state = 'paid' THEN 'paid' WHEN \(row).state = 'voided' THEN 'voided' WHEN \(row).payout_id IS NOT NULL THEN 'in_payout' ELSE 'open' END"
            }
            let add = { (row: String, sign: String) in
                """
                INSERT INTO accrual_total (partner_id, currency, bucket, total_minor, lines)
                VALUES (\(row).partner_id, \(row).currency, \(bucket(row)), \(sign)\(row).amount_minor, \(sign)1)
                ON CONFLICT (partner_id, currency, bucket) DO UPDATE SET
                    total_minor = total_minor + excluded.total_minor, lines = lines + excluded.lines;
                """
            }
            try db.execute(sql: """
                CREATE TABLE accrual_total (
                    partner_id INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    bucket TEXT NOT NULL,
                    total_minor INTEGER NOT NULL,
                    lines INTEGER NOT NULL,
                    PRIMARY KEY (partner_id, currency, bucket)
                ) WITHOUT ROWID;
                INSERT INTO accrual_total (partner_id, currency, bucket, total_minor, lines)
                    SELECT partner_id, currency, \(bucket("accrual")), SUM(amount_minor), COUNT(*) FROM accrual GROUP BY 1, 2, 3;
                CREATE TRIGGER accrual_total_insert AFTER INSERT ON accrual BEGIN \(add("NEW", "")) END;
                CREATE TRIGGER accrual_total_delete AFTER DELETE ON accrual BEGIN \(add("OLD", "-")) END;
                CREATE TRIGGER accrual_total_update AFTER UPDATE OF partner_id, currency, amount_minor, state, payout_id ON accrual
                    BEGIN \(add("OLD", "-")) \(add("NEW", "")) END;
                CREATE INDEX accrual_open_by_hold ON accrual (partner_id, hold_until) WHERE state = 'open' AND payout_id IS NULL;
                CREATE INDEX accrual_unapproved ON accrual (partner_id)
                    WHERE state = 'open' AND payout_id IS NULL AND needs_approval AND approved_at IS NULL;
                """)
        }
        migrator.registerMigration("v10: matched customers") { db in
            // Whether a delivery concerns the program was a join over every event of its customer,
            // which grows with the customer's history; the matched customers are now a table the
            // recomputation keeps.
            try db.execute(sql: "CREATE TABLE matched_customer (customer_key TEXT PRIMARY KEY) WITHOUT ROWID")
        }
        migrator.registerMigration("v11: derived data version, whole plan terms, claim shares as fractions") { db in
            // `derived_data` records which engine version computed the lookup keys and the ledger.
            // A plan version's `terms` holds every term in the admin API's shape (the columns it
            // replaces go; `effective_from` stays, exact); claim shares are kept in basis points of a
            // whole claim (a weight of 1 was the whole claim).
            try db.execute(sql: """
                CREATE TABLE derived_data (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    engine_version INTEGER NOT NULL,
                    computed_at DATETIME NOT NULL
                );
                UPDATE plan_version SET terms = json_object(
                    'rules', json(rules),
                    'hold_days', hold_days,
                    'attribution_window_days', attribution_window_days,
                    'tiers', json(COALESCE(json_extract(terms, '$.tiers'), '[]')),
                    'cap_per_referral', json(json_extract(terms, '$.capPerReferral')),
                    'cap_per_partner_per_year', json(json_extract(terms, '$.capPerPartnerPerYear')),
                    'exclude_one_time_lines', json(CASE WHEN json_extract(terms, '$.excludeOneTimeLines') = 0 THEN 'false' ELSE 'true' END)
                ) WHERE json_extract(terms, '$.rules') IS NULL;
                ALTER TABLE plan_version DROP COLUMN rules;
                ALTER TABLE plan_version DROP COLUMN hold_days;
                ALTER TABLE plan_version DROP COLUMN attribution_window_days;
                UPDATE referral SET claim_share = claim_share * 10000;
                """)
        }
        migrator.registerMigration("v12: rejection tallies") { db in
            // Refusals are counted exactly here and only sampled into `rejection` under a flood.
            try db.execute(sql: """
                CREATE TABLE rejection_tally (
                    source TEXT NOT NULL,
                    code TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (source, code)
                ) WITHOUT ROWID;
                INSERT INTO rejection_tally (source, code, count) SELECT source, code, COUNT(*) FROM rejection GROUP BY source, code;
                """)
        }
        migrator.registerMigration("v13: customer claims") { db in
            // Which referral (or override) can claim which customer, kept by the recomputation, so
            // the part of the ledger a batch can change is found from these pairs, not from every
            // event of its customers. Filled by the start-up recomputation of derived data.
            try db.execute(sql: """
                CREATE TABLE customer_claim (
                    customer_key TEXT NOT NULL,
                    referral_id INTEGER NOT NULL,
                    PRIMARY KEY (customer_key, referral_id)
                ) WITHOUT ROWID;
                CREATE INDEX customer_claim_by_referral ON customer_claim (referral_id, customer_key);
                """)
        }
        migrator.registerMigration("v15: partner portal") { db in
            // Sign-in links and sessions are kept by the SHA-256 of their secret: a copy of the
            // file signs no one in. The lost reason was only in the audit trail; the portal shows it.
            try db.execute(sql: """
                CREATE TABLE portal_link (
                    token_hash TEXT PRIMARY KEY,
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    created_at DATETIME NOT NULL,
                    expires_at DATETIME NOT NULL,
                    used_at DATETIME
                ) WITHOUT ROWID;
                CREATE TABLE portal_session (
                    id_hash TEXT PRIMARY KEY,
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    csrf TEXT NOT NULL,
                    expires_at DATETIME NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE referral_submission (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    partner_id INTEGER NOT NULL REFERENCES partner (id),
                    prospect_name TEXT NOT NULL,
                    domain TEXT NOT NULL,
                    contact_name TEXT NOT NULL,
                    contact_email TEXT NOT NULL,
                    note TEXT,
                    submitted_at DATETIME NOT NULL,
                    status TEXT NOT NULL,
                    decided_at DATETIME,
                    decline_reason TEXT,
                    referral_id INTEGER REFERENCES referral (id)
                );
                CREATE INDEX referral_submission_by_partner ON referral_submission (partner_id, id);
                ALTER TABLE referral ADD COLUMN lost_reason TEXT;
                UPDATE referral SET lost_reason = (
                    SELECT NULLIF(json_extract(a.detail, '$.reason'), '') FROM audit_log a
                    WHERE a.action = 'referral.lost' AND a.subject = 'referral:' || referral.id ORDER BY a.id DESC LIMIT 1)
                WHERE lost_at IS NOT NULL;
                """)
        }
        migrator.registerMigration("v16: partner deactivation") { db in
            try db.execute(sql: "ALTER TABLE partner ADD COLUMN deactivated_at DATETIME")
        }
        migrator.registerMigration("v17: console sessions") { db in
            // Kept by the SHA-256 of their id, as the portal's are: a copy of the file signs no one in.
            try db.execute(sql: """
                CREATE TABLE console_session (
                    id_hash TEXT PRIMARY KEY,
                    csrf TEXT NOT NULL,
                    expires_at DATETIME NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v18: outbound events") { db in
            // The outbox: each event is written in the transaction of the change that caused it,
            // with one message per endpoint subscribed to its type. An endpoint receives its messages
            // in event order (`outbound_event.id`). `dedup_key` keeps an event that must happen once
            // (a line becoming payable) from being written twice. Endpoint secrets are kept as they
            // are: they sign. `outbound_clock` is when time-driven events were last looked for;
            // `source_watch` is the silence monitor's state per source. Deliveries are looked up by
            // source and time for it.
            try db.execute(sql: """
                CREATE TABLE outbound_event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id TEXT NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    dedup_key TEXT UNIQUE,
                    occurred_at DATETIME NOT NULL,
                    payload BLOB NOT NULL
                );
                CREATE INDEX outbound_event_by_type ON outbound_event (type, id);
                CREATE TABLE webhook_endpoint (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    url TEXT NOT NULL,
                    description TEXT,
                    event_types TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    disabled_at DATETIME,
                    disabled_reason TEXT,
                    failing_since DATETIME
                );
                CREATE TABLE webhook_endpoint_secret (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
                    secret TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    expires_at DATETIME
                );
                CREATE INDEX webhook_endpoint_secret_by_endpoint ON webhook_endpoint_secret (endpoint_id, id);
                CREATE TABLE outbound_message (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id INTEGER NOT NULL REFERENCES outbound_event (id),
                    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DATETIME,
                    last_attempt_at DATETIME,
                    last_status_code INTEGER,
                    last_error TEXT,
                    delivered_at DATETIME,
                    created_at DATETIME NOT NULL,
                    UNIQUE (endpoint_id, event_id)
                );
                CREATE INDEX outbound_message_waiting ON outbound_message (endpoint_id, event_id) WHERE status IN ('pending', 'retrying');
                CREATE INDEX outbound_message_by_status ON outbound_message (status, id);
                CREATE TABLE outbound_clock (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    looked_at DATETIME NOT NULL
                );
                CREATE TABLE source_watch (
                    source TEXT PRIMARY KEY,
                    watched_since DATETIME NOT NULL,
                    silence TEXT
                ) WITHOUT ROWID;
                CREATE INDEX delivery_by_source_received ON delivery (source, received_at);
                """)
        }
        migrator.registerMigration("v19: store copy marker") { db in
            // `store copy` writes this row before its first copied row and deletes it once the copy
            // is verified: a store that still holds it is an unfinished copy, refused by the next
            // copy and by every command that opens it.
            try db.execute(sql: """
                CREATE TABLE store_copy (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    source TEXT NOT NULL,
                    started_at DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v20: a customer's events by time and kind") { db in
            // The narrow projection (`LedgerAppend`) picks a customer's events up to its contract's
            // start and its first payment: answered from the index, without reading every event row.
            try db.execute(sql: """
                CREATE INDEX business_event_by_customer_time ON business_event (customer_key, occurred_at, kind);
                DROP INDEX business_event_by_customer;
                """)
        }
        return migrator
    }
}
