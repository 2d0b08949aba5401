"""Component ids of /households/<house_id> (pages/household.py). The notebook's own
sections (components/notebook.py) name theirs with the same prefix."""

from __future__ import annotations

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
