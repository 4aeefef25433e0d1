"""`make run`: prepare the database and serve the workbench with the demo course.

    python -m xblocks.workbench.serve [--port 8000] [--host 127.0.0.1] [--reload]

The tests start the server through the same `prepare()` so what they test is what you run.
"""

import argparse
import os
import socket
import sys
import warnings

SETTINGS = "xblocks.workbench.settings"


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As runserver binds: a port whose last server just stopped (TIME_WAIT) is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def prepare() -> None:
    """Configure Django and bring the database up to date (our migrations and the SDK's tables).

    The SDK ships no migrations for its own app, hence `--run-syncdb`.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    # fs (the SDK's file service) warns about pkg_resources at import; not the user's concern.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    # Load the scenarios now, before the first request: the SDK loads them lazily inside a
    # request, and runserver's threads would otherwise see a half-filled list while the first
    # request is still loading it (a scenario answering 404 on a loaded machine).
    from workbench.scenarios import get_scenarios

    get_scenarios()


def banner(host: str, port: int) -> str:
    base = f"http://{host}:{port}/"
    return "\n".join(
        [
            "",
            f"  Consortium CME workbench: {base}",
            f"  As a learner:         {base}?student=student_1",
            f"  As a second learner:  {base}?student=student_2",
            f"  As staff:             {base}?student=staff  (or the toolbar's staff switch)",
            f"  In Chinese:           {base}?lang=zh-cn  (back: ?lang=en)",
            "  State lives in var/ and survives restarts. Stop with Ctrl-C.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--reload", action="store_true", help="restart when code changes")
    args = parser.parse_args(argv)

    if not port_is_free(args.host, args.port):
        print(
            f"Port {args.port} on {args.host} is already in use (another `make run`?). "
            f"Stop that server or choose another port: make run PORT={args.port + 1}",
            file=sys.stderr,
        )
        return 2

    prepare()
    from django.core.management import call_command

    print(banner(args.host, args.port), flush=True)
    try:
        call_command("runserver", f"{args.host}:{args.port}", use_reloader=args.reload, verbosity=1)
    except KeyboardInterrupt:
        pass
    finally:  # runserver turns Ctrl-C into sys.exit(0)
        print("Workbench stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
