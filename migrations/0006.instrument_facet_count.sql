-- depends: 0005.suggestion
-- Live listings per (category, website, expiration): list facets without a text or price filter
-- (the frontend's category pages) add up these few thousand rows instead of grouping up to a
-- million listings. Statement triggers keep it exact on every write (loads, API, purges), and
-- with `expiration` in the key the usual "not expired" filter applies to it as it is.
CREATE TABLE instrument_facet_count (
    category varchar(200),
    website varchar(500) NOT NULL,
    expiration date,
    listings integer NOT NULL,  -- no CHECK: a take-away is proposed as a negative row before it conflicts
    UNIQUE NULLS NOT DISTINCT (category, website, expiration)
);
-- the category filter (sql.FILTERS) compares folded categories
CREATE INDEX instrument_facet_count_category_idx ON instrument_facet_count (searchsvc_fold(category));
-- lets the trigger find the groups a write emptied without reading the whole table
CREATE INDEX instrument_facet_count_emptied_idx ON instrument_facet_count (category) WHERE listings = 0;

-- Adds the new rows and takes away the old ones, group by group in key order (concurrent
-- writers lock the groups in the same order); groups that reach 0 are dropped.
CREATE FUNCTION searchsvc_count_facets() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO instrument_facet_count AS f (category, website, expiration, listings)
        SELECT category, website, expiration, count(*) FROM new_rows
        GROUP BY category, website, expiration
        ORDER BY category, website, expiration
        ON CONFLICT (category, website, expiration) DO UPDATE SET listings = f.listings + EXCLUDED.listings;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO instrument_facet_count AS f (category, website, expiration, listings)
        SELECT category, website, expiration, sum(delta)
        FROM (SELECT category, website, expiration, 1 AS delta FROM new_rows
              UNION ALL SELECT category, website, expiration, -1 FROM old_rows) AS changed
        GROUP BY category, website, expiration
        HAVING sum(delta) <> 0
        ORDER BY category, website, expiration
        ON CONFLICT (category, website, expiration) DO UPDATE SET listings = f.listings + EXCLUDED.listings;
    ELSE
        INSERT INTO instrument_facet_count AS f (category, website, expiration, listings)
        SELECT category, website, expiration, -count(*) FROM old_rows
        GROUP BY category, website, expiration
        ORDER BY category, website, expiration
        ON CONFLICT (category, website, expiration) DO UPDATE SET listings = f.listings + EXCLUDED.listings;
    END IF;
    DELETE FROM instrument_facet_count WHERE listings = 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER instrument_facet_count_insert AFTER INSERT ON instrument
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_count_facets();
CREATE TRIGGER instrument_facet_count_update AFTER UPDATE ON instrument
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_count_facets();
CREATE TRIGGER instrument_facet_count_delete AFTER DELETE ON instrument
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_count_facets();

-- the listings already there (an empty table in tests and new installs)
INSERT INTO instrument_facet_count (category, website, expiration, listings)
SELECT category, website, expiration, count(*) FROM instrument GROUP BY category, website, expiration;
