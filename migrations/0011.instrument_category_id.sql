-- depends: 0010.instrument_live_id
-- transactional: false
-- Category lists (the frontend's category pages, with price filters) in id order: walk one
-- category's ids in order and check price and expiry from the index alone (index-only scan),
-- for the page, its start on deep pages, and capped counts. `category` itself is included
-- because PostgreSQL considers an index-only scan on an expression only when the column is there.
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_id_idx
    ON instrument (searchsvc_fold(category), id) INCLUDE (category, price, expiration);
