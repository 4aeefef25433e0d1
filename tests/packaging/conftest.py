"""The wheel an operator installs, built once per test session."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """sdist first, then the wheel from the unpacked sdist, as a release is built."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--outdir",
            str(out),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path_factory.mktemp("build-cwd"),
    )
    (path,) = out.glob("consortium_cme_xblocks-*.whl")
    return path
