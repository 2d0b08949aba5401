-- The villages of an area, one row each, from the household rows of the user's scope:
-- households surveyed in a round, the measure's numerator, the Alkire–Foster sums and
-- where the village lies. The village table holds no point, so a village is placed at
-- the centroid of its located households. Runs as the dashboard's role: row-level
-- security keeps only the households the user may see, so a village with none of them
-- is not listed at all (not even its location).
-- Placeholders: numerator (a condition on the household-round r: the measure's
-- households), score (r's exact deprivation score, Σ w_j over its failed indicators j),
-- subject (the same sum over the subject's indicators only).
-- :k is the Alkire–Foster cut-off (already lowered by queries.mpi.K_TOLERANCE).
SELECT h.tambon_pcode || lpad(h.village_no::text, 2, '0') AS vid,
       h.tambon_pcode,
       h.village_no,
       v.name_th,
       count(r.house_id) AS surveyed,
       count(r.house_id) FILTER (WHERE {numerator}) AS n,
       coalesce(sum({score}) FILTER (WHERE r.score >= :k), 0) AS score_sum,
       coalesce(sum({subject}) FILTER (WHERE r.score >= :k), 0) AS subject_sum,
       count(h.location) AS located,
       ST_Centroid(ST_Collect(h.location)) AS point
FROM household h
JOIN village v ON v.tambon_pcode = h.tambon_pcode AND v.village_no = h.village_no
LEFT JOIN household_round r
       ON r.house_id = h.house_id AND r.tambon_pcode = h.tambon_pcode AND r.round_id = :round
WHERE h.tambon_pcode BETWEEN :lo AND :hi
GROUP BY h.tambon_pcode, h.village_no, v.name_th
