"""The wheel installs into each Open edX release in use without changing a version it pins.

Tutor installs extra requirements with `uv pip install` (OPENEDX_EXTRA_PIP_REQUIREMENTS); the
platform's pins are requirements/platform/openedx-py3XX.txt (copies of ../shared/platform/).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PLATFORM = REPO_ROOT / "requirements" / "platform"
SHARED = REPO_ROOT.parent / "shared" / "platform"
RELEASES = {"py311": "3.11", "py312": "3.12"}

#: Run in the installed venv: the installed versions, and what each entry point gives Open edX.
PROBE = """
import json, sys
from importlib.metadata import distributions, entry_points
versions = {d.metadata["Name"].lower(): d.version for d in distributions()}
blocks = {}
for point in entry_points(group="xblock.v1"):
    if point.value.startswith("xblocks."):
        cls = point.load()
        blocks[point.name] = cls.has_support(None, cls.student_view, "multi_device")
apps = [p.value for p in entry_points(group="lms.djangoapp") if p.value.startswith("xblocks.")]
print(json.dumps({"versions": versions, "blocks": blocks, "apps": apps}))
"""


def pins(release: str) -> dict[str, str]:
    found = {}
    for line in (PLATFORM / f"openedx-{release}.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            found[name.lower()] = version
    return found


@pytest.mark.parametrize("release", RELEASES)
def test_our_copy_of_the_platform_pins_is_the_shared_one(release):
    """The pins come from the platform's files (../shared/platform/, refreshed when the
    platform moves on); ours may not drift from them. Without that folder (a clone on its
    own), the copy must still pin the platform's Django 5.2 and an XBlock the release ships."""
    ours = (PLATFORM / f"openedx-{release}.txt").read_text()
    if SHARED.exists():
        assert ours == (SHARED / f"openedx-{release}.txt").read_text()
    assert pins(release)["django"].startswith("5.2.")
    assert pins(release)["xblock"].split(".")[0] == {"py311": "5", "py312": "6"}[release]


@pytest.mark.parametrize("release", RELEASES)
def test_uv_installs_the_wheel_on_the_platform_pins_and_every_block_is_usable(
    wheel, tmp_path, release
):
    python = subprocess.run(
        [str(REPO_ROOT / "tools" / "find-python"), RELEASES[release]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    uv = str(Path(sys.executable).parent / "uv")
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "-q", "--python", python, str(venv)], check=True)
    installed = subprocess.run(
        [
            *(uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python")),
            *("-c", str(PLATFORM / f"openedx-{release}.txt"), str(wheel)),
        ],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", PROBE], capture_output=True, text=True, check=True
    )
    found = json.loads(probe.stdout)
    changed = {
        name: (version, found["versions"][name])
        for name, version in pins(release).items()
        if name in found["versions"] and found["versions"][name] != version
    }
    assert changed == {}
    assert found["versions"]["django"] == pins(release)["django"]
    assert found["versions"]["xblock"] == pins(release)["xblock"]
    assert found["blocks"] == {"cme_case": True, "cme_referral": True, "cme_credit": True}
    assert found["apps"] == ["xblocks.records.apps:CmeRecordsConfig"]
