"""A real ``streamlit run`` for the tests that need one: a free port, the server in its own session, ready when it
answers ``/_stcore/health``, and stopped (its whole process group) after."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def streamlit_server(command: list[str], port: int, log_path: Path, start_seconds: float, env=None) -> Iterator[str]:
    """Start ``command`` (a ``streamlit run`` on ``port``) from the project root, output to ``log_path``; yield its URL
    once ``/_stcore/health`` answers 200; stop it after. Fails naming the log when it exits or stays silent."""
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            if server.poll() is not None:
                raise AssertionError(f"streamlit exited with {server.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"streamlit did not answer {url}/_stcore/health within {start_seconds}s")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
