"""ssmverify: numerical verification of the theorems of arXiv 2410.03158 (memory compression in selective
state space models).

The public API::

    import ssmverify
    results = ssmverify.run(["builtin:constant-gate"], quick=True)   # -> Results (typed rows)
    results.rows[0].verdict                                          # ssmverify.Verdict.FAIL
    results.write("out/")                                            # every report, as `ssmverify run` does

* running: :func:`run`, :func:`plan` (validate and estimate first), :class:`Results`, :func:`load_results`;
* inputs: :func:`load_regime` (a file or ``"builtin:NAME"``), :class:`Regime`, :func:`claims` (the registry);
* results: :class:`CheckResult` (one row), :class:`Verdict` (a string enum), :class:`Comparison`;
* your own claims (plugins, see ``examples/custom_claim.py``): :class:`Claim`, :class:`Hypothesis`,
  :class:`Setting`, the check bases :class:`Check`, :class:`MonteCarloCheck`, :class:`SimulatorCheck` with
  :class:`Simulation` and :class:`Settings`, and the comparison builders :func:`mean_comparison`,
  :func:`exact_comparison`, :func:`ratio_comparisons`;
* errors: every error the toolkit raises on purpose derives from :class:`SsmverifyError`.

Names load on first use (PEP 562): ``import ssmverify`` itself is instant, JAX loads with the first check.
The subpackages ``ssmverify.theorems`` (the paper formalised), ``ssmverify.estimators`` (measurement),
``ssmverify.checks`` (verdicts, the suite, the command) and ``ssmverify.reports`` (rendering) hold the rest.
"""

from importlib import import_module

from ._errors import SsmverifyError  # noqa: F401  (the one error root, light to import)

_EXPORTS = {
    # running
    "run": ".checks.api", "plan": ".checks.api", "Plan": ".checks.api", "Results": ".checks.api",
    "load_results": ".checks.api", "load_regime": ".checks.api", "claims": ".checks.api",
    "ArgumentError": ".checks.api",
    # results
    "CheckResult": ".checks._verdict", "Verdict": ".checks._verdict", "Comparison": ".checks._verdict",
    # claims and checks of your own
    "Claim": ".theorems._claim", "Hypothesis": ".theorems._claim", "Setting": ".theorems._claim",
    "Regime": ".theorems.regime", "RegimeError": ".theorems.regime",
    "Check": ".checks._base", "MonteCarloCheck": ".checks._base", "SimulatorCheck": ".checks._base",
    "Simulation": ".checks._base", "Settings": ".checks._base",
    "mean_comparison": ".checks._verdict", "exact_comparison": ".checks._verdict",
    "ratio_comparisons": ".checks._verdict",
    "PluginError": ".checks.plugins",
}

__all__ = sorted([*_EXPORTS, "SsmverifyError"])


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ssmverify' has no attribute {name!r}")


def __dir__():
    return __all__
