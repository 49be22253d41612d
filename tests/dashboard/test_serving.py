"""``make app`` serves the dashboard on this machine only, unless ``ADDRESS=`` shares it on purpose (no login)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from tests.support.streamlit_server import free_port, streamlit_server

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc/net/tcp{,6} write them
LISTEN = "0A"
START_SECONDS = 90


def test_streamlit_config_binds_to_localhost():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("arguments", "address_flag"),
    [([], None), (["ADDRESS=0.0.0.0"], "--server.address 0.0.0.0")],
    ids=["default-from-config", "shared-on-purpose"],
)
def test_make_app_passes_an_address_only_when_asked(arguments, address_flag):
    # Under `make test` this runs inside make: MAKELEVEL/MAKEFLAGS would make the inner make print directory lines.
    inner_make = {"MAKELEVEL", "MAKEFLAGS", "MFLAGS"}
    environment = {name: value for name, value in os.environ.items() if name not in inner_make}
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "app", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    commands = [line for line in dry_run.stdout.splitlines() if "streamlit run" in line]
    assert len(commands) == 1, dry_run.stdout
    command = commands[0]
    assert "-m streamlit run dashboard/app.py --server.port 8501" in command
    assert (address_flag in command) if address_flag else ("--server.address" not in command)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port``, in /proc/net/tcp's hex notation."""
    addresses = set()
    for table in ("tcp", "tcp6"):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == LISTEN:
                addresses.add(address)
    return addresses


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp to see listening sockets")
def test_the_app_started_as_make_app_starts_it_listens_on_loopback_only(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port)]
    env = {**os.environ, "GNN_EXPLORER_RUNS_DIR": str(tmp_path / "runs")}
    with streamlit_server(command, port, tmp_path / "server.log", START_SECONDS, env):
        addresses = _listening_addresses(port)
        assert addresses and addresses <= LOOPBACK, f"listening on {addresses}, not only on the loopback interface"
