"""Component ids of /admin (pages/admin.py)."""

from __future__ import annotations

PREFIX = "admin-"

USER = "admin-user"  # username filter (starts with)
ACTION = "admin-action"  # action filter (dropdown)
DATE_FROM = "admin-date-from"  # first day shown (typed, in the user's calendar)
DATE_TO = "admin-date-to"  # last day shown
DATE_HINT = "admin-date-hint"  # how to write a date; the fields' description
APPLY = "admin-apply"
EXPORT = "admin-export"
COUNT = "admin-count"
LOG = "admin-log"
LOG_TABLE = "admin-log-table"
DOWNLOAD = "admin-download"
USERS_TABLE = "admin-users-table"
BAD_DATE = "admin-bad-date"  # the message a date that is no date gets
