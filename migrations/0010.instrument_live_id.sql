-- depends: 0001.instrument
-- transactional: false
-- Id-ordered pages (the default list order) find where a page starts with an index-only scan
-- of this narrow index: the expiry filter is answered from the index, no table row is read
-- until the page's own rows. Also serves the capped counts of unfiltered lists.
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_live_id_idx ON instrument (id) INCLUDE (expiration);
