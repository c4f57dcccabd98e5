-- depends: 0001.instrument
-- Bearer tokens allowed to write listings (POST /addInstrument). Only a SHA-256 hash of each
-- token is kept; `key_id` (public, part of the token) finds the row to compare against.
CREATE TABLE api_token (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL,
    key_id char(8) NOT NULL UNIQUE,
    token_hash bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);

-- one active token per name, so that `searchsvc token revoke NAME` means one thing
CREATE UNIQUE INDEX api_token_active_name_idx ON api_token (name) WHERE revoked_at IS NULL;
