-- depends: 0021.search_name_price_blocks
-- pg_prewarm (PostgreSQL's contrib) for `searchsvc prewarm`: it reads the service's tables and indexes
-- into memory, so that the first searches after a cold start do not wait on the disk. With its page
-- cache emptied, a database of 1M listings ran statements of 0.7-2 s in the first seconds of the
-- locust searches, and cut some at the 2 s statement timeout (503s; ops/bench/RESULTS.md, session 17).
-- The extension is not a trusted one: where the migrating role may not create it, or the server does
-- not ship it, this migration only says so, and `searchsvc prewarm` answers that it is missing.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_prewarm;
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
    RAISE NOTICE 'pg_prewarm not created (%): searchsvc prewarm will not be available', SQLERRM;
END
$$;
