CREATE TEMP TABLE plan_idle_t ON COMMIT DROP AS
WITH open_items AS (
    SELECT p.round_id, i.tambon_pcode, i.plan_id,
           greatest(0, least(:max_idle,
                    :as_of - (i.updated_at AT TIME ZONE 'Asia/Bangkok')::date)) AS idle
    FROM plan_item i JOIN household_plan p ON p.plan_id = i.plan_id
    WHERE i.status IN ('not_started', 'in_progress')
), per_item AS (
    SELECT round_id, tambon_pcode, idle, count(*) AS items, 0 AS households
    FROM open_items GROUP BY round_id, tambon_pcode, idle
), per_household AS (
    SELECT round_id, tambon_pcode, idle, 0 AS items, count(*) AS households
    FROM (SELECT round_id, tambon_pcode, plan_id, min(idle) AS idle
          FROM open_items GROUP BY round_id, tambon_pcode, plan_id) h
    GROUP BY round_id, tambon_pcode, idle
)
SELECT round_id, tambon_pcode, idle, sum(items)::int AS items, sum(households)::int AS households
FROM (SELECT * FROM per_item UNION ALL SELECT * FROM per_household) x
GROUP BY round_id, tambon_pcode, idle
