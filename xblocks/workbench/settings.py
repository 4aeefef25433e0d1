"""Workbench settings for consortium-cme-xblocks (`make run`, tests and benchmarks).

Extends xblock-sdk's `workbench.settings`. What it adds, and why (see PLATFORM.md):
- every path absolute under one `var/` directory (`CME_VAR_DIR`), so the server can be started
  from anywhere and state persists across restarts;
- errors and every `publish()` event logged to the console (the SDK only writes a log file);
- our plugin app (`xblocks.records`) and the development app (`xblocks.workbench`), which
  records published events for the tests, loads scenarios tolerantly, gives the current user a
  staff switch and a language switch;
- English and Simplified Chinese, chosen with `?lang=en` / `?lang=zh-cn` or the browser.
"""

import importlib.util
import os
from pathlib import Path

import django
from workbench.settings import *  # noqa: F403  # pylint: disable=wildcard-import,unused-wildcard-import
from workbench.settings import INSTALLED_APPS, MIDDLEWARE, TEMPLATES, WORKBENCH

VAR_DIR = Path(os.environ.get("CME_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = True  # the workbench serves static files and block resources only with DEBUG
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "workbench.db"),
        # Concurrent handler calls (browser + tests) wait for the write lock instead of failing.
        "OPTIONS": {"timeout": 20},
    }
}
if django.VERSION >= (5, 1):
    # A transaction that reads and then writes (a credit claim) takes the write lock at its
    # start: SQLite would otherwise answer "database is locked" at once, without waiting, to
    # the second of two such transactions. (MySQL in the LMS locks rows instead.)
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DJFS = {
    "type": "osfs",
    "directory_root": str(VAR_DIR / "djpyfs"),
    "url_root": "/cme-dev/files",  # outside STATIC_URL: runserver serves /static/ itself
}

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "xblocks.records",
    "xblocks.workbench.apps.CmeWorkbenchConfig",
]
if importlib.util.find_spec("submissions") is not None:
    # edx-submissions, where the LMS's ORA keeps its scores (the contract tests read it).
    INSTALLED_APPS.append("submissions")

MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
    "django.middleware.locale.LocaleMiddleware",
)
MIDDLEWARE += [
    "xblocks.workbench.middleware.LanguageSwitchMiddleware",
    "xblocks.workbench.middleware.ScenariosLoadedMiddleware",
]

ROOT_URLCONF = "xblocks.workbench.urls"

TEMPLATES = [dict(TEMPLATES[0], OPTIONS=dict(TEMPLATES[0]["OPTIONS"]))]
TEMPLATES[0]["DIRS"] = [
    str(Path(__file__).parent / "templates"),  # our block page and index come first
    *TEMPLATES[0]["DIRS"],
]
TEMPLATES[0]["OPTIONS"]["context_processors"] = [
    *TEMPLATES[0]["OPTIONS"]["context_processors"],
    "xblocks.workbench.context.toolbar",
    "xblocks.workbench.context.scenario_index",
    "xblocks.workbench.context.current_scenario",
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-cn", "简体中文")]
TIME_ZONE = "Asia/Shanghai"

WORKBENCH = {
    **WORKBENCH,
    "services": {
        **WORKBENCH["services"],
        # These replace the SDK's: a user service with staff flag and pseudonymous id, and an
        # i18n service that reads our translations the way the LMS does.
        "user": "xblocks.workbench.services.WorkbenchUserService",
        "i18n": "xblocks.workbench.services.WorkbenchI18nService",
        # One read per stored field per request, as the LMS's field data cache reads.
        "field-data": "xblocks.workbench.services.OneReadFieldData",
    },
}

# Student ids that are staff from the start; the toolbar switches any other id on or off.
CME_WORKBENCH_STAFF = {"staff"}
#: Scores of blocks that are not ours, for credit rules: the grades this runtime recorded.
CME_SCORE_SOURCE = "xblocks.workbench.scores.published_grades"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "console"},
        "logfile": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(VAR_DIR / "workbench.log"),
            "maxBytes": 1_000_000,
            "backupCount": 2,
        },
    },
    "loggers": {
        # Tracebacks of failed requests go to the console, not only to the log file.
        "django.request": {
            "handlers": ["console", "logfile"],
            "level": "ERROR",
            "propagate": False,
        },
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "workbench": {"handlers": ["logfile"], "level": "WARNING", "propagate": False},
        # Every publish() event (grade, completion, learner events) is printed.
        "xblocks": {"handlers": ["console", "logfile"], "level": "INFO", "propagate": False},
    },
}
