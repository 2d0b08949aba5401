"""Component ids of /plans (pages/plans.py): page-prefixed, so the callback
guard (chipao.web.auth.CALLBACK_PREFIXES) knows their page."""

# drawn by components.plan_widgets
from components.plan_widgets import AGENCY_TABLE as AGENCY_TABLE
from components.plan_widgets import HORIZON_TABLE as HORIZON_TABLE
from components.plan_widgets import STALLED_AREAS as STALLED_AREAS
from components.plan_widgets import STALLED_HOUSEHOLDS as STALLED_HOUSEHOLDS
from components.plan_widgets import STEPS_AREA as STEPS_AREA
from components.plan_widgets import STEPS_LEGEND as STEPS_LEGEND
from components.plan_widgets import TARGETS_TABLE as TARGETS_TABLE

PREFIX = "plans-"
AGENCY_MATRIX = "plans-agency-matrix"
AS_OF = "plans-as-of"
BREADCRUMB = "plans-breadcrumb"
DAYS = "plans-days"
DEFINITIONS = "plans-definitions"
EXPORT_MAP = "plans-export-map"
FUNNEL = "plans-funnel"
HORIZONS = "plans-horizons"
KPI_ITEMS_DONE = "plans-kpi-items-done"
KPI_OVERDUE = "plans-kpi-overdue"
KPI_TARGET = "plans-kpi-target"
KPI_WITH_PLAN = "plans-kpi-with-plan"
MAP = "plans-map"
MAP_LEGEND = "plans-map-legend"
MAP_LEGEND_BOX = "plans-map-legend-box"
MEASURE = "plans-measure"
MOST_UNMET = "plans-most-unmet"
NAV = "plans-nav"
PACE = "plans-pace"
PAGE = "plans-page"
PENDING = "plans-pending"
PRESENT = "plans-present"
PRINT_STAMP = "plans-print-stamp"
PROJECTION = "plans-projection"
ROUND_NOTE = "plans-round-note"
STALLED_SUMMARY = "plans-stalled-summary"
STATE = "plans-state"
STEPS_DISTRICT = "plans-steps-district"
STEPS_MAP = "plans-steps-map"
STEPS_MATRIX = "plans-steps-matrix"
