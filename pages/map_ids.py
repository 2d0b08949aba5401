"""Component ids of /map (pages/map.py). The controls' ids are named where they are
drawn (components/map_controls.py) and re-exported here; the map component
(components/map_view.py) derives its parts' ids from VIEW; the meeting toolbar and
the brief job are in map_exports_ids.py."""

# drawn by components.map_controls
from components.map_controls import CLASSES as CLASSES
from components.map_controls import COMPARE as COMPARE
from components.map_controls import CONTROLS as CONTROLS
from components.map_controls import LEVEL as LEVEL
from components.map_controls import MEASURE as MEASURE
from components.map_controls import SUBJECT as SUBJECT
from components.map_controls import K as K

PREFIX = "map-"
ADDRESS = "map-address"  # the address to draw, when it is not the view shown
BODY = "map-body"
BREADCRUMB = "map-breadcrumb"
CAPTION = "map-caption"
CONTROLS_SHOWN = "map-controls-shown"  # {shown, asked}: the controls of the view drawn, and asked
DEFINITION = "map-definition"
ERROR = "map-error"
FIGURE_TITLE = "map-figure-title"
GEOMETRY = "map-geometry"
HOUSEHOLDS_LINK = "map-households-link"
LEGEND = "map-legend"
LEGEND_BOX = "map-legend-box"
LEGEND_DIRECTION = "map-legend-direction"
MESSAGE = "map-message"
NOTE = "map-note"
PANEL = "map-panel"
PANEL_DIMENSIONS = "map-panel-dimensions"
PANEL_FACTS = "map-panel-facts"
PANEL_NAME = "map-panel-name"
RANKING = "map-ranking"
RANKING_ALL = "map-ranking-all"
RANKING_TITLE = "map-ranking-title"
SHOWN = "map-shown"
SPEC = "map-spec"
URL = "map-url"
VALUES = "map-values"
VIEW = "map-view"
VILLAGES_LINK = "map-villages-link"  # the panel's link to a tambon's villages
VILLAGES_NOTE = "map-villages-note"
# the trend block of the area profile (components/trend.block, prefix "map-panel")
PANEL_TREND_PREFIX = "map-panel"
PANEL_TREND = "map-panel-trend"
PANEL_TREND_TITLE = "map-panel-trend-title"
PANEL_TREND_CHART = "map-panel-trend-chart"
PANEL_TREND_TABLE = "map-panel-trend-table"
PANEL_TREND_CSV = "map-panel-trend-csv"
PANEL_TREND_XLSX = "map-panel-trend-xlsx"
PANEL_TREND_PNG = "map-panel-trend-png"
PANEL_TREND_SVG = "map-panel-trend-svg"
RANKING_MORE = "map-ranking-more"
HOME = "map-home"  # the user's own area, written into the address (assets/20-chipao.js)
HOME_MARK = "map-home-mark"
PRINT_STAMP = "map-print-stamp"
PRESENT_HINT = "map-present-hint"
