"""Graceful stop: SIGTERM (the dashboard's Stop button) and Ctrl-C end a run after the current batch."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class StopFlag:
    """Turns SIGTERM and SIGINT into a request the loop honours between batches."""

    def __init__(self) -> None:
        self.requested = False
        self.signal_name: str | None = None  # "SIGTERM" or "SIGINT" once requested

    @contextmanager
    def installed(self) -> Iterator[StopFlag]:
        """Handle the signals while the block runs (main thread only), then restore the previous handlers."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        for sig in previous:
            signal.signal(sig, self._handle)
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = True
        self.signal_name = signal.Signals(signum).name
