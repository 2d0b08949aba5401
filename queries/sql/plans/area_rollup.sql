INSERT INTO agg_plan_area (round_id, level, pcode, target, visited, analysed, with_plan,
                           plans_done, left_poverty, items, items_active, items_done,
                           items_overdue)
SELECT round_id, :level, left(pcode, :len), sum(target), sum(visited), sum(analysed),
       sum(with_plan), sum(plans_done), sum(left_poverty), sum(items), sum(items_active),
       sum(items_done), sum(items_overdue)
FROM agg_plan_area WHERE level = 3
GROUP BY round_id, left(pcode, :len)
