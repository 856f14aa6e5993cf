import GRDB

extension GatewayDatabase {
    /// The schema, one migration per released change; never edit a released one.
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
        return migrator
    }
}
