-- Chipao initial schema. Runs as the owner role (DATABASE_URL).
-- Personal data (household, member, plan, visit tables) is protected by row-level
-- security, FORCEd so that even the owner passes through a policy; the dashboard
-- connects as chipao_app, which owns nothing and sees only its scope.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

DO $$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chipao_app') THEN
    CREATE ROLE chipao_app NOLOGIN;  -- an administrator gives it LOGIN and a password
  END IF;
END$$;

-- ── administrative areas ─────────────────────────────────────────────────────
CREATE TABLE area (
    pcode        text PRIMARY KEY CHECK (pcode ~ '^TH[0-9]{2}([0-9]{2}([0-9]{2})?)?$'),
    level        smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
    parent_pcode text REFERENCES area (pcode) DEFERRABLE INITIALLY DEFERRED,
    name_th      text NOT NULL CHECK (name_th <> ''),
    name_en      text NOT NULL CHECK (name_en <> ''),
    geom         geometry(MultiPolygon, 4326) NOT NULL,
    geom_display geometry(MultiPolygon, 4326) NOT NULL,
    label_point  geometry(Point, 4326) NOT NULL,
    area_km2     double precision NOT NULL CHECK (area_km2 > 0),
    CHECK (length(pcode) = 2 + 2 * level),
    CHECK ((level = 1) = (parent_pcode IS NULL)),
    CHECK (parent_pcode IS NULL OR (starts_with(pcode, parent_pcode)
                                    AND length(parent_pcode) = length(pcode) - 2))
);
CREATE INDEX area_geom_gist ON area USING gist (geom);
CREATE INDEX area_level_parent ON area (level, parent_pcode);

CREATE TABLE village (
    tambon_pcode text NOT NULL REFERENCES area (pcode),
    village_no   smallint NOT NULL CHECK (village_no BETWEEN 1 AND 99),
    name_th      text,
    PRIMARY KEY (tambon_pcode, village_no)
);

-- ── survey rounds and the indicator catalogue ────────────────────────────────
CREATE TABLE survey_round (
    round_id smallint PRIMARY KEY,
    year_be  smallint NOT NULL UNIQUE CHECK (year_be BETWEEN 2500 AND 2700),
    label_th text NOT NULL,
    label_en text NOT NULL,
    -- where the figures come from, printed under every figure of the round
    source_th text NOT NULL DEFAULT 'ข้อมูลความจำเป็นพื้นฐาน (จปฐ.) ตามเกณฑ์ TPMAP',
    source_en text NOT NULL DEFAULT 'Basic Minimum Needs (BMN) survey, TPMAP criteria'
);

CREATE TABLE dimension (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z_]{2,20}$'),
    sort    smallint NOT NULL UNIQUE CHECK (sort BETWEEN 0 AND 14),
    name_th text NOT NULL,
    name_en text NOT NULL,
    weight  double precision NOT NULL CHECK (weight > 0 AND weight <= 1)
);

CREATE TABLE indicator (
    code           text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,15}$'),
    dimension_code text NOT NULL REFERENCES dimension (code),
    bit            smallint NOT NULL UNIQUE CHECK (bit BETWEEN 0 AND 30),
    bmn_no         smallint,
    text_th        text NOT NULL,
    text_en        text NOT NULL,
    weight         double precision NOT NULL CHECK (weight > 0 AND weight <= 1),
    applies_to     text,        -- members it concerns (NULL: the whole household)
    parameter      jsonb NOT NULL DEFAULT '{}'
);

-- ── households (personal data: row-level security) ───────────────────────────
CREATE TABLE household (
    house_id         text PRIMARY KEY CHECK (house_id ~ '^[0-9A-Za-z-]{4,20}$'),
    tambon_pcode     text NOT NULL,
    village_no       smallint NOT NULL,
    location         geometry(Point, 4326),
    programme_target boolean NOT NULL DEFAULT false,  -- in the 4,104,450-household programme
    UNIQUE (house_id, tambon_pcode),
    FOREIGN KEY (tambon_pcode, village_no) REFERENCES village (tambon_pcode, village_no)
);
CREATE INDEX household_tambon ON household (tambon_pcode, village_no);
CREATE INDEX household_location_gist ON household USING gist (location);
CREATE INDEX household_id_trgm ON household (house_id text_pattern_ops);

