"""The demo activity of the consortium module."""

from datetime import date
from decimal import Decimal

from .schema import CreditActivity, HoursConversion


def demo_activity() -> CreditActivity:
    """A provincial Class I project: 6 hours, one credit per 6 hours, at most 2 credits."""
    return CreditActivity(
        project_number="2026-05-01-003",
        name="Community management of hypertension and graded referral",
        level="provincial",
        credit_class="I",
        hours=Decimal("6"),
        conversion=HoursConversion(hours_per_credit=Decimal("6"), cap=Decimal("2")),
        organiser="Consortium lead hospital, continuing education office",
        discipline="General practice",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 12, 31),
    )
