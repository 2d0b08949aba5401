-- Every count measure per round and tambon (queries/aggregates.py); the filters, names
-- and values placeholders are built from the stored catalogue's codes; where: every
-- tambon, or those an import touched (queries/rollup.py).
WITH prev AS (
    SELECT round_id, lag(round_id) OVER (ORDER BY year_be) AS prev_round_id
    FROM survey_round
), t AS (
    SELECT r.round_id, r.tambon_pcode, {filters}
    FROM household_round r
    JOIN household h USING (house_id)
    JOIN prev USING (round_id)
    LEFT JOIN household_round p
      ON p.house_id = r.house_id AND p.round_id = prev.prev_round_id
    WHERE {where}
    GROUP BY r.round_id, r.tambon_pcode
)
INSERT INTO agg_area_count (round_id, level, measure, pcode, households)
SELECT t.round_id, 3, m.measure, t.tambon_pcode, m.n
FROM t CROSS JOIN LATERAL unnest(ARRAY[{names}], ARRAY[{values}]) AS m(measure, n)
