"""consortium-cme-xblocks: case teaching, graded-referral follow-up and CME credits for Open edX."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def package_data(package: str, roots: list[str]) -> list[str]:
    """Every file under `roots` of `package`, as paths relative to the package.

    setuptools' globs do not recurse reliably across versions; listing files keeps templates,
    static assets, translations, XSDs and demo content inside the wheel.
    """
    base = HERE / package
    files = []
    for root in roots:
        for path in (base / root).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files.append(str(path.relative_to(base)))
    return files


setup(
    name="consortium-cme-xblocks",
    version="0.1.0",
    description=(
        "Open edX XBlocks for medical consortia: staged clinical cases, graded-referral "
        "follow-up exercises and CME credit records with CSV/XML/xAPI export."
    ),
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="AGPL-3.0",
    license_files=["LICENSE"],
    python_requires=">=3.11",
    packages=find_packages(
        include=[
            "case_teaching",
            "case_teaching.*",
            "referral_tracking",
            "referral_tracking.*",
            "credit_export",
            "credit_export.*",
            "xblocks",
            "xblocks.*",
        ],
        # The development runtime (make run, the tests) works from a checkout; it is never
        # installed into the platform.
        exclude=["xblocks.workbench", "xblocks.workbench.*"],
    ),
    package_data={
        "xblocks": package_data("xblocks", ["templates", "public", "translations"]),
        "case_teaching": package_data("case_teaching", ["demo"]),
        "referral_tracking": package_data("referral_tracking", ["demo", "rulesets"]),
        "credit_export": package_data("credit_export", ["schemas", "demo"]),
    },
    include_package_data=False,
    install_requires=[
        # Never more than the Open edX releases in use pin (requirements/platform/): Ulmo
        # (Python 3.11, XBlock 5.3.0) and Verawood (Python 3.12, XBlock 6.x), both Django 5.2.
        "Django>=4.2,<6,!=5.0.*,!=5.1.*",
        "XBlock>=5.3,<7",
        "web-fragments>=2.2",
        "pydantic>=2.7,<3",
        "lxml>=5.3",
        "nh3>=0.2.17",
        "requests>=2.31",
        # The LRS push retries through urllib3's Retry (backoff_max needs 2.0).
        "urllib3>=2.0",
    ],
    extras_require={
        # The development runtime: xblock-sdk 0.15 needs Python 3.12, 0.14 serves 3.11; the
        # SDK's file service needs XBlock's django extra (openedx-django-pyfs).
        "workbench": [
            "XBlock[django]",
            "xblock-sdk>=0.15.2,<0.16; python_version >= '3.12'",
            "xblock-sdk>=0.14,<0.15; python_version < '3.12'",
        ],
    },
    entry_points={
        # Each block is registered here as it lands: cme_case, cme_referral, cme_credit.
        "xblock.v1": [
            "cme_case = xblocks.case_block:CaseBlock",
            "cme_referral = xblocks.referral_block:ReferralBlock",
            "cme_credit = xblocks.credit_block:CreditBlock",
        ],
        "lms.djangoapp": ["cme_records = xblocks.records.apps:CmeRecordsConfig"],
        "cms.djangoapp": ["cme_records = xblocks.records.apps:CmeRecordsConfig"],
    },
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Intended Audience :: Healthcare Industry",
        "Intended Audience :: Education",
    ],
)
