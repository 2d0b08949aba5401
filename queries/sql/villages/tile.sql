-- One Mapbox vector tile (layer 'villages') of the villages of an area whose point lies
-- in tile z/x/y: per village its code (vid) and class index (c) by the legend's class
-- breaks (:bins, ascending; the index is the number of breaks below the value, at most
-- the last class, as components/choropleth.class_index computes it), −1 for a rate
-- over too few households (0 < surveyed < :min_n), none for no figure.
-- Placeholders: figures (the statement of figures.sql), value (a row's figure).
WITH box AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env),
fig AS ({figures}),
val AS (
    SELECT vid, ST_Transform(point, 3857) AS point, surveyed, {value} AS value
    FROM fig WHERE point IS NOT NULL
)
SELECT ST_AsMVT(t, 'villages', 4096, 'geom')
FROM (
    SELECT ST_AsMVTGeom(val.point, box.env, 4096, 64, true) AS geom,
           val.vid,
           CASE WHEN :rate AND val.surveyed > 0 AND val.surveyed < :min_n THEN -1
                WHEN val.value IS NULL THEN NULL
                ELSE least((SELECT count(*) FROM unnest(CAST(:bins AS float8[])) AS b
                            WHERE b < val.value), :top)::int
           END AS c
    FROM val, box
    WHERE ST_Intersects(val.point, box.env)
) AS t
