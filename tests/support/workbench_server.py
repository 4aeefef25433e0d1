"""Start and stop a real workbench server (`make run`'s launcher) for tests and benchmarks."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class WorkbenchServer:
    """`python -m xblocks.workbench.serve` on a free port with a fresh `var/` directory."""

    def __init__(
        self, port: int, var_dir: str | None = None, module: str = "xblocks.workbench.serve"
    ):
        self.port = port
        self.module = module  # the benchmarks start `benchmarks.serve`, which adds scenarios
        # A var directory of its own is deleted when the server stops; one given is kept.
        self._owns_var_dir = var_dir is None
        self.var_dir = var_dir or tempfile.mkdtemp(prefix="cme-workbench-")
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = Path(self.var_dir) / "server-output.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> "WorkbenchServer":
        env = {**os.environ, "CME_VAR_DIR": self.var_dir, "PYTHONUNBUFFERED": "1"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, "--port", str(self.port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"workbench exited early:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"workbench did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C does
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()
        if self._owns_var_dir:
            shutil.rmtree(self.var_dir, ignore_errors=True)
