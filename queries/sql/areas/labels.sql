-- Every area's names and label point of one level (inside one subtree), by P-code:
-- what the map writes on areas and shows on hover, apart from the geometry.
SELECT pcode, name_th, name_en,
       round(ST_X(label_point)::numeric, 4)::float8 AS lx,
       round(ST_Y(label_point)::numeric, 4)::float8 AS ly
FROM area
WHERE level = :level
  AND (CAST(:parent AS text) IS NULL OR starts_with(pcode, CAST(:parent AS text)))
ORDER BY pcode
