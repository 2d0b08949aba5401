INSERT INTO agg_plan_target (level, pcode, target_households, in_store, visited, analysed,
                             with_plan)
SELECT 1, a.pcode, t.target_households, coalesce(s.in_store, 0), coalesce(s.visited, 0),
       coalesce(s.analysed, 0), coalesce(s.with_plan, 0)
FROM area a
LEFT JOIN province_target t ON t.province_pcode = a.pcode
LEFT JOIN (SELECT left(tambon_pcode, 4) AS pcode, count(*) AS in_store,
                  count(first_visit) AS visited, count(*) FILTER (WHERE analysed) AS analysed,
                  count(first_plan) AS with_plan
           FROM plan_first_t GROUP BY left(tambon_pcode, 4)) s ON s.pcode = a.pcode
WHERE a.level = 1
