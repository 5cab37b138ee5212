-- Buurtbudget: participatory-budgeting rounds per area, plans with support, the
-- municipality's check, vote codes (hashes only), anonymous ballots, the result and the
-- execution of the winners.

CREATE TABLE bb_rounds (
    id {{pk}},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    area_id BIGINT REFERENCES areas(id),
    title TEXT NOT NULL,
    intro TEXT NOT NULL DEFAULT '',
    -- Whole euros.
    budget BIGINT NOT NULL,
    -- Phase dates (ISO). Submitting and supporting: submit_from..support_until;
    -- checking: until check_until; voting: vote_from..vote_until (inclusive).
    submit_from TEXT NOT NULL,
    submit_until TEXT NOT NULL,
    support_until TEXT NOT NULL,
    check_until TEXT NOT NULL,
    vote_from TEXT NOT NULL,
    vote_until TEXT NOT NULL,
    result_on TEXT NOT NULL,
    -- 'basket' (approval, total within budget), 'kapproval' (approval, min..max plans),
    -- 'cumulative' (points).
    ballot_kind TEXT NOT NULL DEFAULT 'basket' CHECK (ballot_kind IN ('basket', 'kapproval', 'cumulative')),
    within_budget INTEGER NOT NULL DEFAULT 1,
    min_choices BIGINT,
    max_choices BIGINT,
    points_total BIGINT,
    points_max_per BIGINT,
    -- One line per category: "name=max plans".
    category_caps TEXT NOT NULL DEFAULT '',
    support_threshold BIGINT NOT NULL DEFAULT 0,
    min_age BIGINT NOT NULL DEFAULT 12,
    rule TEXT NOT NULL DEFAULT 'greedy' CHECK (rule IN ('greedy', 'mes-add1', 'mes-add1-greedy')),
    status TEXT NOT NULL DEFAULT 'concept' CHECK (status IN ('concept', 'open', 'uitslag')),
    imported INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT '',
    result_json TEXT,
    certificate TEXT,
    pb_file TEXT,
    result_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX bb_rounds_t ON bb_rounds (tenant_id, status);

CREATE TABLE bb_plans (
    id {{pk}},
    round_id BIGINT NOT NULL REFERENCES bb_rounds(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    author_name TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- The submitter's estimate, whole euros.
    cost BIGINT NOT NULL,
    area_id BIGINT REFERENCES areas(id),
    postcode TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    image_file_id BIGINT REFERENCES files(id),
    -- NULL: not checked yet; 1 feasible; 0 not feasible.
    feasible INTEGER,
    check_reason TEXT NOT NULL DEFAULT '',
    municipal_cost BIGINT,
    on_ballot INTEGER NOT NULL DEFAULT 0,
    -- '', 'voorbereiding', 'uitvoering', 'gereed'.
    exec_status TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bb_plans_r ON bb_plans (round_id);

CREATE TABLE bb_supports (
    plan_id BIGINT NOT NULL REFERENCES bb_plans(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, user_id)
);

CREATE TABLE bb_updates (
    id {{pk}},
    plan_id BIGINT NOT NULL REFERENCES bb_plans(id) ON DELETE CASCADE,
    exec_status TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bb_updates_p ON bb_updates (plan_id);

-- Vote codes: only the SHA-256 of each code. `reference` is printed on the letter (not
-- secret) so a help desk can revoke a code; nothing here names a person or an address.
CREATE TABLE bb_codes (
    id {{pk}},
    round_id BIGINT NOT NULL REFERENCES bb_rounds(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0,
    batch_id BIGINT
);
CREATE INDEX bb_codes_ref ON bb_codes (round_id, reference);

-- Letters with plaintext codes, kept only until the civil servant destroys them after
-- downloading (and purged when the result is computed).
CREATE TABLE bb_letter_batches (
    id {{pk}},
    round_id BIGINT NOT NULL REFERENCES bb_rounds(id) ON DELETE CASCADE,
    letters INTEGER NOT NULL,
    csv_text TEXT,
    pdf_bytes BYTEA,
    destroyed INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Anonymous ballots: a random receipt id, the choices and their hash. No code, no user,
-- no time.
CREATE TABLE bb_ballots (
    receipt TEXT PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES bb_rounds(id) ON DELETE CASCADE,
    choices TEXT NOT NULL,
    contents_hash TEXT NOT NULL
);
CREATE INDEX bb_ballots_r ON bb_ballots (round_id);
