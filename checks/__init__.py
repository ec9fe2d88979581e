"""Monte Carlo checkers that turn samples into verdicts, the suite, and the ``ssmverify`` command."""

from ._base import Settings
from ._registry import CHECKS
from ._verdict import FAIL, INCONCLUSIVE, NOT_APPLICABLE, PASS, VERDICTS, CheckResult, Comparison

__all__ = ["CHECKS", "CheckResult", "Comparison", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE", "PASS",
           "Settings", "VERDICTS"]
