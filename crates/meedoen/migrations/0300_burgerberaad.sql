-- Burgerberaad: citizens' assemblies inside a trajectory. The invitation draw from a
-- register extract, registrations with the features used for quotas, the panel selected
-- by the sortition engine with every registrant's selection probability, replacements,
-- meetings with attendance, recommendations with the council's response.
-- Registration codes are stored only as hashes.

CREATE TABLE ba_assemblies (
    id {{pk}},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    trajectory_id BIGINT NOT NULL REFERENCES trajectories(id),
    title TEXT NOT NULL,
    question TEXT NOT NULL,
    panel_size BIGINT NOT NULL,
    invite_count BIGINT NOT NULL,
    registration_deadline TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    features TEXT NOT NULL DEFAULT '[]',
    consent_text TEXT NOT NULL DEFAULT '',
    retention_days BIGINT NOT NULL DEFAULT 90,
    status TEXT NOT NULL DEFAULT 'concept'
        CHECK (status IN ('concept', 'uitgenodigd', 'geselecteerd', 'afgerond')),
    code_key TEXT NOT NULL DEFAULT '',
    invite_seed BIGINT,
    register_sha256 TEXT NOT NULL DEFAULT '',
    register_rows BIGINT NOT NULL DEFAULT 0,
    register_kind TEXT NOT NULL DEFAULT '',
    selection_job_id BIGINT,
    selection_error TEXT NOT NULL DEFAULT '',
    published INTEGER NOT NULL DEFAULT 0,
    anonymised_at BIGINT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ba_assemblies_tenant ON ba_assemblies (tenant_id, id);

CREATE TABLE ba_quotas (
    id {{pk}},
    assembly_id BIGINT NOT NULL REFERENCES ba_assemblies(id) ON DELETE CASCADE,
    feature TEXT NOT NULL,
    value TEXT NOT NULL,
    label TEXT NOT NULL,
    position BIGINT NOT NULL,
    population BIGINT,
    min_seats BIGINT NOT NULL,
    max_seats BIGINT NOT NULL,
    UNIQUE (assembly_id, feature, value)
);

CREATE TABLE ba_invitations (
    id {{pk}},
    assembly_id BIGINT NOT NULL REFERENCES ba_assemblies(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    city TEXT NOT NULL,
    wijk_code TEXT NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ba_invitations_a ON ba_invitations (assembly_id, position);

CREATE TABLE ba_registrations (
    id {{pk}},
    assembly_id BIGINT NOT NULL REFERENCES ba_assemblies(id) ON DELETE CASCADE,
    invitation_id BIGINT REFERENCES ba_invitations(id) ON DELETE SET NULL,
    features TEXT NOT NULL,
    availability TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    consent_at BIGINT NOT NULL,
    withdraw_hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'aangemeld' CHECK (status IN ('aangemeld', 'ingetrokken')),
    pool_id TEXT NOT NULL DEFAULT '',
    probability DOUBLE PRECISION,
    panel_status TEXT NOT NULL DEFAULT ''
        CHECK (panel_status IN ('', 'lid', 'teruggetrokken')),
    replaces_id BIGINT,
    created_at BIGINT NOT NULL,
    withdrawn_at BIGINT,
    UNIQUE (invitation_id)
);
CREATE INDEX ba_registrations_a ON ba_registrations (assembly_id, status);

CREATE TABLE ba_selections (
    id {{pk}},
    assembly_id BIGINT NOT NULL UNIQUE REFERENCES ba_assemblies(id) ON DELETE CASCADE,
    algorithm TEXT NOT NULL,
    seed TEXT NOT NULL,
    lottery_size BIGINT NOT NULL,
    support BIGINT NOT NULL,
    drawn BIGINT NOT NULL,
    max_deviation DOUBLE PRECISION NOT NULL,
    pool_size BIGINT NOT NULL,
    categories_csv TEXT NOT NULL,
    people_csv TEXT NOT NULL,
    panel TEXT NOT NULL,
    replacements BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE ba_meetings (
    id {{pk}},
    assembly_id BIGINT NOT NULL REFERENCES ba_assemblies(id) ON DELETE CASCADE,
    held_on TEXT NOT NULL,
    title TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT ''
);

CREATE TABLE ba_attendance (
    meeting_id BIGINT NOT NULL REFERENCES ba_meetings(id) ON DELETE CASCADE,
    registration_id BIGINT NOT NULL REFERENCES ba_registrations(id) ON DELETE CASCADE,
    present INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, registration_id)
);

CREATE TABLE ba_recommendations (
    id {{pk}},
    assembly_id BIGINT NOT NULL REFERENCES ba_assemblies(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    support_pct BIGINT,
    responder TEXT NOT NULL DEFAULT '' CHECK (responder IN ('', 'raad', 'college')),
    response TEXT NOT NULL DEFAULT '',
    follow_up TEXT NOT NULL DEFAULT 'open'
        CHECK (follow_up IN ('open', 'overgenomen', 'deels', 'niet', 'uitgevoerd')),
    published INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX ba_recommendations_a ON ba_recommendations (assembly_id, position);
