"""The ``ssmverify`` command keeps freed memory for reuse (glibc): a large array allocated again after being
freed costs no fresh page faults.  Measured in a child process, with and without the setting."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

CHILD = r"""
import json, resource, sys
import numpy as np
if sys.argv[1] == "on":
    from ssmverify.checks.cli import _reuse_freed_memory
    _reuse_freed_memory()
def faults_of_one_round():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a = np.ones(64 * 2**20 // 8)   # 64 MiB, above glibc's largest mmap threshold
    del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults_of_one_round()              # the first time the pages are new either way
print(json.dumps([faults_of_one_round() for _ in range(3)]))
"""

glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def _faults(mode: str) -> list[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(not glibc, reason="the setting is glibc's mallopt")
def test_freed_memory_is_reused_without_new_page_faults():
    off, on = _faults("off"), _faults("on")
    # glibc's default: every round maps new pages and faults each one in (at least the 32 huge pages of
    # 64 MiB where transparent huge pages serve NumPy's large arrays; 16384 small ones where they do not)
    assert min(off) >= 16, off
    assert 8 * max(on) < min(off), (on, off)   # kept: the same pages again, already mapped


def test_glibc_variables_of_the_user_are_left_alone(monkeypatch):
    from ssmverify.checks import cli

    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    calls = []
    monkeypatch.setattr("ctypes.CDLL", lambda *a, **k: calls.append(a))
    cli._reuse_freed_memory()
    assert calls == []
