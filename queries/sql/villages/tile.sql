-- One Mapbox vector tile (layer 'villages') of villages whose point lies in tile z/x/y,
-- from their figures as arrays aligned by village (the figures village_values read
-- under the user's scope): per village its code (vid) and class index (c) by the
-- legend's class breaks (:bins, ascending; the index is the number of breaks below the
-- value, at most the last class, as components/choropleth.class_index computes it), −1
-- for a rate over too few households (0 < surveyed < :min_n), none for no figure.
WITH box AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env),
val AS (
    SELECT v.vid, v.surveyed, v.value,
           ST_Transform(ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4326), 3857) AS point
    FROM unnest(CAST(:vids AS text[]), CAST(:lons AS float8[]), CAST(:lats AS float8[]),
                CAST(:surveyed AS int[]), CAST(:values AS float8[]))
         AS v(vid, lon, lat, surveyed, value)
    WHERE v.lon IS NOT NULL AND v.lat IS NOT NULL
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
