"""Recording of `runtime.publish()`.

The SDK's runtime only logs published events. The LMS sends grades to the gradebook,
completion to the completion API and everything else to the tracking log; here we print each
event to the console and keep it in `PublishedEvent` so tests can assert what a block published.
"""

import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from workbench.runtime import WorkbenchRuntime

log = logging.getLogger("xblocks.events")


def record_publish(block, event_type: str, event_data) -> None:
    """Print and store one published event (replaces `WorkbenchRuntime.publish`)."""
    from .models import PublishedEvent

    data = json.loads(json.dumps(event_data, cls=DjangoJSONEncoder))
    log.info(
        "publish %s by %s for %s: %s",
        event_type,
        block.scope_ids.block_type,
        block.scope_ids.user_id,
        json.dumps(data, ensure_ascii=False),
    )
    PublishedEvent.objects.create(
        student_id=block.scope_ids.user_id or "",
        block_type=block.scope_ids.block_type,
        usage_id=str(block.scope_ids.usage_id),
        event_type=event_type,
        data=data,
    )


def install() -> None:
    def publish(_runtime, block, event_type, event_data):
        record_publish(block, event_type, event_data)

    WorkbenchRuntime.publish = publish
