"""The domain packages can be used from a plain Python prompt: no xblock, no django."""

import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

DOMAIN_PACKAGES = ["case_teaching", "referral_tracking", "credit_export"]

# Imports every module of the package with `xblock` and `django` made unimportable.
PROBE = """
import importlib, pkgutil, sys

class Forbid:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("xblock", "django", "workbench", "xblocks"):
            raise ImportError(f"domain code imported {name}")
        return None

sys.meta_path.insert(0, Forbid())
package = importlib.import_module(sys.argv[1])
names = [package.__name__]
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(info.name)
    names.append(info.name)
print(len(names))
"""


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_the_domain_package_imports_without_xblock_or_django(package):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, package], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 2, "expected the package and at least one module"


def test_the_probe_does_catch_a_forbidden_import():
    """The check above can fail: a module importing django is refused."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "xblocks.records"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "imported" in result.stderr
