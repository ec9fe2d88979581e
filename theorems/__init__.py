"""The paper formalised: the model, and each claim with its hypotheses and bound.

One module per claim of arXiv 2410.03158 (the corrected claim beside the paper's, in the same module);
``CLAIMS`` lists the paper's claims in report order.  The regime schema's per-claim tables are built
from the claims' own declarations (``Claim.settings``), registered here.  To add a claim of the paper,
write its module, add it to ``CLAIMS`` below and its check to ``checks/_registry.py`` (the two registries
are checked against each other when ``ssmverify.checks`` is imported).  A claim of your own needs no
edit here: see ``ssmverify run --plugin``.
"""

from ._claim import Claim, Hypothesis, Setting
from .complexity import COMPLEXITY
from .data_processing import DATA_PROCESSING
from .entropy_positive import ENTROPY_POSITIVE
from .fano import FANO, FANO_CORRECTED
from .fixed_point import FIXED_POINT
from .gate_retains import GATE_RETAINS
from .lemma1 import LEMMA1, LEMMA1_CORRECTED
from .lemma1_independent import LEMMA1_INDEPENDENT
from .rate_dimension import RATE_DIMENSION
from .model import Model, simulate
from .rd_converse import RD_CONVERSE
from .rd_curve import RD_CURVE
from .regime import Regime, RegimeError, declare_settings, load_regime, parse_regime
from .theorem1 import THEOREM1
from .theorem2 import THEOREM2
from .theorem2_geometric import THEOREM2_GEOMETRIC

CLAIMS: dict[str, Claim] = {c.id: c for c in (
    LEMMA1, LEMMA1_CORRECTED, THEOREM2, FANO, FANO_CORRECTED, RD_CONVERSE, THEOREM1, RD_CURVE,
    LEMMA1_INDEPENDENT, THEOREM2_GEOMETRIC, ENTROPY_POSITIVE, DATA_PROCESSING, GATE_RETAINS, COMPLEXITY,
    RATE_DIMENSION, FIXED_POINT,
)}
for _claim in CLAIMS.values():
    declare_settings(_claim)
del _claim

__all__ = [
    "CLAIMS", "Claim", "Hypothesis", "Model", "Regime", "RegimeError", "Setting",
    "load_regime", "parse_regime", "simulate",
]
