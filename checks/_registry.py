"""Claim id -> its checker.  A new claim's check is registered here."""

from .fano import FanoCheck, FanoCorrectedCheck
from .lemma1 import Lemma1Check, Lemma1CorrectedCheck
from .rate_distortion import RDConverseCheck, RDCurveCheck, Theorem1Check
from .theorem2 import Theorem2Check

CHECKS = {check.claim.id: check for check in (
    Lemma1Check(), Lemma1CorrectedCheck(), Theorem2Check(),
    FanoCheck(), FanoCorrectedCheck(), RDConverseCheck(), Theorem1Check(), RDCurveCheck(),
)}
