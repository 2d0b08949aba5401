-- The villages of figures.sql with their figure and point, for the page's ranking and
-- legend. Placeholders: figures (the statement of figures.sql), value (a row's figure).
SELECT vid, tambon_pcode, village_no, name_th, surveyed, {value} AS value, located,
       ST_X(point) AS lon, ST_Y(point) AS lat
FROM ({figures}) AS fig
ORDER BY vid
