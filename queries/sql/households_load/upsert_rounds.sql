WITH up AS (
    INSERT INTO household_round AS r (house_id, round_id, tambon_pcode, size, welfare_card,
        failed, not_applicable, dims_failed, n_dims_failed, score)
    SELECT house_id, round_id, tambon_pcode, size, welfare_card, failed, not_applicable,
           dims_failed, n_dims_failed, score
    FROM stage_round
    ON CONFLICT (house_id, round_id) DO UPDATE SET
        size = EXCLUDED.size, welfare_card = EXCLUDED.welfare_card,
        failed = EXCLUDED.failed, not_applicable = EXCLUDED.not_applicable,
        dims_failed = EXCLUDED.dims_failed, n_dims_failed = EXCLUDED.n_dims_failed,
        score = EXCLUDED.score
    WHERE (r.size, r.welfare_card, r.failed, r.not_applicable, r.dims_failed,
           r.n_dims_failed, r.score)
          IS DISTINCT FROM
          (EXCLUDED.size, EXCLUDED.welfare_card, EXCLUDED.failed, EXCLUDED.not_applicable,
           EXCLUDED.dims_failed, EXCLUDED.n_dims_failed, EXCLUDED.score)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
