"""Exception types of the library and the exit code each one maps to.

The library raises these; only ``cli.py`` prints them and picks the exit code.
"""

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_BUNDLE = 4
EXIT_TRAINING = 5
EXIT_OUTPUT = 6
EXIT_QUALITY = 7
EXIT_BUSY = 75
EXIT_HANGUP = 129
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_INTERNAL: "unexpected internal error (please report it; --debug shows the traceback)",
    EXIT_USAGE: "command-line usage: unknown option, bad option value",
    EXIT_DATA: ("input data problem: unreadable CSV, missing or non-numeric column, too few rows, "
                "a stale feed (--max-age), a data-contract note under --strict"),
    EXIT_BUNDLE: "bundle or ledger problem: missing, corrupt, tampered with, foreign, or from an incompatible version",
    EXIT_TRAINING: "training failed: loss not finite, out of memory",
    EXIT_OUTPUT: "an output cannot be written: permissions, disk full",
    EXIT_QUALITY: "a quality gate failed (evaluate --fail-if-worse-than, score --fail-if-worse-than-backtest, update --fail-if-kept)",
    EXIT_BUSY: "busy: another run holds the bundle; retry later or pass --wait",
    EXIT_HANGUP: "hung up (SIGHUP)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C, SIGINT)",
    EXIT_TERMINATED: "terminated (SIGTERM)",
}


class TsfcError(Exception):
    """Base of every error the CLI turns into one line on stderr and an exit code."""

    exit_code = EXIT_INTERNAL


class UsageError(TsfcError):
    """An option value that cannot work (`--horizon 0`, `--lr nan`)."""

    exit_code = EXIT_USAGE


class DataError(TsfcError):
    """The input CSV cannot be used as asked."""

    exit_code = EXIT_DATA


class BundleError(TsfcError):
    """The bundle is missing, corrupt, tampered with or incompatible."""

    exit_code = EXIT_BUNDLE


class LedgerError(TsfcError):
    """The forecast ledger is missing, not a tsfc ledger, of a newer schema, or damaged (exit 4, as a bundle)."""

    exit_code = EXIT_BUNDLE


class TrainingError(TsfcError):
    """Training could not produce a usable model."""

    exit_code = EXIT_TRAINING


class OutOfMemory(TrainingError):
    """The training device ran out of memory."""


class OutputError(TsfcError):
    """An output file cannot be written."""

    exit_code = EXIT_OUTPUT


class QualityGateError(TsfcError):
    """The model lost to a baseline it was required to beat."""

    exit_code = EXIT_QUALITY


class BusyError(TsfcError):
    """Another run holds the lock on the bundle."""

    exit_code = EXIT_BUSY


class Interrupted(TsfcError):
    """A signal asked the run to stop; nothing was published."""

    def __init__(self, message: str, exit_code: int = EXIT_INTERRUPTED):
        super().__init__(message)
        self.exit_code = exit_code
