CREATE TEMP TABLE plan_first_t ON COMMIT DROP AS
SELECT h.tambon_pcode, fv.first_visit, fv.analysed, fp.first_plan
FROM household h
LEFT JOIN (SELECT house_id, min(visited_on) AS first_visit,
                  bool_or(poverty_type IS NOT NULL) AS analysed
           FROM visit GROUP BY house_id) fv ON fv.house_id = h.house_id
LEFT JOIN (SELECT house_id, min(created_on) AS first_plan
           FROM household_plan GROUP BY house_id) fp ON fp.house_id = h.house_id
WHERE h.programme_target
