SELECT '{"type":"FeatureCollection","features":['
       || coalesce(string_agg(
            '{"type":"Feature","id":' || to_json(pcode)::text
            || ',"properties":{"pcode":' || to_json(pcode)::text
            || ',"name_th":' || to_json(name_th)::text
            || ',"name_en":' || to_json(name_en)::text
            || ',"lx":' || round(ST_X(label_point)::numeric, 4)::text
            || ',"ly":' || round(ST_Y(label_point)::numeric, 4)::text
            || '},"geometry":' || ST_AsGeoJSON(geom_display, 5) || '}',
            ',' ORDER BY pcode), '')
       || ']}'
FROM area
WHERE level = :level
  AND (CAST(:parent AS text) IS NULL OR starts_with(pcode, CAST(:parent AS text)))
