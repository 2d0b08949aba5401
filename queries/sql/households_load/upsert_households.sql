WITH up AS (
    INSERT INTO household AS h (house_id, tambon_pcode, village_no, location,
                                programme_target)
    SELECT house_id, tambon_pcode, village_no, location, programme_target
    FROM stage_household
    ON CONFLICT (house_id) DO UPDATE SET
        village_no = EXCLUDED.village_no,
        location = coalesce(EXCLUDED.location, h.location),
        programme_target = CASE WHEN :has_target THEN EXCLUDED.programme_target
                                ELSE h.programme_target END
    WHERE h.village_no <> EXCLUDED.village_no
       OR (EXCLUDED.location IS NOT NULL AND h.location IS DISTINCT FROM EXCLUDED.location)
       OR (:has_target AND h.programme_target <> EXCLUDED.programme_target)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
