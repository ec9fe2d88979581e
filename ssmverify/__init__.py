"""ssmverify: numerical verification of the theorems of arXiv 2410.03158.

Placeholder package root (public API follows).
"""
from ._errors import SsmverifyError

__all__ = ["SsmverifyError"]
