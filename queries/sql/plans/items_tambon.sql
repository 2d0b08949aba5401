INSERT INTO agg_plan_item (round_id, level, pcode, horizon, category_code, agency_code, status,
                           items, overdue)
SELECT p.round_id, 3, i.tambon_pcode, i.horizon, i.category_code, i.agency_code, i.status,
       count(*), count(*) FILTER (WHERE i.status IN ('not_started', 'in_progress')
                                    AND i.due_on < :as_of)
FROM plan_item i JOIN household_plan p ON p.plan_id = i.plan_id
GROUP BY p.round_id, i.tambon_pcode, i.horizon, i.category_code, i.agency_code, i.status
