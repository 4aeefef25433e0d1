"""What `make run` promises a newcomer: a server that starts, says where, keeps state, stops."""

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import REPO_ROOT, free_port
from tests.support.workbench_server import WorkbenchServer


def post_json(url: str, payload: dict) -> dict:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(url.split("/handler/")[0] + "/scenario/thumbs.0/")  # sets the csrftoken cookie
    token = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    with opener.open(request) as response:
        return json.loads(response.read())


def test_it_prints_where_to_go_keeps_state_across_a_restart_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    server = WorkbenchServer(port, var_dir=str(tmp_path)).start()
    try:
        output = server.output()
        assert f"http://127.0.0.1:{port}/" in output
        assert "?student=student_2" in output and "?student=staff" in output
        thumb = "three-thumbs-at-once.thumbs.d0.u0"
        url = f"{server.url}/handler/{thumb}/vote/?student=student_1"
        votes = post_json(url, {"voteType": "up"})["up"]
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert "Workbench stopped." in server.output()
    assert (tmp_path / "workbench.db").exists()

    again = WorkbenchServer(port, var_dir=str(tmp_path)).start()
    try:
        assert post_json(url, {"voteType": "up"})["up"] == votes + 1
    finally:
        again.stop()


def test_a_taken_port_is_named_with_how_to_choose_another(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "xblocks.workbench.serve", "--port", str(port)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "CME_VAR_DIR": str(tmp_path)},
        )
    assert result.returncode == 2
    assert f"Port {port}" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr


@pytest.mark.parametrize("version", ["3.12", "3.99"])  # Debian 12's own Python is a 3.11
def test_without_the_python_the_setup_says_in_one_line_what_to_install(tmp_path, version):
    result = subprocess.run(
        [str(REPO_ROOT / "tools" / "find-python"), version],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path)},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"Python {version} not found: install it" in lines[0]


@pytest.mark.parametrize("version", ["3.11", "3.12"])
def test_each_python_is_found_under_pyenv_without_being_on_path(version):
    result = subprocess.run(
        [str(REPO_ROOT / "tools" / "find-python"), version],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    found = subprocess.run([result.stdout.strip(), "--version"], capture_output=True, text=True)
    assert found.stdout.startswith(f"Python {version}.")
