"""Component ids of the frame around every page (components/shell.py).

Pages listen to some of them (``URL`` for the query string, ``ROUND`` for the survey
round), so they are named once here. Every value starts with ``PREFIX``, which the
callback guard (``chipao.web.auth.SHARED_PREFIXES``) lets through on every page.

Each page declares its own ids the same way in ``pages/<page>_ids.py`` (see
docs/architecture.md, "component ids")."""

from __future__ import annotations

PREFIX = "shell-"

URL = "shell-url"  # dcc.Location: pathname and ?round=… of every page
ROUND = "shell-round"  # the survey-round dropdown
NAV = "shell-nav"  # pattern-matching: {"type": NAV, "path": "/map"}
TOGGLER = "shell-toggler"
COLLAPSE = "shell-collapse"
LANG = "shell-lang"
LANG_TH = "shell-lang-th"
LANG_EN = "shell-lang-en"
SIGNIN = "shell-signin"
USER = "shell-user"
SIGNOUT = "shell-signout"
SIGNOUT_CSRF = "shell-signout-csrf"
SIGNOUT_FORM = "shell-signout-form"
BUSY = "shell-busy"
ATTRIBUTION = "shell-attribution"
MAIN = "main"  # the skip link's target (href="#main"); not a callback id
