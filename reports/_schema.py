"""Validation of results.json against the schema shipped with the package (``results.schema.json``).

``ssmverify report DIR`` renders nothing from a document this refuses, and every renderer copes
with every document it accepts. The schema is plain JSON Schema (draft 2020-12), checked by the
``jsonschema`` library; its ``x-expected`` keys are this toolkit's wording of what a value must be,
used in the one-line message of :class:`ResultsError`, e.g.::

    results[3].ci: expected 2 numbers, got 1
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

from .._errors import SsmverifyError

from ._format import visible

__all__ = ["ResultsError", "validate_results", "schema"]

_FLOAT_MAX = 1.7976931348623157e308
_NONFINITE = frozenset({"inf", "-inf", "nan"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ResultsError(SsmverifyError):
    """A results.json that is not a schema-1 ssmverify results file; the message names the JSON path of the
    first problem (``results[3].ci``) and what is wrong with it."""


@functools.lru_cache(maxsize=None)
def schema() -> dict:
    """The JSON Schema of results.json (the package's ``reports/results.schema.json``)."""
    text = resources.files(__package__).joinpath("results.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _plain_number(x) -> bool:
    """What the schema's number definition accepts, for the common case only (a false answer proves nothing)."""
    if type(x) is float or type(x) is int:
        return -_FLOAT_MAX <= x <= _FLOAT_MAX
    return type(x) is str and x in _NONFINITE


def _plain_scalar(x) -> bool:
    """What every free-form definition (``anyN``) accepts, for the common case only."""
    if x is None or type(x) is bool or type(x) is str and x.isascii():
        return True
    return (type(x) is float or type(x) is int) and -_FLOAT_MAX <= x <= _FLOAT_MAX


@functools.lru_cache(maxsize=None)
def _validator():
    """The library's validator for the schema's draft, with fast paths that skip what it would find valid.

    Documents hold long arrays of plain numbers (figure data, intervals) and thousands of small objects with
    ASCII keys; descending into each element costs more than the rest of the validation. Where a cheap test
    proves the standard keyword would find nothing, it is skipped; whenever that test fails, the library's
    own keyword decides and reports, so the result is always exactly the schema's.
    """
    from jsonschema import validators

    base = validators.validator_for(schema())
    base.check_schema(schema())
    standard = base.VALIDATORS
    number_schema = schema()["$defs"]["number"]
    free_form = re.compile(r"#/\$defs/any[0-9]+")

    def _trivial(subschema, values) -> bool:
        if subschema == number_schema:
            return all(map(_plain_number, values))
        ref = subschema.get("$ref") if isinstance(subschema, dict) else None
        return ref is not None and free_form.fullmatch(ref) is not None and all(map(_plain_scalar, values))

    def items(validator, subschema, instance, parent):
        if isinstance(instance, list) and _trivial(subschema, instance):
            return
        yield from standard["items"](validator, subschema, instance, parent)

    def additional_properties(validator, subschema, instance, parent):
        if isinstance(instance, dict):
            known = parent.get("properties", {})
            extra = [v for k, v in instance.items() if k not in known]
            if _trivial(subschema, extra):
                return
        yield from standard["additionalProperties"](validator, subschema, instance, parent)

    def property_names(validator, subschema, instance, parent):
        if isinstance(instance, dict) and subschema == schema()["$defs"]["text"] \
                and all(type(k) is str and k.isascii() for k in instance):
            return  # ASCII keys hold no lone surrogate
        yield from standard["propertyNames"](validator, subschema, instance, parent)

    return validators.extend(base, {"items": items, "additionalProperties": additional_properties,
                                    "propertyNames": property_names})(schema())


def _quoted(text: str, limit: int = 40) -> str:
    shown = visible(text)
    return '"' + (shown if len(shown) <= limit else shown[: limit - 1] + "…") + '"'


def _path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _IDENTIFIER.fullmatch(str(p)):
            out += f".{p}" if out else str(p)
        else:
            out += f"[{_quoted(str(p))}]"
    return out or "(top level)"


def _kind(value) -> str:
    """What a value is, briefly: ``null``, ``true``, ``1.5``, ``"abc"``, ``a list of 3``, ``an object``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10 ** 15 else f"a whole number of {len(str(abs(value)))} digits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _type_name(value) -> str:
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "text", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _message(error) -> str:
    """One line: what the value must be and what it is."""
    schema_here = error.schema if isinstance(error.schema, dict) else {}
    expected = schema_here.get("x-expected")
    keyword, value, instance = error.validator, error.validator_value, error.instance
    if "propertyNames" in list(error.relative_schema_path)[-2:-1]:
        return f"key {_kind(instance)}: expected {expected or 'text'}"
    if keyword == "required":
        missing = next((k for k in value if isinstance(instance, dict) and k not in instance), value[0])
        return f"missing key {_quoted(missing)}"
    if keyword == "dependentRequired":
        present = [k for k, needs in value.items() if k in instance and any(n not in instance for n in needs)]
        key = present[0] if present else next(iter(value))
        return f"key {_quoted(key)} needs {' and '.join(map(_quoted, value[key]))} as well"
    if keyword in ("enum", "const"):
        options = value if keyword == "enum" else [value]
        wanted = expected or "one of " + ", ".join("null" if o is None else _quoted(o) if isinstance(o, str)
                                                 else str(o) for o in options)
        return f"expected {wanted}, got {_kind(instance)}"
    if keyword in ("minItems", "maxItems"):
        return f"expected {expected or f'{keyword} {value}'}, got {len(instance)}"
    if keyword == "type":
        wanted = expected or " or ".join(value if isinstance(value, list) else [value])
        if instance is None or isinstance(instance, bool):
            return f"expected {wanted}, got {_kind(instance)}"
        shown = f" of {len(instance)}" if isinstance(instance, list) else "" if isinstance(instance, dict) \
            else f": {_kind(instance)}"
        return f"expected {wanted}, got {_type_name(instance)}{shown}"
    if expected:
        return f"expected {expected}, got {_kind(instance)}"
    return visible(error.message)[:200]


def _order(error):
    """Errors in document order: by the JSON path, numbers (array positions) before keys at one level."""
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def validate_results(document) -> None:
    """Raise :class:`ResultsError` unless ``document`` (results.json, parsed) is one every renderer can draw.

    The message names the JSON path of the first problem (in document order) and what is wrong:
    ``results[3].ci: expected 2 numbers, got 1``.
    """
    first = None
    for error in _validator().iter_errors(document):
        if first is None or _order(error) < _order(first):
            first = error
    if first is not None:
        raise ResultsError(f"{_path(first.absolute_path)}: {_message(first)}")
