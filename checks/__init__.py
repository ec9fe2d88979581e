"""Monte Carlo checkers that turn samples into verdicts, the suite, and the ``ssmverify`` command.

The public names are loaded on first use (PEP 562), so ``import checks.cli`` stays
light: ``ssmverify --help`` and bad-input errors answer at once, and the report
renderer's worker processes (which re-import the command's module) do not pay
for JAX.
"""

from importlib import import_module

_EXPORTS = {
    "CHECKS": "._registry", "Settings": "._base", "CheckResult": "._verdict", "Comparison": "._verdict",
    "FAIL": "._verdict", "INCONCLUSIVE": "._verdict", "NOT_APPLICABLE": "._verdict", "PASS": "._verdict",
    "VERDICTS": "._verdict",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module 'checks' has no attribute {name!r}")
