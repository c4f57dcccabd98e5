-- depends: 0005.suggestion
-- transactional: false
-- Facet counts (sql_facets.py) of lists: group the live listings by category or website from
-- this narrow index alone (index-only scan, ~60 MB at 1M listings against the 440 MB table),
-- with the category, website, price and expiry filters answered from it too; a category filter
-- narrows it to one range. Searches still read the rows their text matches.
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_facet_idx
    ON instrument (searchsvc_fold(category), website) INCLUDE (category, price, expiration);
