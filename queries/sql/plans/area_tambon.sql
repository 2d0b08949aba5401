-- The funnel and item totals per round and tambon (queries/plans.py); where_item: every
-- tambon, or those an import touched (queries/rollup.py).
INSERT INTO agg_plan_area (round_id, level, pcode, target, visited, analysed, with_plan,
                           plans_done, left_poverty, items, items_active, items_done,
                           items_overdue)
WITH {rounds},
it AS (
    SELECT round_id, pcode, sum(items) AS items,
           sum(items) FILTER (WHERE status <> 'cancelled') AS active,
           sum(items) FILTER (WHERE status = 'done') AS done, sum(overdue) AS overdue
    FROM agg_plan_item WHERE level = 3 AND {where_item} GROUP BY round_id, pcode
)
SELECT r.round_id, 3, coalesce(f.tambon_pcode, it.pcode),
       coalesce(f.target, 0), coalesce(f.visited, 0), coalesce(f.analysed, 0),
       coalesce(f.with_plan, 0), coalesce(f.plans_done, 0),
       CASE WHEN r.next_round_id IS NULL THEN NULL ELSE coalesce(f.left_poverty, 0) END,
       coalesce(it.items, 0), coalesce(it.active, 0), coalesce(it.done, 0),
       coalesce(it.overdue, 0)
FROM plan_funnel_t f
FULL JOIN it ON it.round_id = f.round_id AND it.pcode = f.tambon_pcode
JOIN rounds r ON r.round_id = coalesce(f.round_id, it.round_id)
