INSERT INTO agg_plan_horizon (round_id, level, pcode, horizon, done_items, median_days)
SELECT d.round_id, lv.level, lv.pcode, d.horizon, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY d.days)
FROM (
    SELECT p.round_id, i.tambon_pcode, i.horizon, i.completed_on - i.created_on AS days
    FROM plan_item i JOIN household_plan p ON p.plan_id = i.plan_id
    WHERE i.status = 'done'
) d
CROSS JOIN LATERAL (VALUES (0, left(d.tambon_pcode, 2)), (1, left(d.tambon_pcode, 4)),
                           (2, left(d.tambon_pcode, 6)), (3, d.tambon_pcode)) AS lv(level, pcode)
GROUP BY d.round_id, lv.level, lv.pcode, d.horizon
