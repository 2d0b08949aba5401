WITH up AS (
    INSERT INTO centre AS c (code, name_th, name_en, tambon_pcode, location,
                             opened_on, status, services)
    SELECT code, name_th, name_en, tambon_pcode,
           ST_SetSRID(ST_MakePoint(lon, lat), 4326), opened_on, status,
           coalesce(services, '{}')
    FROM centre_stage
    ON CONFLICT (code) DO UPDATE SET
        name_th = EXCLUDED.name_th, name_en = EXCLUDED.name_en,
        tambon_pcode = EXCLUDED.tambon_pcode, location = EXCLUDED.location,
        opened_on = EXCLUDED.opened_on, status = EXCLUDED.status,
        services = EXCLUDED.services
    WHERE (c.name_th, c.name_en, c.tambon_pcode, c.location, c.opened_on,
           c.status, c.services)
          IS DISTINCT FROM
          (EXCLUDED.name_th, EXCLUDED.name_en, EXCLUDED.tambon_pcode,
           EXCLUDED.location, EXCLUDED.opened_on, EXCLUDED.status,
           EXCLUDED.services)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM up
