-- Trajecten: participation trajectories with their step plan, phases, activities,
-- reactions (inbreng) and how each reaction was processed.

CREATE TABLE trajectories (
    id {{pk}},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    status TEXT NOT NULL DEFAULT 'concept' CHECK (status IN ('concept', 'gepubliceerd', 'gesloten')),
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    goal TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    area_id BIGINT REFERENCES areas(id),
    topic_id BIGINT REFERENCES topics(id),
    influence TEXT NOT NULL DEFAULT '',
    frames TEXT NOT NULL DEFAULT '',
    target_groups TEXT NOT NULL DEFAULT '',
    stakeholders TEXT NOT NULL DEFAULT '',
    decision_maker TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    ladder_position BIGINT,
    outcome_use TEXT NOT NULL DEFAULT '',
    feedback_text TEXT NOT NULL DEFAULT '',
    feedback_on TEXT,
    reactions_open INTEGER NOT NULL DEFAULT 1,
    starts_on TEXT,
    ends_on TEXT,
    initiator TEXT NOT NULL DEFAULT '',
    application TEXT NOT NULL DEFAULT '',
    guide_answers TEXT NOT NULL DEFAULT '',
    conclusion TEXT NOT NULL DEFAULT '',
    lessons TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT,
    closed_at BIGINT
);
CREATE INDEX trajectories_list ON trajectories (tenant_id, status, starts_on);
CREATE INDEX trajectories_area ON trajectories (area_id);

CREATE TABLE trajectory_phases (
    id {{pk}},
    trajectory_id BIGINT NOT NULL REFERENCES trajectories(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL
);
CREATE INDEX trajectory_phases_t ON trajectory_phases (trajectory_id, position);

CREATE TABLE trajectory_activities (
    id {{pk}},
    trajectory_id BIGINT NOT NULL REFERENCES trajectories(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    form TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    held_on TEXT,
    place TEXT NOT NULL DEFAULT ''
);
CREATE INDEX trajectory_activities_t ON trajectory_activities (trajectory_id, position);

CREATE TABLE reactions (
    id {{pk}},
    trajectory_id BIGINT NOT NULL REFERENCES trajectories(id) ON DELETE CASCADE,
    activity_id BIGINT REFERENCES trajectory_activities(id) ON DELETE SET NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    author_name TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'overgenomen', 'deels', 'niet')),
    response TEXT NOT NULL DEFAULT '',
    processed_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    processed_at BIGINT,
    hidden INTEGER NOT NULL DEFAULT 0,
    hidden_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reactions_t ON reactions (trajectory_id, created_at);
CREATE INDEX reactions_user ON reactions (user_id);
