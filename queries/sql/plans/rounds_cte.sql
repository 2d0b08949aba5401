    rounds AS (
        SELECT round_id,
               lead(round_id) OVER w AS next_round_id,
               CASE WHEN lag(year_be) OVER w IS NULL THEN '-infinity'::date
                    ELSE make_date(year_be - 543, 1, 1) END AS starts
        FROM survey_round WINDOW w AS (ORDER BY year_be)
    )
