-- newsvault archive, schema version 1. Later versions are forward migrations in storage/migrations.py.
-- Times are UTC ISO 8601 text, except the frontier's scheduling times (unix seconds, REAL).

-- Every distinct seed file content ever read; the original text kept verbatim.
CREATE TABLE seeds (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    text        TEXT NOT NULL,
    fields      TEXT,              -- the parsed front matter as JSON (key order kept), NULL if JSON cannot hold it
    added_at    TEXT NOT NULL
);

-- Seed files already stored, by path, size and modification time: a resumed crawl need not read them again.
CREATE TABLE seed_files (
    path        TEXT PRIMARY KEY,      -- absolute path
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    sha256      TEXT NOT NULL REFERENCES seeds (sha256)
);

-- Seed files that could not be accepted, and why (one row per path and content).
CREATE TABLE seed_rejections (
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (path, sha256)
);

-- Content-addressed bytes: each body or image stored once, whatever serves it.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    data        BLOB NOT NULL
);

-- The frontier: every canonical URL is one job with its state and retry budget.
CREATE TABLE urls (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('page', 'image')),
    host            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_progress', 'done', 'failed', 'blocked')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    claimed_at      REAL,
    last_status     INTEGER,
    last_error      TEXT,
    fetch_id        INTEGER REFERENCES fetches (id),
    discovered_at   TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX urls_ready ON urls (state, next_attempt_at);

-- Every attempt at a URL: the exchange as received, or the error that ended it.
CREATE TABLE fetches (
    id              INTEGER PRIMARY KEY,
    url_id          INTEGER NOT NULL REFERENCES urls (id),
    attempt         INTEGER NOT NULL,
    started_at      TEXT NOT NULL,
    elapsed_s       REAL NOT NULL,
    final_url       TEXT,
    status          INTEGER,
    reason          TEXT,
    http_version    TEXT,
    request_headers TEXT,          -- JSON [[name, value], ...] as sent
    response_headers TEXT,         -- JSON [[name, value], ...] as received, in order
    redirects       TEXT,          -- JSON [{url, status, reason, http_version, headers}, ...]
    content_type    TEXT,
    raw_sha256      TEXT REFERENCES blobs (sha256),   -- body as transferred (content-encoded)
    body_sha256     TEXT REFERENCES blobs (sha256),   -- body after content-decoding
    peer_address    TEXT,
    purpose         TEXT NOT NULL DEFAULT 'crawl' CHECK (purpose IN ('crawl', 'refresh')),
    error           TEXT
);
CREATE INDEX fetches_url ON fetches (url_id);

-- robots.txt of each host, fetched once and cached (RFC 9309): status, body, when, and any failure.
CREATE TABLE robots (
    host        TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    status      INTEGER,
    body        BLOB,
    error       TEXT,
    fetched_at  REAL NOT NULL
);

-- What each seed says: its articles (own and related) with the seed's claims.
CREATE TABLE seed_articles (
    seed_id     INTEGER NOT NULL REFERENCES seeds (id),
    path        TEXT NOT NULL,         -- '' for the seed's own article, 'related[i]' for the others
    role        TEXT NOT NULL CHECK (role IN ('article', 'related')),
    url_id      INTEGER NOT NULL REFERENCES urls (id),
    title       TEXT,
    published   TEXT,                  -- as the seed wrote it
    PRIMARY KEY (seed_id, path)
);
CREATE INDEX seed_articles_url ON seed_articles (url_id);

-- The images a seed names for an article, with the dimensions it claims.
CREATE TABLE seed_images (
    seed_id         INTEGER NOT NULL REFERENCES seeds (id),
    article_path    TEXT NOT NULL,
    position        INTEGER NOT NULL,
    url_id          INTEGER NOT NULL REFERENCES urls (id),
    claimed_width   INTEGER,
    claimed_height  INTEGER,
    claimed_cached  INTEGER,
    PRIMARY KEY (seed_id, article_path, position)
);

