"""Run an iterator ahead in a background thread, so that producing item i + 1 overlaps consuming item i.

The samplers are numba kernels compiled with ``nogil=True``, so a sampling thread runs while the main thread's
PyTorch step runs; one producer and a FIFO queue keep the items in the source's order whatever the timing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_S = 0.05  # how often a producer blocked on a full queue looks whether the consumer closed it
_END = object()
THREAD_NAME = "engine-loader-prefetch"


class _Failure:
    """The exception that ended the source, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetcher(Generic[T], Iterator[T]):
    """Iterates ``source`` with up to ``depth`` items produced ahead by one background thread.

    Items come out in the source's order. An exception raised by the source comes out of :meth:`__next__` in place
    of the item it cost. :meth:`close` (or leaving a ``with`` block) stops the thread after the item it is producing
    and joins it, so a consumer that fails or stops early leaves no thread behind. With ``depth=0`` the source runs
    in the consumer's thread, one item per :meth:`__next__`, which yields the same items.

    Args:
        source (Iterator[T]): The items; advanced by the background thread only.
        depth (int): Most items produced ahead of the consumer; ``0`` produces none ahead. (default: ``2``)
    """

    def __init__(self, source: Iterator[T], depth: int = 2) -> None:
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise ValueError(f"'depth' must be a non-negative integer for '{type(self).__name__}' (got {depth!r})")
        self._source = source
        self._finished = False
        self._closed = threading.Event()
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        if depth:
            self._queue = queue.Queue(maxsize=depth)
            self._thread = threading.Thread(target=self._produce, name=THREAD_NAME, daemon=True)
            self._thread.start()

    def __enter__(self) -> Prefetcher[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        if self._queue is None:
            try:
                return next(self._source)
            except BaseException:
                self._finished = True
                raise
        entry = self._queue.get()
        if entry is _END or isinstance(entry, _Failure):
            self.close()
            if isinstance(entry, _Failure):
                raise entry.error
            raise StopIteration
        return entry

    def close(self) -> None:
        """Stop producing and join the background thread; the iterator then yields nothing more."""
        self._finished = True
        self._closed.set()
        if self._thread is None:
            close_source = getattr(self._source, "close", None)
            if close_source is not None:
                close_source()
            return
        self._thread.join()
        while not self._queue.empty():  # drop produced items (and their tensors) now, not when self goes
            self._queue.get_nowait()

    def _produce(self) -> None:
        try:
            for item in self._source:
                if not self._offer(item):
                    break
            else:
                self._offer(_END)
        except BaseException as error:  # the consumer raises it where the failed item would have been
            self._offer(_Failure(error))
        finally:
            close_source = getattr(self._source, "close", None)
            if close_source is not None:
                close_source()

    def _offer(self, entry: object) -> bool:
        """Queue ``entry`` unless the consumer closed first; whether it was queued."""
        while not self._closed.is_set():
            try:
                self._queue.put(entry, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False
