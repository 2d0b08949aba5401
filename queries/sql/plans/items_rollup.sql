INSERT INTO agg_plan_item (round_id, level, pcode, horizon, category_code, agency_code, status,
                           items, overdue)
SELECT round_id, :level, left(pcode, :len), horizon, category_code, agency_code, status,
       sum(items), sum(overdue)
FROM agg_plan_item WHERE level = 3
GROUP BY round_id, left(pcode, :len), horizon, category_code, agency_code, status