-- Relations between URLs: article -> related article, page -> image, story -> alias or alternate.
CREATE TABLE links (
    from_id     INTEGER NOT NULL REFERENCES urls (id),
    to_id       INTEGER NOT NULL REFERENCES urls (id),
    relation    TEXT NOT NULL CHECK (relation IN ('same_story', 'alternate', 'related', 'image', 'lead_image')),
    PRIMARY KEY (from_id, to_id, relation)
);
CREATE INDEX links_to ON links (to_id);

-- Alternates of a story that are recorded but not fetched (AMP pages, unless asked for).
CREATE TABLE alternates (
    url_id      INTEGER NOT NULL REFERENCES urls (id),
    url         TEXT NOT NULL,
    PRIMARY KEY (url_id, url)
);

-- What was extracted from the latest good fetch of a page.
CREATE TABLE pages (
    url_id          INTEGER PRIMARY KEY REFERENCES urls (id),
    fetch_id        INTEGER NOT NULL REFERENCES fetches (id),
    title           TEXT,
    description     TEXT,
    authors         TEXT NOT NULL DEFAULT '[]',   -- JSON list
    published_at    TEXT,
    modified_at     TEXT,
    canonical_url   TEXT,
    site_name       TEXT,
    language        TEXT,
    lead_image_url  TEXT,
    topics          TEXT NOT NULL DEFAULT '[]',   -- JSON list
    text            TEXT NOT NULL DEFAULT '',
    note            TEXT,                          -- why extraction was skipped or partial
    extracted_at    TEXT NOT NULL
);

-- The current truth about each image URL.
CREATE TABLE images (
    url_id          INTEGER PRIMARY KEY REFERENCES urls (id),
    fetch_id        INTEGER NOT NULL REFERENCES fetches (id),
    sha256          TEXT NOT NULL REFERENCES blobs (sha256),
    mime_type       TEXT,
    format          TEXT,
    width           INTEGER,
    height          INTEGER,
    byte_size       INTEGER NOT NULL,
    etag            TEXT,
    last_modified   TEXT,
    cached          INTEGER NOT NULL DEFAULT 1,   -- 1 while the latest check found it live
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    last_checked    TEXT NOT NULL,
    gone_at         TEXT
);

-- Every distinct version of an image ever seen; never overwritten.
CREATE TABLE image_versions (
    url_id      INTEGER NOT NULL REFERENCES urls (id),
    sha256      TEXT NOT NULL REFERENCES blobs (sha256),
    mime_type   TEXT,
    width       INTEGER,
    height      INTEGER,
    byte_size   INTEGER NOT NULL,
    first_seen  TEXT NOT NULL,
    PRIMARY KEY (url_id, sha256)
);

-- refresh-images runs: an unfinished run with the same selection is resumed, not restarted.
CREATE TABLE refresh_runs (
    id              INTEGER PRIMARY KEY,
    started_at      TEXT NOT NULL,
    cutoff          TEXT NOT NULL,     -- images last checked before this are due
    only_failed     INTEGER NOT NULL,
    finished_at     TEXT
);

-- What each refresh run found for each image it checked.
CREATE TABLE refresh_checks (
    run_id      INTEGER NOT NULL REFERENCES refresh_runs (id),
    url_id      INTEGER NOT NULL REFERENCES urls (id),
    outcome     TEXT NOT NULL CHECK (outcome IN ('unchanged', 'changed', 'gone', 'failed')),
    detail      TEXT,
    checked_at  TEXT NOT NULL,
    PRIMARY KEY (run_id, url_id)
);

-- The last finished export to each path and format, for --incremental.
CREATE TABLE export_marks (
    out_path    TEXT NOT NULL,        -- the resolved --out path
    format      TEXT NOT NULL,
    fetch_id    INTEGER NOT NULL,     -- the highest fetches.id when that export started
    seed_id     INTEGER NOT NULL,     -- the highest seeds.id when that export started
    exported_at TEXT NOT NULL,
    articles    INTEGER NOT NULL,
    PRIMARY KEY (out_path, format)
);
