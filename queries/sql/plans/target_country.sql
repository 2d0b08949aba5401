INSERT INTO agg_plan_target (level, pcode, target_households, in_store, visited, analysed,
                             with_plan)
SELECT 0, 'TH', sum(target_households), coalesce(sum(in_store), 0), coalesce(sum(visited), 0),
       coalesce(sum(analysed), 0), coalesce(sum(with_plan), 0)
FROM agg_plan_target WHERE level = 1
