"""Turn SIGINT, SIGTERM and SIGHUP into a polite stop request during long work."""

from __future__ import annotations

import signal

from tsfc.errors import EXIT_HANGUP, EXIT_INTERRUPTED, EXIT_TERMINATED, Interrupted

CODES = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: EXIT_TERMINATED, signal.SIGHUP: EXIT_HANGUP}


class StopSignals:
    """Context manager: the first signal sets a flag the training loop polls between batches
    (so it stops at the next batch and publishes nothing); a second signal raises at once."""

    def __init__(self) -> None:
        self.code: int | None = None
        self._previous: dict = {}

    def requested(self) -> int | None:
        """The exit code of the first signal received, or None."""
        return self.code

    def _handle(self, signum, frame) -> None:
        if self.code is not None:
            raise Interrupted("stopped at once by a second signal; nothing was written", exit_code=CODES[signum])
        self.code = CODES[signum]

    def __enter__(self) -> "StopSignals":
        for sig in CODES:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (e.g. under a test runner thread)
                pass
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
