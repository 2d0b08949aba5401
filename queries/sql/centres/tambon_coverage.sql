-- Populated centroid and centres of every tambon (queries/centres.py); :min_n located
-- households; where: every tambon, or those an import touched (queries/rollup.py).
INSERT INTO tambon_coverage (tambon_pcode, centroid, populated, located,
                             open_centres, planned_centres)
SELECT a.pcode,
       CASE WHEN coalesce(p.n, 0) >= :min_n
            THEN ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
            ELSE a.label_point END,
       coalesce(p.n, 0) >= :min_n, coalesce(p.n, 0),
       coalesce(c.open, 0), coalesce(c.planned, 0)
FROM area a
LEFT JOIN (SELECT tambon_pcode, count(*) AS n, avg(lon) AS lon, avg(lat) AS lat
           FROM nearest_stage GROUP BY tambon_pcode) p ON p.tambon_pcode = a.pcode
LEFT JOIN (SELECT tambon_pcode, count(*) FILTER (WHERE status = 'open') AS open,
                  count(*) FILTER (WHERE status = 'planned') AS planned
           FROM centre GROUP BY tambon_pcode) c ON c.tambon_pcode = a.pcode
WHERE a.level = 3 AND {where}
