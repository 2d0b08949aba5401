"""The one rule for "too few households" and the one for small-count suppression."""

from __future__ import annotations

import numpy as np

from chipao.domain.rates import too_few, too_few_mask
from chipao.domain.scope import PUBLIC, SYSTEM
from chipao.domain.suppression import share, small, suppress


def test_too_few_means_positive_but_below_the_minimum():
    assert [too_few(n, 20) for n in (None, 0, 1, 19, 20, 500)] == \
        [False, False, True, True, False, False]
    mask = too_few_mask(np.array([np.nan, 0, 1, 19, 20, 500.0]), 20)
    assert mask.tolist() == [False, False, True, True, False, False]


def test_small_counts_are_suppressed_for_public_viewers_only():
    assert [suppress(n, PUBLIC) for n in (None, 0, 1, 4, 5)] == [None, 0, None, None, 5]
    assert [suppress(n, SYSTEM) for n in (None, 0, 1, 4, 5)] == [None, 0, 1, 4, 5]
    assert small(np.array([np.nan, 0, 1, 4, 5.0]), 5).tolist() == [False, False, True, True,
                                                                  False]
    assert share(3, 10, PUBLIC) is None and share(3, 10, SYSTEM) == 0.3
    assert share(5, 0, SYSTEM) is None