-- One row per household per survey round. `failed` / `not_applicable` are bit sets
-- over indicator.bit (a household has 17 results a round; 4 M households × 2 rounds
-- would be 140 M rows in long form). `dims_failed` is a bit set over dimension.sort.
CREATE TABLE household_round (
    house_id       text NOT NULL,
    round_id       smallint NOT NULL REFERENCES survey_round (round_id),
    tambon_pcode   text NOT NULL,
    size           smallint NOT NULL CHECK (size BETWEEN 1 AND 60),
    welfare_card   boolean,
    failed         integer NOT NULL CHECK (failed >= 0),
    not_applicable integer NOT NULL DEFAULT 0 CHECK (not_applicable >= 0),
    dims_failed    smallint NOT NULL CHECK (dims_failed >= 0),
    n_dims_failed  smallint NOT NULL CHECK (n_dims_failed BETWEEN 0 AND 15),
    score          real NOT NULL CHECK (score BETWEEN 0 AND 1.0001),  -- Alkire–Foster c_i
    PRIMARY KEY (house_id, round_id),
    FOREIGN KEY (house_id, tambon_pcode) REFERENCES household (house_id, tambon_pcode)
        ON UPDATE CASCADE ON DELETE CASCADE,
    CHECK (failed & not_applicable = 0)
);
CREATE INDEX household_round_area ON household_round (round_id, tambon_pcode);

CREATE TABLE member (
    member_id     bigserial PRIMARY KEY,
    house_id      text NOT NULL,
    tambon_pcode  text NOT NULL,
    seq           smallint NOT NULL CHECK (seq BETWEEN 1 AND 60),
    national_id   text CHECK (national_id ~ '^[0-9]{13}$'),
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    sex           char(1) NOT NULL CHECK (sex IN ('M', 'F')),
    birth_year_be smallint CHECK (birth_year_be BETWEEN 2400 AND 2700),
    relation      text NOT NULL CHECK (relation IN
                    ('head', 'spouse', 'child', 'parent', 'grandchild', 'relative', 'other')),
    disability    boolean NOT NULL DEFAULT false,
    UNIQUE (house_id, seq),
    FOREIGN KEY (house_id, tambon_pcode) REFERENCES household (house_id, tambon_pcode)
        ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX member_name_trgm ON member USING gin ((first_name || ' ' || last_name) gin_trgm_ops);
CREATE INDEX member_tambon ON member (tambon_pcode);

-- ── development plans, the MoU agencies, visits ──────────────────────────────
CREATE TABLE agency (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z_]{2,20}$'),
    sort    smallint NOT NULL UNIQUE,
    kind    text NOT NULL CHECK (kind IN ('ministry', 'bma', 'local')),
    name_th text NOT NULL,
    name_en text NOT NULL
);

CREATE TABLE plan_category (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z_]{2,30}$'),
    horizon text NOT NULL CHECK (horizon IN ('urgent', 'medium', 'long')),
    sort    smallint NOT NULL UNIQUE,
    name_th text NOT NULL,
    name_en text NOT NULL
);

