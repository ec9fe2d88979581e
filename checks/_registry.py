"""Claim id -> its checker.  A new claim's check is registered here."""

from .fano import FanoCheck, FanoCorrectedCheck
from .lemma1 import Lemma1Check, Lemma1CorrectedCheck
from .rate_distortion import RDConverseCheck, RDCurveCheck, Theorem1Check
from .theorem2 import Theorem2Check
from .lemma1_independent import Lemma1IndependentCheck
from .theorem2_geometric import Theorem2GeometricCheck
from .entropy_positive import EntropyPositiveCheck
from .data_processing import DataProcessingCheck

CHECKS = {check.claim.id: check for check in (
    Lemma1Check(), Lemma1CorrectedCheck(), Theorem2Check(),
    FanoCheck(), FanoCorrectedCheck(), RDConverseCheck(), Theorem1Check(), RDCurveCheck(),
)}
# Issue 13.
CHECKS.update({check.claim.id: check for check in (Lemma1IndependentCheck(), Theorem2GeometricCheck(),
                                                   EntropyPositiveCheck(), DataProcessingCheck())})
