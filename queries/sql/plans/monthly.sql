INSERT INTO agg_plan_monthly (level, pcode, month, first_visits, first_plans)
SELECT :level, left(tambon_pcode, :len), month, sum(v), sum(p)
FROM (
    SELECT tambon_pcode, date_trunc('month', first_visit)::date AS month, 1 AS v, 0 AS p
    FROM plan_first_t WHERE first_visit IS NOT NULL
    UNION ALL
    SELECT tambon_pcode, date_trunc('month', first_plan)::date, 0, 1
    FROM plan_first_t WHERE first_plan IS NOT NULL
) x
GROUP BY left(tambon_pcode, :len), month