CREATE TABLE household_plan (
    plan_id      bigserial PRIMARY KEY,
    house_id     text NOT NULL,
    tambon_pcode text NOT NULL,
    round_id     smallint NOT NULL REFERENCES survey_round (round_id),
    created_on   date NOT NULL,
    UNIQUE (house_id, round_id),
    FOREIGN KEY (house_id, tambon_pcode) REFERENCES household (house_id, tambon_pcode)
        ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX household_plan_tambon ON household_plan (tambon_pcode);

CREATE TABLE plan_item (
    item_id       bigserial PRIMARY KEY,
    plan_id       bigint NOT NULL REFERENCES household_plan (plan_id) ON DELETE CASCADE,
    house_id      text NOT NULL,
    tambon_pcode  text NOT NULL,
    horizon       text NOT NULL CHECK (horizon IN ('urgent', 'medium', 'long')),
    category_code text NOT NULL REFERENCES plan_category (code),
    agency_code   text NOT NULL REFERENCES agency (code),
    status        text NOT NULL DEFAULT 'not_started'
                  CHECK (status IN ('not_started', 'in_progress', 'done', 'cancelled')),
    created_on    date NOT NULL,
    due_on        date NOT NULL,
    started_on    date,
    completed_on  date,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    note          text,
    CHECK (due_on >= created_on),
    CHECK ((status = 'done') = (completed_on IS NOT NULL)),
    CHECK (completed_on IS NULL OR completed_on >= created_on),
    CHECK (started_on IS NULL OR started_on >= created_on),
    FOREIGN KEY (house_id, tambon_pcode) REFERENCES household (house_id, tambon_pcode)
        ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX plan_item_plan ON plan_item (plan_id);
CREATE INDEX plan_item_tambon ON plan_item (tambon_pcode, status);
CREATE INDEX plan_item_house ON plan_item (house_id);

CREATE TABLE plan_item_event (
    event_id     bigserial PRIMARY KEY,
    item_id      bigint NOT NULL REFERENCES plan_item (item_id) ON DELETE CASCADE,
    tambon_pcode text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    username     text NOT NULL,
    old_status   text NOT NULL,
    new_status   text NOT NULL,
    on_date      date NOT NULL,
    note         text
);
CREATE INDEX plan_item_event_item ON plan_item_event (item_id);

CREATE TABLE visit (
    visit_id     bigserial PRIMARY KEY,
    house_id     text NOT NULL,
    tambon_pcode text NOT NULL,
    visited_on   date NOT NULL,
    visitor_kind text NOT NULL CHECK (visitor_kind IN ('official', 'volunteer', 'youth_council')),
    poverty_type text CHECK (poverty_type IN ('chronic', 'new_poor', 'vulnerable', 'temporary')),
    causes       text[] NOT NULL DEFAULT '{}',
    needs        text[] NOT NULL DEFAULT '{}',
    note         text,
    FOREIGN KEY (house_id, tambon_pcode) REFERENCES household (house_id, tambon_pcode)
        ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX visit_house ON visit (house_id, visited_on);
CREATE INDEX visit_tambon ON visit (tambon_pcode);

-- ── social-help centres ──────────────────────────────────────────────────────
CREATE TABLE centre (
    centre_id    serial PRIMARY KEY,
    code         text NOT NULL UNIQUE,
    name_th      text NOT NULL CHECK (name_th <> ''),
    name_en      text,
    tambon_pcode text NOT NULL REFERENCES area (pcode),
    location     geometry(Point, 4326) NOT NULL,
    opened_on    date,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'planned', 'closed')),
    services     text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX centre_location_gist ON centre USING gist (location);
CREATE INDEX centre_tambon ON centre (tambon_pcode);

-- Precomputed nearest open centre per located household (refreshed when centres change).
CREATE TABLE household_nearest_centre (
    house_id     text PRIMARY KEY,
    tambon_pcode text NOT NULL,
    centre_id    integer NOT NULL REFERENCES centre (centre_id) ON DELETE CASCADE,
    distance_m   real NOT NULL CHECK (distance_m >= 0),
    FOREIGN KEY (house_id, tambon_pcode) REFERENCES household (house_id, tambon_pcode)
        ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX household_nearest_centre_tambon ON household_nearest_centre (tambon_pcode);

-- ── the 9-step process and programme targets ─────────────────────────────────
CREATE TABLE process_step (
    step_no smallint PRIMARY KEY CHECK (step_no BETWEEN 1 AND 9),
    name_th text NOT NULL,
    name_en text NOT NULL
);

CREATE TABLE area_process_step (
    pcode        text NOT NULL REFERENCES area (pcode),
    step_no      smallint NOT NULL REFERENCES process_step (step_no),
    status       text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done')),
    started_on   date,
    completed_on date,
    PRIMARY KEY (pcode, step_no),
    CHECK ((status = 'done') = (completed_on IS NOT NULL)),
    CHECK (status = 'not_started' OR started_on IS NOT NULL),
    CHECK (completed_on IS NULL OR completed_on >= started_on)
);

CREATE TABLE province_target (
    province_pcode    text PRIMARY KEY REFERENCES area (pcode),
    target_households integer NOT NULL CHECK (target_households >= 0)
);

-- ── users and the audit log ──────────────────────────────────────────────────
CREATE TABLE app_user (
    user_id             serial PRIMARY KEY,
    username            text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9_.-]{3,40}$'),
    display_name        text NOT NULL DEFAULT '',
    password_hash       text NOT NULL,
    role                text NOT NULL CHECK (role IN
                          ('executive', 'province', 'district', 'tambon', 'public', 'admin')),
    disabled            boolean NOT NULL DEFAULT false,
    is_demo             boolean NOT NULL DEFAULT false,
    failed_logins       integer NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_scope (
    user_id integer NOT NULL REFERENCES app_user (user_id) ON DELETE CASCADE,
    pcode   text NOT NULL REFERENCES area (pcode),
    PRIMARY KEY (user_id, pcode)
);

CREATE TABLE audit_log (
    audit_id bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    username text,
    role     text,
    action   text NOT NULL,
    target   text,
    details  jsonb NOT NULL DEFAULT '{}',
    ip       text
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- ── aggregates (no personal data; rebuilt after every import) ────────────────
-- Household counts per area, round and measure: 'surveyed', 'poor' (TPMAP union
-- rule), 'target_poor' (poor with a welfare card), 'welfare_card',
-- 'dim:<dimension>', 'ind:<indicator>', 'na:<indicator>' (not applicable).
-- level 0 is the whole country (pcode 'TH').
CREATE TABLE agg_area_count (
    round_id   smallint NOT NULL,
    level      smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    measure    text NOT NULL,
    pcode      text NOT NULL,
    households integer NOT NULL,
    PRIMARY KEY (round_id, level, measure, pcode)
);

-- Households per area, round and Alkire–Foster score, with the number failing each
-- indicator (ind_fail[bit + 1]): enough to compute H, A, M0 and contributions for
-- any cut-off k without touching household rows.
CREATE TABLE agg_area_score (
    round_id   smallint NOT NULL,
    level      smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    pcode      text NOT NULL,
    score      real NOT NULL,
    households integer NOT NULL,
    ind_fail   integer[] NOT NULL,
    PRIMARY KEY (round_id, level, pcode, score)
);

-- ── row-level security ───────────────────────────────────────────────────────
-- The scope is a comma-separated list of area P-codes set per transaction by the
-- application with set_config('chipao.scope', …, true); a P-code covers every area
-- below it (P-codes are prefixes of their children's). Unset or empty: nothing.
CREATE FUNCTION chipao_in_scope(p_tambon text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(p_tambon ^@ ANY (string_to_array(nullif(current_setting('chipao.scope', true), ''), ',')), false)
$$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['household', 'household_round', 'member', 'household_plan',
                           'plan_item', 'plan_item_event', 'visit', 'household_nearest_centre']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY owner_all ON %I TO CURRENT_USER USING (true) WITH CHECK (true)', t);
    EXECUTE format('CREATE POLICY app_scope ON %I TO chipao_app USING (chipao_in_scope(tambon_pcode)) '
                   'WITH CHECK (chipao_in_scope(tambon_pcode))', t);
  END LOOP;
END$$;

-- ── privileges of the dashboard's role ───────────────────────────────────────
GRANT USAGE ON SCHEMA public TO chipao_app;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO chipao_app;
GRANT INSERT ON audit_log, plan_item_event, visit TO chipao_app;
GRANT UPDATE (status, started_on, completed_on, updated_at, note) ON plan_item TO chipao_app;
GRANT UPDATE (failed_logins, locked_until) ON app_user TO chipao_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO chipao_app;
