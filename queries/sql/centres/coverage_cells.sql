-- Located households per round, tambon, demand cell and 1-km band (queries/centres.py).
CREATE TEMP TABLE coverage_cell ON COMMIT DROP AS
SELECT r.round_id, s.tambon_pcode,
       floor(s.lon / {cell_deg})::int AS cx,
       floor(s.lat / {cell_deg})::int AS cy,
       CASE WHEN s.distance_m IS NULL THEN {no_centre_band}
            ELSE least(floor(s.distance_m / 1000), {max_band_km}) END::smallint
            AS band,
       count(*) AS located,
       count(*) FILTER (WHERE r.dims_failed <> 0) AS poor,
       count(*) FILTER (WHERE r.dims_failed <> 0 AND r.welfare_card) AS target_poor,
       coalesce(sum(s.distance_m) FILTER (WHERE r.dims_failed <> 0), 0) / 1000
           AS poor_km,
       sum(s.lon) FILTER (WHERE r.dims_failed <> 0) AS sum_lon,
       sum(s.lat) FILTER (WHERE r.dims_failed <> 0) AS sum_lat
FROM household_round r
JOIN nearest_stage s USING (house_id)
GROUP BY 1, 2, 3, 4, 5
