"""Rewrite the closed-vocabulary section of docs/olx-cme-referral.md from the code."""

from pathlib import Path

from referral_tracking.reference import with_reference

DOC = Path(__file__).resolve().parent.parent / "docs" / "olx-cme-referral.md"

if __name__ == "__main__":
    DOC.write_text(with_reference(DOC.read_text(encoding="utf-8")), encoding="utf-8")
