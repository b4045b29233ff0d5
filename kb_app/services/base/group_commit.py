"""Rows of one table written by concurrent threads in shared transactions.

The overview writes an access-log row for every view before the view is sent.
Under a hundred open overviews each row was a transaction of its own: on SQLite
the writers queued for the database's single write lock (its busy handler
sleeps between tries) and each paid BEGIN and COMMIT. Here one writer thread per
process and engine takes every row that is waiting, inserts them in one
transaction, and only then lets each caller go on: a caller still returns after
its row is committed (nothing is sent before it is logged), but a hundred
callers share one commit.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future

from sqlalchemy import Table, insert
from sqlalchemy.engine import Engine

BATCH_MAX = 500  # rows per transaction at most
IDLE_SECONDS = 5.0  # a writer with nothing to do ends (a new one starts on demand)
WAIT_SECONDS = 60.0  # a caller waits this long for its commit, then raises


class GroupInsert:
    """``insert(row)`` returns once the row is committed (or raises what the
    transaction raised)."""

    def __init__(self, table: Table):
        self._table = table
        self._statement = insert(table)
        self._lock = threading.Lock()
        self._writers: dict[tuple[int, int], tuple[queue.SimpleQueue, threading.Thread]] = {}

    def insert(self, engine: Engine, row: dict) -> None:
        done: Future = Future()
        self._enqueue(engine, (row, done))
        done.result(timeout=WAIT_SECONDS)

    def _enqueue(self, engine: Engine, item: tuple[dict, Future]) -> None:
        # Per process (a forked worker starts its own writer) and per engine. Under
        # the lock, so a writer that stops when idle never leaves a row behind.
        key = (os.getpid(), id(engine))
        with self._lock:
            entry = self._writers.get(key)
            if entry is None or not entry[1].is_alive():
                # None yet, or one that is gone: a new writer (on the same queue).
                q = entry[0] if entry is not None else queue.SimpleQueue()
                self._start_writer(engine, key, q)
            else:
                q = entry[0]
            q.put(item)

    def _start_writer(self, engine: Engine, key: tuple[int, int], q: queue.SimpleQueue) -> None:
        # Called with self._lock held.
        writer = threading.Thread(
            target=self._write_loop,
            args=(engine, key, q),
            name=f"group-insert-{self._table.name}",
            daemon=True,
        )
        self._writers[key] = (q, writer)
        writer.start()

    def _write_loop(self, engine: Engine, key: tuple[int, int], q: queue.SimpleQueue) -> None:
        while True:
            try:
                first = q.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if q.empty():  # nothing arrived while we decided to stop
                        del self._writers[key]
                        return
                continue
            batch = [first]
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(q.get_nowait())
                except queue.Empty:
                    break
            try:
                if not self._write(engine, batch) and len(batch) > 1:
                    for item in batch:  # one bad row fails only its own caller
                        self._write(engine, [item])
            except BaseException as exc:
                # Not an Exception (SystemExit and the like): this thread ends. Its
                # callers hear of it now rather than after WAIT_SECONDS, and a new
                # writer takes over the queue, with any row that came in meanwhile.
                for _, done in batch:
                    if not done.done():
                        done.set_exception(RuntimeError(f"group insert stopped: {exc!r}"))
                with self._lock:
                    if self._writers.get(key, (None, None))[1] is threading.current_thread():
                        self._start_writer(engine, key, q)
                raise

    def _write(self, engine: Engine, batch: list[tuple[dict, Future]]) -> bool:
        try:
            with engine.begin() as conn:
                conn.execute(self._statement, [row for row, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
            return False
        for _, done in batch:
            done.set_result(None)
        return True
