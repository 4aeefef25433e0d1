"""Throwaway PostgreSQL and MariaDB servers for the integration tests: Debian's server
binaries (tools/ensure-databases installs them), each started on a free port of 127.0.0.1 with
its data, socket and log in a temporary directory, and deleted with it afterwards.

PostgreSQL refuses to run as root: under root its directory belongs to `nobody` and initdb and
postgres run as that user. MariaDB runs as the current user (`--user=root` under root)."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import free_port

START_TIMEOUT = 60.0


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


def _must(argv: list[str], what: str, **kwargs) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}): {' '.join(argv)}\n"
            f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()  # PostgreSQL: smart shutdown; MariaDB: normal shutdown
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(server, name: str, connect, refused: type[Exception], log: Path) -> None:
    """Until `server` accepts a connection (`connect()`, refused with `refused` while it
    starts); if it exits or does not within START_TIMEOUT, discard it and fail with its log."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            connect().close()
            return
        except refused:
            time.sleep(0.1)
    code = server.process.poll()
    server.discard()
    raise RuntimeError(
        f"{name} did not accept connections on 127.0.0.1:{server.port} within "
        f"{START_TIMEOUT:.0f}s (exit code {code}):\n{_tail(log)}"
    )


class PostgreSQLServer:
    """initdb into a temporary directory, postgres on 127.0.0.1:<free port>, database `cme`."""

    engine = "django.db.backends.postgresql"
    database = "cme"
    user = "postgres"

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not found:
            raise RuntimeError(
                "PostgreSQL's server binaries are missing (/usr/lib/postgresql/*/bin/postgres): "
                "run tools/ensure-databases (make test does), or 'apt-get install postgresql'"
            )
        self.bin = Path(found[-1]).parent
        self.directory = Path(tempfile.mkdtemp(prefix="cme-postgresql-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._as = {}
        if os.geteuid() == 0:  # postgres will not run as root
            nobody = pwd.getpwnam("nobody")
            os.chown(self.directory, nobody.pw_uid, nobody.pw_gid)
            self._as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}

    def start(self) -> "PostgreSQLServer":
        data, log = self.directory / "data", self.directory / "postgres.log"
        env = {**os.environ, "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        _must(
            [
                str(self.bin / "initdb"),
                "-D",
                str(data),
                "-U",
                self.user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            "PostgreSQL's initdb",
            cwd=self.directory,
            env=env,
            **self._as,
        )
        # One file descriptor for both streams, opened here (root) and written by postgres.
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.directory),
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                ],
                cwd=self.directory,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                **self._as,
            )
        self._wait(log)
        with self._connect("postgres") as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')
        return self

    def _connect(self, database: str):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.user,
            dbname=database,
            autocommit=True,
            connect_timeout=2,
        )

    def _wait(self, log: Path) -> None:
        import psycopg

        _wait_for(
            self, "PostgreSQL", lambda: self._connect("postgres"), psycopg.OperationalError, log
        )

    def django_settings(self) -> dict:
        return {
            "ENGINE": self.engine,
            "NAME": self.database,
            "USER": self.user,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }

    def discard(self) -> None:
        _stop(self.process)
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)


class MariaDBServer:
    """mariadb-install-db into a temporary directory, mariadbd on 127.0.0.1:<free port>,
    database `cme` in utf8mb4 (what Open edX's MySQL uses)."""

    engine = "django.db.backends.mysql"
    database = "cme"
    user = "root"

    def __init__(self):
        self.server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin")
        self.install_db = shutil.which("mariadb-install-db")
        if not self.server or not self.install_db:
            raise RuntimeError(
                "MariaDB's server is missing (mariadbd, mariadb-install-db): run "
                "tools/ensure-databases (make test does), or 'apt-get install mariadb-server'"
            )
        self.directory = Path(tempfile.mkdtemp(prefix="cme-mariadb-"))
        self.port = free_port()
        self.socket = self.directory / "mariadb.sock"
        self.process: subprocess.Popen | None = None
        self._user = ["--user=root"] if os.geteuid() == 0 else []

    def start(self) -> "MariaDBServer":
        data, log = self.directory / "data", self.directory / "mariadb.log"
        _must(
            [
                self.install_db,
                "--no-defaults",
                f"--datadir={data}",
                "--skip-test-db",
                "--auth-root-authentication-method=normal",
                "--skip-name-resolve",
                *self._user,
            ],
            "mariadb-install-db",
            cwd=self.directory,
        )
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    self.server,
                    "--no-defaults",
                    f"--datadir={data}",
                    f"--socket={self.socket}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    "--skip-networking=0",
                    f"--pid-file={self.directory / 'mariadb.pid'}",
                    "--skip-name-resolve",
                    "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_unicode_ci",
                    "--innodb-flush-log-at-trx-commit=0",
                    "--innodb-buffer-pool-size=64M",
                    "--innodb-doublewrite=0",
                    "--skip-log-bin",
                    *self._user,
                ],
                cwd=self.directory,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait(log)
        connection = self._connect()
        try:
            connection.cursor().execute(
                f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4 "
                "COLLATE utf8mb4_unicode_ci"
            )
        finally:
            connection.close()
        return self

    def _connect(self):
        import MySQLdb

        return MySQLdb.connect(
            host="127.0.0.1", port=self.port, user=self.user, password="", connect_timeout=2
        )

    def _wait(self, log: Path) -> None:
        import MySQLdb

        _wait_for(self, "MariaDB", self._connect, MySQLdb.OperationalError, log)

    def django_settings(self) -> dict:
        return {
            "ENGINE": self.engine,
            "NAME": self.database,
            "USER": self.user,
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "OPTIONS": {"charset": "utf8mb4"},
        }

    def discard(self) -> None:
        _stop(self.process)
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)
