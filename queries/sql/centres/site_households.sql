WITH site AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g),
earlier AS (
    SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS g
    FROM unnest(CAST(:elon AS float8[]), CAST(:elat AS float8[])) AS e(lon, lat)
)
SELECT h.house_id, h.tambon_pcode, h.village_no, a.name_th AS tambon_th,
       a.name_en AS tambon_en,
       round(ST_Distance(h.location::geography, site.g::geography))::int AS site_m,
       round(n.distance_m)::int AS nearest_m
FROM site
JOIN household h
  ON h.location && ST_Expand(site.g, :d / (110574.27 * cosd(least(abs(:lat) + 1, 89))))
 AND ST_DWithin(h.location::geography, site.g::geography, :d - 0.001)
JOIN household_round r ON r.house_id = h.house_id AND r.round_id = :r
     AND r.dims_failed <> 0
JOIN area a ON a.pcode = h.tambon_pcode
LEFT JOIN household_nearest_centre n ON n.house_id = h.house_id
WHERE (n.distance_m IS NULL OR n.distance_m >= :d)
  AND NOT EXISTS (SELECT 1 FROM earlier e
                  WHERE ST_DWithin(h.location::geography, e.g, :d - 0.001))
ORDER BY site_m, h.house_id
LIMIT :limit
