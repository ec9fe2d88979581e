"""The argument of a ``functools.lru_cache``d function whose real arguments are not hashable.

Regimes and NumPy arrays cannot be cache keys.  A memoised function takes one :class:`Keyed` instead:
compared and hashed by ``key`` alone (a regime's fingerprint, a digest of arrays, a tuple of those),
with the unhashable arguments riding along in ``value``, which the cache never compares::

    @functools.lru_cache(maxsize=16)
    def _source_cached(request: Keyed) -> GaussianSource:
        return gaussian_source(request.value)

    def source_of(regime):
        return _source_cached(Keyed(regime.fingerprint(), regime))

Two calls whose keys are equal share the first call's result, so the key must hold everything the
result depends on.  (``checks._base._DrawRequest`` is the same pattern with named fields.)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Hashable

__all__ = ["Keyed"]


@dataclasses.dataclass(frozen=True)
class Keyed:
    """A cache key (``key``, compared and hashed) with its payload (``value``, neither)."""

    key: Hashable
    value: Any = dataclasses.field(compare=False)
