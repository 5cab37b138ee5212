-- Kern: tenants, areas, accounts, roles, sessions, audit log, outbox, jobs, files.

CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id {{pk}},
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    cbs_code TEXT,
    region TEXT NOT NULL DEFAULT '',
    intro TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    color_primary TEXT NOT NULL DEFAULT '#00548a',
    color_primary_text TEXT NOT NULL DEFAULT '#ffffff',
    color_accent TEXT NOT NULL DEFAULT '#c0392b',
    logo_file_id BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE files (
    id {{pk}},
    tenant_id BIGINT REFERENCES tenants(id),
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    public INTEGER NOT NULL DEFAULT 0,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE areas (
    id {{pk}},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    parent_id BIGINT REFERENCES areas(id),
    kind TEXT NOT NULL CHECK (kind IN ('gemeente', 'wijk', 'buurt')),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    geometry TEXT,
    population BIGINT,
    stats TEXT NOT NULL DEFAULT '{}',
    UNIQUE (tenant_id, code)
);
CREATE INDEX areas_parent ON areas (tenant_id, parent_id);

CREATE TABLE topics (
    id {{pk}},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (tenant_id, slug)
);

CREATE TABLE ladder_levels (
    id {{pk}},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant_id, position)
);

CREATE TABLE users (
    id {{pk}},
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    locale TEXT NOT NULL DEFAULT 'nl',
    home_tenant_id BIGINT REFERENCES tenants(id),
    is_platform_admin INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id BIGINT NOT NULL REFERENCES users(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, tenant_id, role)
);
CREATE INDEX memberships_tenant ON memberships (tenant_id, role);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_tokens (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT,
    tenant_id BIGINT REFERENCES tenants(id),
    next_path TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE rate_events (
    id {{pk}},
    bucket TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX rate_events_bucket ON rate_events (bucket, at);

CREATE TABLE audit_log (
    id {{pk}},
    tenant_id BIGINT REFERENCES tenants(id),
    actor_user_id BIGINT REFERENCES users(id),
    actor_name TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id BIGINT,
    summary TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

CREATE TABLE outbox (
    id {{pk}},
    tenant_id BIGINT REFERENCES tenants(id),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, id);

CREATE TABLE jobs (
    id {{pk}},
    tenant_id BIGINT REFERENCES tenants(id),
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    error TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 3,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    locked_by TEXT,
    locked_until BIGINT,
    run_after BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX jobs_claim ON jobs (status, run_after, id);
