-- One vector tile of a level's display geometry: layer 'areas', one feature per area
-- with its P-code (the map's promoteId). The box is widened by the tile's 64-unit
-- buffer so polygons crossing the edge are clipped, not dropped.
WITH box AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS wgs
)
SELECT ST_AsMVT(t, 'areas', 4096, 'geom')
FROM (
    SELECT area.pcode,
           ST_AsMVTGeom(ST_Transform(area.geom_display, 3857), box.env, 4096, 64, true) AS geom
    FROM area, box
    WHERE area.level = :level AND area.geom_display && box.wgs
) AS t
WHERE t.geom IS NOT NULL
