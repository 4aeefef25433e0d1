"""Start a real Ralph LRS (ralph-malph 5.1.0) on 127.0.0.1 with the file-system backend.

Why a launcher instead of `ralph runserver`: in 5.1.0 the fs LRS backend writes every batch
with operation type CREATE, which refuses to write into the file the first batch created, so
every POST after the first answers 500 ("Statements bulk indexation failed"). Appending is
what an LRS on files must do; we set it before uvicorn imports the app. Plain uvicorn also
starts faster and does not auto-reload on files of the working directory.

Usage: python ralph_launcher.py PORT   (environment: RALPH_* as set by tests/support/ralph_lrs.py)
"""

import sys

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    import uvicorn

    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
