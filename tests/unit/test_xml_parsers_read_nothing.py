"""Every XML reader of the suite parses with entities, DTDs and the network off, observed from
outside the parser: a local file named by an external entity is never opened, an address named
by one never sees a connection, an internal entity is never expanded. (A check after parsing
cannot prove this: by then a resolving parser has already read the file.)"""

import os
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from case_teaching import case_from_xml
from credit_export.xml_export import validate_xml
from credit_export.xml_mapping import activity_from_xml, rule_from_xml, settings_from_xml
from referral_tracking import scenario_from_xml
from xblocks.olx import parse_safely

MARKER = "EXPANDED-ENTITY-7f3c"
#: Each reader with the root element it expects.
READERS = {
    "case": (case_from_xml, "cme_case"),
    "referral scenario": (scenario_from_xml, "referral-scenario"),
    "credit activity": (activity_from_xml, "cme-activity"),
    "credit rule": (rule_from_xml, "cme-credit-rule"),
    "credit settings": (settings_from_xml, "cme-credit"),
    "credit export check": (lambda text: validate_xml(text.encode()), "cme-credits"),
    "block OLX": (parse_safely, "cme_case"),
}


def document(root: str, entity: str) -> str:
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{entity}]>\n<{root} id="x">&e;</{root}>'


def read(reader, text: str) -> str:
    """Whatever the reader gives back or refuses with, as text (both must hold no secret)."""
    try:
        return repr(reader(text))
    except Exception as exc:  # a refusal is as good as an answer here
        return f"{type(exc).__name__}: {exc}"


@contextmanager
def watched_fifo():
    """A named pipe and a record of whether anything opened it for reading: a writer's
    non-blocking open succeeds only while a reader has the pipe open (then it feeds the
    reader and closes, so a resolving parser does not hang)."""
    folder = tempfile.mkdtemp()
    path = Path(folder) / "secret.xml"
    os.mkfifo(path)
    opened, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.001)
                continue
            opened.append(True)
            os.write(fd, b"FILE-CONTENT")
            os.close(fd)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield path, opened
    finally:
        stop.set()
        thread.join(5)
        path.unlink()
        os.rmdir(folder)


@contextmanager
def listener():
    """A socket on 127.0.0.1 that counts the connections it is offered."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(True)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(5)
        server.close()


@pytest.mark.parametrize("name", READERS)
def test_a_file_named_by_an_external_entity_is_never_opened(name):
    reader, root = READERS[name]
    with watched_fifo() as (path, opened):
        answer = read(reader, document(root, f'<!ENTITY e SYSTEM "file://{path}">'))
        time.sleep(0.05)  # the watcher's last look
    assert opened == [], f"the {name} reader opened the file"
    assert "FILE-CONTENT" not in answer


@pytest.mark.parametrize("name", READERS)
def test_an_address_named_by_an_external_entity_or_dtd_never_sees_a_connection(name):
    reader, root = READERS[name]
    with listener() as (port, accepted):
        read(reader, document(root, f'<!ENTITY e SYSTEM "http://127.0.0.1:{port}/e.xml">'))
        external_dtd = (
            f'<?xml version="1.0"?>\n<!DOCTYPE {root} SYSTEM "http://127.0.0.1:{port}/d.dtd">'
            f'\n<{root} id="x"/>'
        )
        read(reader, external_dtd)
        time.sleep(0.1)
    assert accepted == [], f"the {name} reader connected"


@pytest.mark.parametrize("name", READERS)
def test_an_internal_entity_is_never_expanded(name):
    reader, root = READERS[name]
    answer = read(reader, document(root, f'<!ENTITY e "{MARKER}">'))
    assert MARKER not in answer
