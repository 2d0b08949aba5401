"""Component ids of /households/<house_id> (pages/household.py). The notebook's own
sections (components/notebook.py) name theirs with the same prefix."""

from __future__ import annotations

# drawn by components.notebook
from components.notebook import ANALYSIS as ANALYSIS
from components.notebook import AREA as AREA
from components.notebook import CENTRE as CENTRE
from components.notebook import CENTRE_DISTANCE as CENTRE_DISTANCE
from components.notebook import HOUSE_ID as HOUSE_ID
from components.notebook import INDICATORS as INDICATORS
from components.notebook import LEFT_POVERTY as LEFT_POVERTY
from components.notebook import MAP as MAP
from components.notebook import MEMBERS_TABLE as MEMBERS_TABLE
from components.notebook import PLAN as PLAN
from components.notebook import POOR_BADGE as POOR_BADGE
from components.notebook import SCORE as SCORE
from components.notebook import UPDATE_PLAN as UPDATE_PLAN
from components.notebook import VISITS as VISITS

PREFIX = "rec-"

REFUSED = "rec-refused"
BACK = "rec-back"
HOUSE = "rec-house"  # dcc.Store: the house on the page
LOCATION_CARD = "rec-location-card"
MEMBERS_CARD = "rec-members-card"
MEMBERS = "rec-members"
INDICATORS_CARD = "rec-indicators-card"
ANALYSIS_CARD = "rec-analysis-card"
PLAN_CARD = "rec-plan-card"
VISITS_CARD = "rec-visits-card"
# break the glass: full names and national IDs for a stated reason
REVEAL_OPEN = "rec-reveal-open"
REVEAL_FORM = "rec-reveal-form"
REVEAL_REASON = "rec-reveal-reason"
REVEAL_CONFIRM = "rec-reveal-confirm"
REVEALED = "rec-revealed"
REVEALED_TABLE = "rec-revealed-table"
REVEAL_ERROR = "rec-reveal-error"
