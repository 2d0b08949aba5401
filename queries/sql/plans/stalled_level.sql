INSERT INTO agg_plan_stalled (round_id, level, pcode, idle_days, items_ge, households_ge)
SELECT round_id, :level, pcode, array_agg(idle ORDER BY idle),
       array_agg(items_ge ORDER BY idle), array_agg(households_ge ORDER BY idle)
FROM (
    SELECT round_id, pcode, idle,
           sum(items) OVER w AS items_ge, sum(households) OVER w AS households_ge
    FROM (SELECT round_id, left(tambon_pcode, :len) AS pcode, idle,
                 sum(items) AS items, sum(households) AS households
          FROM plan_idle_t GROUP BY round_id, left(tambon_pcode, :len), idle) g
    WINDOW w AS (PARTITION BY round_id, pcode ORDER BY idle DESC)
) c
GROUP BY round_id, pcode
