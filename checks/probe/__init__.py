"""``ssmverify probe``: where each bound fails, the worst violation, and replayable counterexamples.

* Grid: every combination of knob values is a cell; cells of one shape are
  simulated together with ``jax.vmap`` in fixed-size chunks (one compilation),
  all with the same random stream (common random numbers across cells).  Each
  cell gets the check's own comparisons; the grid is one Bonferroni family
  (per-comparison level α / Σ_cells m_cell), stated on the figure.
* Search (``--search BUDGET``): a derivative-free (1+λ) evolution strategy in
  the box the ranges define, on the point margin max(statistic − bound) over
  the cell's deciding comparisons, with common random numbers so candidates are
  compared on the same paths.  Started from the best grid cell.
* Certification: a violation is re-checked as a new regime with its own name,
  hence an independent random stream, exactly as ``ssmverify run FILE --claims
  ID`` would run it.  Only one that FAILs there is a counterexample; the rest
  are candidates.  Certified ones are shrunk (entries zeroed, numbers rounded,
  while the shrunk regime still FAILs on a separate stream) and certified once
  more under their final name before ``counterexamples/NNN.toml`` is written.
"""

from .certify import certify_and_write
from .grid import batched, cell_estimate, chunk_size, dumps, grid_csv, grid_document, run_grid
from .search import _unit_to_values, search

__all__ = ["batched", "cell_estimate", "chunk_size", "run_grid", "search", "certify_and_write", "grid_document", "grid_csv", "dumps",
           "_unit_to_values"]
