-- Nearest open centre of every row of the source relation (certified KNN: the
-- argument is in queries/centres.py and docs/centres.md). Placeholders: keys, source.
SELECT {keys}, ST_X(s.location) AS lon, ST_Y(s.location) AS lat,
       CASE WHEN n.exact THEN (
           SELECT c.centre_id FROM open_centre c
           WHERE c.location && ST_Expand(s.location, n.d1 / n.m_min)
           ORDER BY ST_Distance(c.location::geography, s.location::geography),
                    c.centre_id
           LIMIT 1)
       ELSE n.centre_id END AS centre_id,
       CASE WHEN n.exact THEN (
           SELECT min(ST_Distance(c.location::geography, s.location::geography))
           FROM open_centre c
           WHERE c.location && ST_Expand(s.location, n.d1 / n.m_min))
       ELSE n.d1 END AS distance_m,
       coalesce(n.exact, false) AS exact_search
FROM ({source}) s
LEFT JOIN LATERAL (
    SELECT k.centre_id, k.d1, b.m_min,
           k.deg2 IS NOT NULL AND k.d1 > k.deg2 * b.m_min AS exact
    FROM (
        -- the two nearest open centres by <-> (degrees), the first one measured
        SELECT c.centre_id, lead(c.deg) OVER () AS deg2,
               ST_Distance(c.location::geography, s.location::geography) AS d1
        FROM (SELECT c.centre_id, c.location, c.location <-> s.location AS deg
              FROM open_centre c
              ORDER BY c.location <-> s.location
              LIMIT 2) c
        LIMIT 1
    ) k
    -- the fewest metres a degree can span near here (see the module docstring)
    CROSS JOIN LATERAL (
        SELECT least(110574.27, 111319.49 * cosd(least(89.0,
            abs(ST_Y(s.location)) + k.d1 / 110574.27 + 0.1 + (k.d1 / 1e6) ^ 2)))
            AS m_min
    ) b
) n ON true
