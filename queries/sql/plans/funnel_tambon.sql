-- The funnel per round and tambon (queries/plans.py); the where_* conditions: every
-- tambon, or those an import touched (queries/rollup.py).
CREATE TEMP TABLE plan_funnel_t ON COMMIT DROP AS
WITH {rounds},
v AS (
    SELECT v.house_id, r.round_id, bool_or(v.poverty_type IS NOT NULL) AS analysed
    FROM visit v JOIN rounds r ON v.visited_on >= r.starts
    WHERE {where_visit}
    GROUP BY v.house_id, r.round_id
), pl AS (
    SELECT p.plan_id, p.house_id, p.round_id,
           count(i.item_id) FILTER (WHERE i.status <> 'cancelled') AS active,
           count(i.item_id) FILTER (WHERE i.status = 'done') AS done
    FROM household_plan p LEFT JOIN plan_item i ON i.plan_id = p.plan_id
    WHERE {where_plan}
    GROUP BY p.plan_id
), pl_left AS (  -- households with a plan: poor in the plan's round, not poor in the next
    SELECT pl.*, coalesce(hr.dims_failed <> 0 AND nx.dims_failed = 0, false) AS left_poverty
    FROM pl
    JOIN rounds r ON r.round_id = pl.round_id
    LEFT JOIN household_round hr ON hr.house_id = pl.house_id AND hr.round_id = pl.round_id
    LEFT JOIN household_round nx ON nx.house_id = pl.house_id AND nx.round_id = r.next_round_id
)
SELECT hr.round_id, h.tambon_pcode,
       count(*) AS target,
       count(v.house_id) AS visited,
       count(*) FILTER (WHERE v.analysed) AS analysed,
       count(pl.house_id) AS with_plan,
       count(*) FILTER (WHERE pl.active > 0 AND pl.done = pl.active) AS plans_done,
       count(*) FILTER (WHERE pl.left_poverty) AS left_poverty
FROM household h
JOIN household_round hr ON hr.house_id = h.house_id
LEFT JOIN v ON v.house_id = h.house_id AND v.round_id = hr.round_id
LEFT JOIN pl_left pl ON pl.house_id = h.house_id AND pl.round_id = hr.round_id
WHERE h.programme_target AND {where_household}
GROUP BY hr.round_id, h.tambon_pcode
