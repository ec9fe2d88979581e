"""Claims of your own: a Python file that defines a claim and its check, run like a built-in one.

A plugin file builds a :class:`~ssmverify.Claim` and a check class derived from
:class:`~ssmverify.Check` (or :class:`~ssmverify.MonteCarloCheck`, :class:`~ssmverify.SimulatorCheck`), and
lists instances of its checks in a module-level ``CHECKS``::

    CHECKS = [MyCheck()]

``ssmverify run --plugin FILE.py`` (or ``ssmverify.run(plugins=["FILE.py"])``) loads it before the
regimes are read (so a regime file may name the plugin's claims and its settings tables); its rows then
appear in every report like a built-in one's.  ``examples/custom_claim.py`` is a complete plugin.
Everything wrong with a plugin file (missing, not Python, an exception while it is imported, no
``CHECKS``, a clash with a registered claim id) is bad input: one line naming the file, exit status 2.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

from .._errors import SsmverifyError
from . import _registry
from ._base import Check

__all__ = ["PluginError", "load_plugin", "registry_with"]


class PluginError(SsmverifyError):
    """A plugin that cannot be used; the message names the file and what is wrong."""


def load_plugin(path: str | os.PathLike) -> list[Check]:
    """Import the plugin file at ``path`` and return the checks it lists in ``CHECKS``."""
    shown = str(path)
    p = Path(path)
    if p.suffix != ".py":
        raise PluginError(f"{shown}: a plugin must be a Python file ending in .py")
    if not p.is_file():
        raise PluginError(f"{shown}: plugin file not found")
    resolved = p.resolve()
    # One module name per file (a digest of its path), so two plugins never collide in sys.modules.
    name = "ssmverify_plugin_" + hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    spec = importlib.util.spec_from_file_location(name, resolved)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module       # dataclasses and pickling look their module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise PluginError(f"{shown}: line {exc.lineno}: not valid Python: {exc.msg}") from None
    except SsmverifyError as exc:
        sys.modules.pop(name, None)
        raise PluginError(f"{shown}: {exc}") from None
    except Exception as exc:    # the user's code failed while it was imported
        sys.modules.pop(name, None)
        raise PluginError(f"{shown}: raised {type(exc).__name__} while it was imported: {exc}") from None
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, (list, tuple)) or not checks:
        raise PluginError(f"{shown}: defines no CHECKS (a non-empty list of check instances, e.g. "
                          "CHECKS = [MyCheck()])")
    return list(checks)


def registry_with(plugins=()) -> _registry.Registry:
    """The built-in registry plus ``plugins``: paths of plugin files, or check instances (each a source of
    its own).  The built-in registry itself is not changed."""
    registry = _registry.BUILTIN
    for plugin in plugins:
        if isinstance(plugin, Check):
            source = f"{type(plugin).__module__}.{type(plugin).__qualname__}"
            checks = [plugin]
        elif isinstance(plugin, (str, os.PathLike)):
            source, checks = str(plugin), load_plugin(plugin)
        else:
            raise PluginError(f"plugins: {plugin!r} is neither a plugin file path nor a check instance")
        try:
            registry = registry.with_checks(checks, source)
        except _registry.RegistryError as exc:
            raise PluginError(str(exc)) from None
    return registry
