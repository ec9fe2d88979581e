"""The paper formalised: the model, and each claim with its hypotheses and bound.

One module per claim of arXiv 2410.03158; ``CLAIMS`` lists them in report order.
To add a claim, write its module here, add it to ``CLAIMS``, and register its
check in ``checks`` -- the reports pick it up from the results.
"""

from ._claim import Claim, Hypothesis
from .fano import FANO, FANO_CORRECTED
from .lemma1 import LEMMA1, LEMMA1_CORRECTED
from .model import Model, simulate
from .rate_distortion import RD_CONVERSE, RD_CURVE, THEOREM1
from .regime import Regime, RegimeError, load_regime, parse_regime
from .theorem2 import THEOREM2
from .lemma1_independent import LEMMA1_INDEPENDENT
from .theorem2_geometric import THEOREM2_GEOMETRIC
from .entropy_positive import ENTROPY_POSITIVE
from .data_processing import DATA_PROCESSING

CLAIMS: dict[str, Claim] = {c.id: c for c in (LEMMA1, LEMMA1_CORRECTED, THEOREM2, FANO, FANO_CORRECTED,
                                                 RD_CONVERSE, THEOREM1, RD_CURVE)}
# Issue 13: claims the first checks did not cover.
CLAIMS.update({c.id: c for c in (LEMMA1_INDEPENDENT, THEOREM2_GEOMETRIC, ENTROPY_POSITIVE,
                                 DATA_PROCESSING)})

__all__ = [
    "CLAIMS", "Claim", "Hypothesis", "Model", "Regime", "RegimeError",
    "load_regime", "parse_regime", "simulate",
]
