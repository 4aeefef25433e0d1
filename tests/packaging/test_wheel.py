"""What an operator installs is a wheel: templates, assets, translations and data must be in it."""

import subprocess
import sys
import zipfile

from tests.conftest import REPO_ROOT

#: Every file of these packages (code, templates, assets, catalogs, demo content, XSDs) ships:
#: a data directory added later cannot be forgotten in setup.py or MANIFEST.in.
PACKAGES = ["xblocks", "case_teaching", "referral_tracking", "credit_export"]


def repo_files(directory: str) -> set[str]:
    base = REPO_ROOT / directory
    return (
        {
            str(p.relative_to(REPO_ROOT))
            for p in base.rglob("*")
            if p.is_file()
            and "__pycache__" not in p.parts
            and p.suffix != ".pyc"
            and not p.name.endswith("~")
        }
        if base.exists()
        else set()
    )


def test_every_template_asset_translation_and_data_file_is_in_the_wheel(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {n for n in set().union(*(repo_files(d) for d in PACKAGES)) if n not in WORKBENCH}
    assert "credit_export/demo/hypertension_referral.activity.xml" in expected
    assert any(name.endswith("text.mo") for name in expected), "compiled catalogs are shipped"
    assert expected - names == set()


WORKBENCH = repo_files("xblocks/workbench")


def test_the_development_workbench_is_not_in_the_wheel(wheel):
    """The platform gets the blocks and the plugin app, never our test bed (its settings,
    scenarios, staff switch, event recorder)."""
    assert WORKBENCH, "the workbench lives in the checkout"
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {n for n in names if n.startswith("xblocks/workbench")} == set()


def test_the_wheel_declares_the_plugin_app_and_pins_django_below_6(wheel):
    archive = zipfile.ZipFile(wheel)
    dist_info = next(
        n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/METADATA")
    )
    entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert "[lms.djangoapp]" in entry_points and "[cms.djangoapp]" in entry_points
    assert "xblocks.records.apps:CmeRecordsConfig" in entry_points
    assert "Requires-Python: >=3.11" in metadata
    django_req = next(
        line for line in metadata.splitlines() if line.startswith("Requires-Dist: Django")
    )
    assert "<6" in django_req


def test_an_installed_wheel_finds_its_templates_and_translations(wheel, tmp_path):
    """Installed from the wheel (not the source tree), resources load through importlib."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = "\n".join(
        [
            "import importlib.resources as r, xblocks, xblocks.i18n as i",
            f"assert xblocks.__file__.startswith({str(target)!r}), xblocks.__file__",
            "mo = i.TRANSLATIONS_DIR / 'zh_CN' / 'LC_MESSAGES' / 'text.mo'",
            "assert mo.is_file(), mo",
            "migrations = r.files('xblocks').joinpath('records', 'migrations')",
            "print(sorted(p.name for p in migrations.iterdir()))",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-s", "-c", probe],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "0001_initial.py" in result.stdout
