"""setuptools' build backend, tidied: `pip install .` leaves no build/ or egg-info behind.

pip builds a wheel in the checkout itself; setuptools then keeps its work folders there. This
backend (pyproject.toml: build-backend, backend-path) removes the ones a build created.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403 - every hook setuptools offers

WORK = ("build", "wiredesk.egg-info")


def tidy(hook: Callable[..., str]) -> Callable[..., str]:
    """Return the hook, removing the work folders that were not there before it ran."""

    def run(*args, **kwargs) -> str:
        fresh = [Path(name) for name in WORK if not Path(name).exists()]
        try:
            return hook(*args, **kwargs)
        finally:
            for folder in fresh:
                shutil.rmtree(folder, ignore_errors=True)

    run.__name__ = hook.__name__
    return run


build_wheel = tidy(build_meta.build_wheel)
build_sdist = tidy(build_meta.build_sdist)
prepare_metadata_for_build_wheel = tidy(build_meta.prepare_metadata_for_build_wheel)
build_editable = tidy(build_meta.build_editable)
prepare_metadata_for_build_editable = tidy(build_meta.prepare_metadata_for_build_editable)
get_requires_for_build_wheel = tidy(build_meta.get_requires_for_build_wheel)
get_requires_for_build_sdist = tidy(build_meta.get_requires_for_build_sdist)
get_requires_for_build_editable = tidy(build_meta.get_requires_for_build_editable)
