"""The one rule for "too few households", the primary small-count rule, and P-codes."""

from __future__ import annotations

import numpy as np

from chipao.domain.rates import too_few, too_few_mask
from chipao.domain.scope import PUBLIC, SYSTEM
from queries.suppression import share, suppress


def test_too_few_means_positive_but_below_the_minimum():
    assert [too_few(n, 20) for n in (None, 0, 1, 19, 20, 500)] == \
        [False, False, True, True, False, False]
    mask = too_few_mask(np.array([np.nan, 0, 1, 19, 20, 500.0]), 20)
    assert mask.tolist() == [False, False, True, True, False, False]


def test_small_counts_are_suppressed_for_public_viewers_only():
    assert [suppress(n, PUBLIC) for n in (None, 0, 1, 4, 5)] == [None, 0, None, None, 5]
    assert [suppress(n, SYSTEM) for n in (None, 0, 1, 4, 5)] == [None, 0, 1, 4, 5]
    assert share(3, 10, PUBLIC) is None and share(3, 10, SYSTEM) == 0.3
    assert share(5, 0, SYSTEM) is None


def test_pcode_rules():
    from chipao.domain.pcodes import (
        AREA_RE,
        DISTRICT_OR_TAMBON_RE,
        PARENT_RE,
        TAMBON_RE,
        ancestors_of,
        pcode_level,
    )

    assert [pcode_level(p) for p in (None, "TH", "TH50", "TH5001", "TH500101")] == [0, 0, 1, 2, 3]
    assert all(AREA_RE.match(p) for p in ("TH50", "TH5001", "TH500101"))
    assert not any(AREA_RE.match(p) for p in ("TH", "TH5", "TH50010101", "TH๕๐", "th50"))
    assert PARENT_RE.match("TH5001") and not PARENT_RE.match("TH500101")
    assert DISTRICT_OR_TAMBON_RE.match("TH500101") and not DISTRICT_OR_TAMBON_RE.match("TH50")
    assert TAMBON_RE.match("TH500101") and not TAMBON_RE.match("TH5001")
    assert ancestors_of("TH500101") == ["TH50", "TH5001"]
    assert ancestors_of("TH5001", include_self=True) == ["TH50", "TH5001"]
