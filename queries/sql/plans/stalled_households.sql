WITH open_items AS MATERIALIZED (  -- the area's open items (index ranges)
    SELECT i.plan_id, i.house_id, i.tambon_pcode, i.due_on, i.agency_code,
           (i.updated_at AT TIME ZONE 'Asia/Bangkok')::date AS changed
    FROM plan_item i
    WHERE ({item_ranges})
      AND i.status IN ('not_started', 'in_progress')
), round_plans AS (  -- the round's plans in the area
    SELECT p.plan_id FROM household_plan p
    WHERE ({plan_ranges}) AND p.round_id = :r
), stalled AS (  -- one plan = one household in one round
    SELECT min(i.house_id) AS house_id, min(i.tambon_pcode) AS tambon_pcode,
           count(*) AS open_items,
           count(*) FILTER (WHERE i.due_on < :as_of) AS overdue_items,
           max(i.changed) AS last_change, min(i.due_on) AS earliest_due,
           string_agg(DISTINCT i.agency_code, ' ' ORDER BY i.agency_code)
               AS agencies
    FROM open_items i
    WHERE i.plan_id IN (SELECT plan_id FROM round_plans)
    GROUP BY i.plan_id
    HAVING max(i.changed) <= :cutoff
    ORDER BY max(i.changed), min(i.tambon_pcode), min(i.house_id)
    LIMIT :limit
)
SELECT s.house_id, s.tambon_pcode, a.name_th AS tambon_name_th,
       a.name_en AS tambon_name_en, h.village_no, s.open_items,
       s.overdue_items, s.last_change, :as_of - s.last_change AS idle_days,
       s.earliest_due, s.agencies
FROM stalled s
JOIN household h ON h.house_id = s.house_id
JOIN area a ON a.pcode = s.tambon_pcode
ORDER BY s.last_change, s.tambon_pcode, s.house_id
