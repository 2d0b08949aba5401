INSERT INTO area AS a (pcode, level, parent_pcode, name_th, name_en, geom, geom_display,
                       label_point, area_km2)
SELECT pcode, level, parent_pcode, name_th, name_en, geom, geom_display, label_point,
       ST_Area(geom::geography) / 1e6
FROM area_staging
ORDER BY level, pcode
ON CONFLICT (pcode) DO UPDATE SET
    level = EXCLUDED.level, parent_pcode = EXCLUDED.parent_pcode,
    name_th = EXCLUDED.name_th, name_en = EXCLUDED.name_en, geom = EXCLUDED.geom,
    geom_display = EXCLUDED.geom_display, label_point = EXCLUDED.label_point,
    area_km2 = EXCLUDED.area_km2
WHERE (a.parent_pcode, a.name_th, a.name_en, a.geom, a.geom_display, a.label_point)
      IS DISTINCT FROM
      (EXCLUDED.parent_pcode, EXCLUDED.name_th, EXCLUDED.name_en, EXCLUDED.geom,
       EXCLUDED.geom_display, EXCLUDED.label_point)
RETURNING (xmax = 0) AS inserted
