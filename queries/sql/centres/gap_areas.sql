WITH sums AS (
    SELECT x.pcode, {band_sums}
    FROM agg_centre_distance x
    WHERE x.round_id = :r AND x.level = :level AND starts_with(x.pcode, :parent)
    GROUP BY x.pcode
)
SELECT a.pcode, a.name_th, a.name_en, p.name_th AS parent_th, p.name_en AS parent_en,
       s.located, s.poor, s.poor_within, s.poor_beyond, s.poor_no_centre,
       s.target_poor, s.target_within, s.poor_km, s.poor_measured, s.gap_km,
       sv.households AS surveyed, pr.households AS poor_all,
       pr.households::float8 / nullif(sv.households, 0) AS poverty_share,
       s.poor_beyond::float8 / nullif(s.poor, 0) AS share_beyond,
       tc.open_centres, tc.planned_centres, tc.distance_m AS centroid_distance_m
FROM area a
LEFT JOIN area p ON p.pcode = a.parent_pcode
LEFT JOIN sums s ON s.pcode = a.pcode
LEFT JOIN agg_area_count sv ON sv.round_id = :r AND sv.level = :level
     AND sv.measure = 'surveyed' AND sv.pcode = a.pcode
LEFT JOIN agg_area_count pr ON pr.round_id = :r AND pr.level = :level
     AND pr.measure = 'poor' AND pr.pcode = a.pcode
LEFT JOIN (SELECT left(tambon_pcode, 2 + 2 * :level) AS pcode,
                  sum(open_centres) AS open_centres,
                  sum(planned_centres) AS planned_centres,
                  min(distance_m) FILTER (WHERE :level = 3) AS distance_m
           FROM tambon_coverage WHERE starts_with(tambon_pcode, :parent)
           GROUP BY 1) tc ON tc.pcode = a.pcode
WHERE a.level = :level AND starts_with(a.pcode, :parent)
ORDER BY {order}, a.pcode
LIMIT :limit
