"""The tsfc command line: options, library errors turned into exit codes; `render` prints the results.

Heavy libraries (torch, pandas, scikit-learn, matplotlib) are imported inside the commands,
so `tsfc --help` stays instant.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from tsfc import __version__
from tsfc.config import DEVICES, MODELS, NORMS, PERIODS, FitConfig
from tsfc.errors import EXIT_CODES, TsfcError
from tsfc.render import EpochReporter, fit_line, log, note, notes_after_reread, say, validation_line
from tsfc.update import DEFAULT_KEEP, DEFAULT_MARGIN

FIT = FitConfig()  # the defaults every fit option shows

# One line per code at 80 columns; tests check it names every code of `errors.EXIT_CODES`.
EXIT_SUMMARY = {
    0: "success (caveats are `tsfc: note:` lines on stderr)",
    1: "internal error: please report it (--debug shows the traceback)",
    2: "usage: unknown option, bad option value",
    3: "input data: unreadable, missing column, stale feed (--max-age), --strict",
    4: "bundle or ledger: missing, corrupt, tampered with, foreign, too new",
    5: "training failed: loss not finite, out of memory",
    6: "an output cannot be written: permissions, disk full",
    7: "quality gate: evaluate/score --fail-if-worse-than*, update --fail-if-kept",
    75: "busy: another run holds the bundle (retry, or pass --wait)",
    129: "hung up (SIGHUP)",
    130: "interrupted (Ctrl-C, SIGINT)",
    143: "terminated (SIGTERM)",
}
EXIT_TABLE = "\n".join(f"{code:>3}  {EXIT_SUMMARY[code]}" for code in EXIT_CODES)

APP_HELP = """Forecast a time series from a CSV with a recurrent network (GRU, LSTM, RNN).

Examples:
  tsfc fit sales.csv --target units       # train, write model.tsfc
  tsfc predict --horizon 24 -o next.csv   # forecast after the data's end
  tsfc evaluate                           # backtest against baselines"""


def _unwrap(text: str | None) -> str:
    """Join the hard-wrapped lines of each prose paragraph, so that only click wraps it.

    Paragraphs whose later lines are indented (examples) keep their lines.
    """
    import inspect

    paragraphs = inspect.cleandoc(text or "").split("\n\n")
    out = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if len(lines) > 1 and all(line.startswith(" ") for line in lines[1:]):
            out.append("\b\n" + paragraph)  # click keeps the lines of a paragraph marked \b
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


_METAVARS = {int: "N", float: "F", str: "TEXT"}


def _tidy_help(params) -> None:
    """No '<bool>' beside flags in the help; N, F and TEXT for numbers and text."""
    for param in params:
        if param.metavar is not None:
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.param_type_name == "option":
            annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
            param.metavar = _METAVARS.get(annotation)


class Command(TyperCommand):
    """A command whose help shows `CSV`, not `{csv}`, and no type beside flags."""

    def collect_usage_pieces(self, ctx):
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in super().collect_usage_pieces(ctx)]

    def get_params(self, ctx):
        params = super().get_params(ctx)
        _tidy_help(params)
        return params


class Group(TyperGroup):
    """The `tsfc` group: help as `Command`, and every usage error as one `tsfc: error:` line."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        _tidy_help(params)
        return params

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        code = _run_reporting_usage_errors(
            lambda: super(Group, self).main(args, prog_name, complete_var, standalone_mode=False, **extra)
        )
        if not standalone_mode:
            return code
        raise SystemExit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=Group,
    rich_markup_mode=None,
    help=_unwrap(APP_HELP),
    epilog=f"\b\nExit codes:\n{EXIT_TABLE}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def command(short_help: str):
    """Register a command; its docstring, unwrapped, is the help, `short_help` its line in `tsfc --help`."""
    return lambda fn: app.command(cls=Command, help=_unwrap(fn.__doc__), short_help=short_help)(fn)


STATE = {"debug": False}


def _choices(values) -> str:
    return "[" + "|".join(values) + "]"


ThreadsHelp = "CPU threads to use: {what} (0 = {auto})."
BacktestThreadsOpt = Annotated[
    int,
    typer.Option("--threads", help=ThreadsHelp.format(
        what="backtest workers, each with one torch thread", auto="every core")),
]
BundleOpt = Annotated[
    Path,
    typer.Option("--bundle", "-b", envvar="TSFC_BUNDLE", metavar="PATH",
                 help="Bundle file."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on stderr but caveats and errors.")]
HorizonOpt = Annotated[
    Optional[int],
    typer.Option("--horizon", "-H", help="Steps to forecast, any length (default: the bundle's, chosen at fit time).",
                 show_default=False),
]
SepOpt = Annotated[Optional[str], typer.Option("--sep", help="Field separator (default: sniff , ; tab |).", rich_help_panel="CSV dialect")]
DecimalOpt = Annotated[str, typer.Option("--decimal", help="Decimal mark, e.g. ',' for 1,5.", rich_help_panel="CSV dialect")]
ThousandsOpt = Annotated[Optional[str], typer.Option("--thousands", help="Thousands separator, e.g. ',' for \"1,234\".", rich_help_panel="CSV dialect")]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", help="Text encoding (default: UTF-8 or UTF-16 by BOM).", rich_help_panel="CSV dialect")]
DateFormatOpt = Annotated[Optional[str], typer.Option("--date-format", help="strftime format of the time column, e.g. %d/%m/%Y %H:%M.", rich_help_panel="CSV dialect")]
SkipRowsOpt = Annotated[int, typer.Option("--skip-rows", min=0, help="Lines to skip before the header.", rich_help_panel="CSV dialect")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Exit 3 on any data-contract note (a gap, values far outside the training range).")]
MaxAgeOpt = Annotated[
    Optional[str],
    typer.Option("--max-age", metavar="AGE", help="Exit 3 if the data's last timestamp is older than this, e.g. 2d, 36h, 90min (now: $TSFC_NOW or the clock).", show_default=False),
]


def _checks(strict: bool, max_age: str | None):
    """The data-contract checks of --strict and --max-age (`tsfc.contract`)."""
    from tsfc.contract import Checks

    return Checks.from_options(strict, max_age)
LevelOpt = Annotated[
    Optional[str],
    typer.Option("--level", metavar="P[,P]", help="Prediction intervals at these levels in %, e.g. 80,95 (conformal, from the model's own errors).", show_default=False),
]
ClipMinOpt = Annotated[
    Optional[float],
    typer.Option("--clip-min", metavar="X", help="Raise the forecast and its bounds to at least X, e.g. 0 for a non-negative target.", show_default=False),
]


def _levels(level: str | None, calibration: int | None) -> list[float]:
    """--level parsed; --calibration without it is a usage error."""
    from tsfc.calibration import parse_levels

    levels = parse_levels(level)
    if calibration is not None and not levels:
        from tsfc.errors import UsageError

        raise UsageError("--calibration sets how intervals are calibrated; add --level, e.g. --level 80,95")
    return levels


def _read_options(sep, decimal, thousands, encoding, date_format, skip_rows):
    from tsfc.data import ReadOptions

    return ReadOptions(
        sep=sep, decimal=decimal, thousands=thousands, encoding=encoding, date_format=date_format, skip_rows=skip_rows
    )


def _fail(exc: BaseException) -> None:
    """Print one line for `exc` on stderr and exit with its code."""
    if STATE["debug"]:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, KeyboardInterrupt):
        print("tsfc: error: interrupted; nothing was written", file=sys.stderr, flush=True)
        raise SystemExit(130)
    if isinstance(exc, SystemExit):
        raise exc
    if isinstance(exc, TsfcError):
        print(f"tsfc: error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code)
    hint = "" if STATE["debug"] else " (rerun with --debug for the traceback and please report it)"
    print(f"tsfc: internal error: {type(exc).__name__}: {exc}{hint}", file=sys.stderr, flush=True)
    raise SystemExit(1)


@contextlib.contextmanager
def _reported():
    """Turn every failure inside into one stderr line and its exit code; a closed pipe exits quietly."""
    try:
        yield
    except BrokenPipeError:
        _quiet_broken_pipe()
    except BaseException as exc:  # noqa: BLE001 - every failure becomes one line and an exit code
        _fail(exc)


def _quiet_broken_pipe() -> None:
    """The reader went away (`tsfc predict | head -1`): exit without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(0)


def _version(value: bool) -> None:
    if value:
        print(f"tsfc {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    STATE["debug"] = debug


@command("Train a model on a CSV and save it as one bundle file.")
def fit(
    csv: Annotated[Path, typer.Argument(metavar="CSV", help="CSV file with a time column and numeric columns.", show_default=False)],
    target: Annotated[str, typer.Option("--target", "-t", metavar="COL", help="Column to forecast.", show_default=False)],
    features: Annotated[
        Optional[str], typer.Option("--features", "-f", metavar="COLS", help="Extra input columns: comma list, or 'all' numeric ones.")
    ] = None,
    date_col: Annotated[
        Optional[str], typer.Option("--date-col", metavar="COL", help="Time column (default: detect; 'none' = row order).")
    ] = None,
    id_col: Annotated[
        Optional[str], typer.Option("--id-col", metavar="COL[,COL]", help="Many series in one long file: the column(s) naming each series; one global model.", show_default=False)
    ] = None,
    model: Annotated[Literal[MODELS], typer.Option("--model", "-m", metavar=_choices(MODELS), help="Recurrent cell.")] = FIT.model,
    window: Annotated[int, typer.Option("--window", "-w", help="Look-back length in rows (0 = 1-4 seasons, by the data's length).")] = FIT.window,
    block: Annotated[int, typer.Option("--block", help="Steps the network emits per call; longer horizons roll block by block (0 = the default horizon or half the window).")] = FIT.block,
    season: Annotated[int, typer.Option("--season", help="Seasonal period in rows (0 = from the frequency; 1 = none).")] = FIT.season,
    hidden: Annotated[int, typer.Option("--hidden", help="Units per recurrent layer.")] = FIT.hidden,
    layers: Annotated[int, typer.Option("--layers", help="Stacked recurrent layers.")] = FIT.layers,
    dropout: Annotated[float, typer.Option("--dropout", help="Dropout between recurrent layers.")] = FIT.dropout,
    epochs: Annotated[int, typer.Option("--epochs", "-e", help="Training rounds, each followed by a validation check (0 = a budget of steps from the data).")] = FIT.epochs,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Windows per optimiser step (0 = from the number of windows).")] = FIT.batch_size,
    lr: Annotated[float, typer.Option("--lr", help="Adam learning rate, annealed on a cosine.")] = FIT.lr,
    weight_decay: Annotated[float, typer.Option("--weight-decay", help="Adam L2 penalty.")] = FIT.weight_decay,
    patience: Annotated[int, typer.Option("--patience", help="Rounds without validation gain before stopping (0 = never, -1 = automatic).")] = FIT.patience,
    split: Annotated[str, typer.Option("--split", metavar="TRAIN,VAL,TEST", help="Fractions in time order.")] = ",".join(f"{s:g}" for s in FIT.split),
    norm: Annotated[Literal[NORMS], typer.Option("--norm", metavar=_choices(NORMS), help="Per-window normalisation: 'last' subtracts the window's last value.")] = FIT.norm,
    highway: Annotated[bool, typer.Option("--highway/--no-highway", help="Linear path from window to forecast beside the network.")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = FIT.seed,
    device: Annotated[Literal[DEVICES], typer.Option("--device", metavar=_choices(DEVICES), help="Where to train (auto: cuda, then mps, then cpu).")] = FIT.device,
    threads: Annotated[int, typer.Option("--threads", help=ThreadsHelp.format(
        what="torch threads", auto="1 below 256 hidden units, else every core"))] = 0,
    max_windows: Annotated[
        int, typer.Option("--max-windows", help="Windows sampled per round (0 = all, or 4,096 with the automatic budget).")
    ] = 0,
    bundle: BundleOpt = Path("model.tsfc"),
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another run writing the same bundle.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary; only caveats and errors.")] = False,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = 0,
) -> None:
    """Train a model on CSV and save it, with its scaler and recent history, as one bundle.

    The last rows (--split) are held out for `tsfc evaluate`. Ctrl-C stops cleanly and leaves
    any existing bundle untouched.

    Examples:
      tsfc fit ETTh1.csv --target OT
      tsfc fit ETTh1.csv -t OT --features all --model lstm --bundle lstm.tsfc
      tsfc fit tourism.csv -t Trips --id-col Region,State,Purpose --quiet
    """
    from tsfc.config import FitConfig, parse_split
    from tsfc.signals import StopSignals

    with _reported():
        config = FitConfig(
            model=model, window=window, block=block, hidden=hidden, layers=layers, dropout=dropout,
            epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, patience=patience, split=parse_split(split),
            seed=seed, device=device, norm=norm, highway=highway, threads=threads, max_windows=max_windows,
            season=season,
        )
        feature_arg = _parse_features(features)
        from tsfc.pipeline import fit_csv

        read_notes: list[str] = []

        def on_series(series) -> None:
            reporter.loaded(series)
            read_notes.extend(series.notes)
            for n in series.notes:
                note(n)

        read_options = _read_options(sep, decimal, thousands, encoding, date_format, skip_rows)
        hooks = dict(features=feature_arg, date_col=date_col, read_options=read_options, on_series=on_series,
                     wait=wait, on_note=note)
        with StopSignals() as stop, EpochReporter(quiet=quiet) as reporter:
            hooks.update(on_epoch=reporter.update, should_stop=stop.requested, on_batch=reporter.batch)
            if id_col is None:
                summary = fit_csv(csv, target, config, bundle, **hooks)
            else:
                from tsfc.many import fit as fit_many

                summary = fit_many(csv, target, _parse_id_cols(id_col), config, bundle, **hooks)
    for n in summary.notes[len(read_notes):]:  # what the fit found beyond the reading notes
        note(n)
    log(f"wrote {summary.bundle}: {fit_line(summary)}", quiet)
    log(f"validation: {validation_line(summary.validation)}", quiet)
    _warn_if_beaten(summary.validation)


def _warn_if_beaten(validation: dict) -> None:
    """A caveat (even with --quiet) when a baseline beats the network on the validation rows."""
    from tsfc.verdict import losers

    scores = validation["mase"] if (validation.get("mase") or {}).get("model") is not None else validation["mae"]
    beaten = losers(scores)
    if beaten:
        note(
            f"the network is worse than {' and '.join(beaten)} on the validation rows; check with "
            "`tsfc evaluate`, and try more history, --window, or --features"
        )


def _parse_id_cols(text: str) -> list[str]:
    from tsfc.errors import UsageError

    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names or len(set(names)) != len(names):
        raise UsageError(f"--id-col must name one or more different columns, like Region,State; got {text!r}")
    return names


def _parse_features(text: str | None):
    if text is None or text.strip() == "":
        return None
    if text.strip().lower() == "all":
        return "all"
    return [c.strip() for c in text.split(",") if c.strip()]


FORMATS = ("csv", "json", "table")


@command("Forecast the next steps from a bundle.")
def predict(
    horizon: HorizonOpt = None,
    bundle: BundleOpt = Path("model.tsfc"),
    data: Annotated[
        Optional[Path], typer.Option("--data", "-d", metavar="CSV", help="Newer CSV to continue from (default: the fitted data's end).")
    ] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write to this .csv or .json file.")] = None,
    fmt: Annotated[
        Optional[str], typer.Option("--format", metavar=_choices(FORMATS), help="Default: by --output extension; table on a terminal, else csv.")
    ] = None,
    precision: Annotated[
        Optional[int], typer.Option("--precision", min=0, max=12, help="Decimals of the numbers written (default: the data's decimals + 2).", show_default=False)
    ] = None,
    all_columns: Annotated[bool, typer.Option("--all-columns", help="Also show the forecast of every input column.")] = False,
    strict: StrictOpt = False,
    max_age: MaxAgeOpt = None,
    ids: Annotated[
        Optional[str], typer.Option("--ids", metavar="ID[,ID]", help="Many-series bundle: forecast only these series (an id's parts joined by '|').", show_default=False)
    ] = None,
    ledger: Annotated[
        Optional[Path], typer.Option("--ledger", envvar="TSFC_LEDGER", metavar="PATH", help="Also record the forecast in this SQLite ledger, for `tsfc score`.", show_default=False)
    ] = None,
    level: LevelOpt = None,
    calibration: Annotated[
        Optional[int], typer.Option("--calibration", min=0, help="Recalibrate the intervals on the N latest forecast origins of --data (default: 500 with --data, else the bundle's fit-time calibration; 0 = the bundle's).", show_default=False)
    ] = None,
    clip_min: ClipMinOpt = None,
    quiet: QuietOpt = False,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = 0,
) -> None:
    """Forecast the next --horizon steps, rolled forward from the end of the data.

    On a terminal it prints a table; piped, it prints CSV. With --output the file is
    replaced atomically.

    Examples:
      tsfc predict --horizon 12 --level 80,95
      tsfc predict -d feed.csv --max-age 2d -o next.csv --ledger forecasts.db
      tsfc predict --ids "Sydney|New South Wales|Holiday" --format json
    """
    from tsfc import render

    with _reported():
        kind = _resolve_format(fmt, output, sys.stdout.isatty())
        from tsfc.many import predict as run_predict
        from tsfc.panel import parse_ids

        result = run_predict(
            bundle, horizon, data=data, all_columns=all_columns, ids=parse_ids(ids),
            read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
            checks=_checks(strict, max_age),
            levels=_levels(level, calibration), recalibrate=calibration, clip_min=clip_min,
        )
        decimals = render.forecast_decimals(result.frame[render.value_columns(result)], result.history, precision)
        as_text = render.long_forecast_text if result.id_cols else (
            lambda r, k, d: render.forecast_text(r.frame, k, d, r.intervals))
        text = None if kind == "table" else as_text(result, kind, decimals)
        _record_and_write(ledger, result, data, output, text)
        if ledger is not None:
            say(f"recorded {len(result.frame)} forecasts in {ledger.absolute()}", quiet)
        if output is not None:
            say(f"wrote {output.absolute()}", quiet)
        elif kind == "table":
            from rich.console import Console

            table = render.long_forecast_table(result, decimals) if result.id_cols else render.forecast_table(result.frame, decimals)
            Console().print(table)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        if result.intervals is not None:
            from tsfc.calibration import describe

            say(f"intervals: {describe(result.intervals['calibration'])}", quiet)
        for n in result.notes:  # after the output: a failure to write prints only its error
            note(n)


def _record_and_write(ledger: Path | None, result, data: Path | None, output: Path | None, text: str | None) -> None:
    """Record the forecast in --ledger and write --output together: the ledger commits just before
    the file is renamed into place, and a failure of either leaves both as they were."""
    recording = contextlib.nullcontext()
    if ledger is not None:
        from tsfc.ledger import entry_of, recording as record

        recording = record(ledger, entry_of(result, data))
    if output is None:
        with recording:
            return
    from tsfc.files import atomic_path

    with atomic_path(output, "--output") as tmp, recording:
        tmp.write_bytes(text.encode())


def _resolve_format(fmt: str | None, output: Path | None, tty: bool) -> str:
    """The output format: --format, else the --output extension, else table on a terminal, else csv."""
    from tsfc.errors import UsageError

    if fmt is not None:
        if fmt not in FORMATS or (output is not None and fmt == "table"):
            allowed = "csv or json" if output is not None else "csv, json or table"
            raise UsageError(f"--format must be {allowed}, got {fmt!r}")
        return fmt
    if output is not None:
        ext = output.suffix.lower().lstrip(".")
        if ext not in ("csv", "json"):
            raise UsageError(f"--output {output}: cannot tell the format from '{output.suffix}'; use .csv or .json, or pass --format")
        return ext
    return "table" if tty else "csv"


@command("Show what a bundle holds and how it was trained.")
def info(
    bundle: BundleOpt = Path("model.tsfc"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole manifest as JSON.")] = False,
    series: Annotated[bool, typer.Option("--series", help="Many-series bundle: list every series (id, rows, method, last time).")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Show what a bundle holds: columns, frequency, configuration, training summary.

    On a terminal a table; piped, plain `key: value` lines.

    Examples:
      tsfc info
      tsfc info --bundle lstm.tsfc
      tsfc info --json | jq .training.best_epoch
    """
    with _reported():
        from tsfc.pipeline import describe

        manifest = describe(bundle)
        if as_json:
            import json

            print(json.dumps(manifest, indent=2))
        elif series:
            from tsfc.errors import UsageError
            from tsfc.render import series_lines

            if "panel" not in manifest:
                raise UsageError("--series needs a bundle of many series (fit with --id-col)")
            sys.stdout.write(series_lines(manifest))
        else:
            from tsfc.render import print_info

            print_info(manifest)


@command("Profile a CSV without training and suggest the fit command.")
def doctor(
    csv: Annotated[Path, typer.Argument(metavar="CSV", help="CSV file to profile.", show_default=False)],
    target: Annotated[
        Optional[str], typer.Option("--target", "-t", metavar="COL", help="Column to forecast (default: the first numeric one).", show_default=False)
    ] = None,
    date_col: Annotated[
        Optional[str], typer.Option("--date-col", metavar="COL", help="Time column (default: detect; 'none' = row order).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON document.")] = False,
    quiet: QuietOpt = False,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = 0,
) -> None:
    """Profile CSV without training: dialect, time column, frequency, gaps, duplicates, missing
    values, column statistics, seasonality, the columns that tell many series apart, and the
    `tsfc fit` command to run, with what fit would choose.

    It reads the file as `tsfc fit` does; what would stop fit is listed under "fit would stop".

    Examples:
      tsfc doctor sales.csv
      tsfc doctor ETTh1.csv --target OT
      tsfc doctor tourism.csv --json | jq .suggestion.command
    """
    with _reported():
        from tsfc.doctor import diagnose

        report = diagnose(
            csv, target=target, date_col=date_col,
            options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
        )
        if as_json:
            import json

            print(json.dumps(report.to_dict(), indent=2))
        else:
            from tsfc.render import print_doctor

            print_doctor(report)


BASELINES = ("naive", "seasonal_naive", "linear")


@command("Backtest a bundle against naive, seasonal-naive and linear.")
def evaluate(
    csv: Annotated[
        Optional[Path], typer.Argument(metavar="CSV", help="CSV to evaluate on (default: the test split of the fitted CSV).", show_default=False)
    ] = None,
    horizon: Annotated[Optional[int], typer.Option("--horizon", "-H", help="Steps per forecast (default: the bundle's, chosen at fit time).", show_default=False)] = None,
    stride: Annotated[int, typer.Option("--stride", help="Forecast from every N-th test row.")] = 1,
    season: Annotated[Optional[int], typer.Option("--season", help="Seasonal period (default: 24 hourly, 7 daily, 12 monthly, ...).", show_default=False)] = None,
    fail_if_worse_than: Annotated[
        Optional[Literal[BASELINES]],
        typer.Option("--fail-if-worse-than", metavar=_choices(BASELINES), help="Exit 7 if the model's MASE is worse than this baseline's.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report, every metric and lead, as one JSON document.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Also write the JSON report to this file.", show_default=False)] = None,
    threads: BacktestThreadsOpt = 0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Many-series bundle: processes scoring the series' baselines.")] = 1,
    level: LevelOpt = None,
    calibration: Annotated[
        Optional[int], typer.Option("--calibration", min=0, help="Recalibrate the intervals at every test origin on the N latest origins with known actuals (default 500; 0 = the bundle's fit-time calibration, fixed).", show_default=False)
    ] = None,
    bundle: BundleOpt = Path("model.tsfc"),
    strict: StrictOpt = False,
    max_age: MaxAgeOpt = None,
    quiet: QuietOpt = False,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = 0,
) -> None:
    """Backtest the model from every test row and compare it with naive, seasonal-naive and linear baselines.

    Without a CSV it re-reads the CSV the bundle was fitted on (which must be unchanged) and
    forecasts from each row of its test split; with a CSV, from its rows after the bundle's
    validation data. Metrics are on the target's original scale; mse_std and mae_std on
    data standardized with the training mean and std.

    Examples:
      tsfc evaluate --level 80,95
      tsfc evaluate newer.csv --horizon 24 --stride 6 --json --output report.json
      tsfc evaluate --fail-if-worse-than seasonal_naive --quiet
    """
    with _reported():
        from tsfc.evaluation import check_gate
        from tsfc.many import evaluate as run_evaluate

        result = run_evaluate(
            bundle, horizon, data=csv, stride=stride, season=season, threads=threads, jobs=jobs,
            read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
            checks=_checks(strict, max_age),
            levels=_levels(level, calibration), recalibrate=calibration,
        )
        _print_notes(result.notes, bundle)
        _report_evaluation(result, as_json, output, quiet)
        if fail_if_worse_than is not None:
            check_gate(result, fail_if_worse_than)


def _print_notes(notes: list[str], bundle: Path) -> None:
    """The notes of a run that read a CSV like the bundle's; those it had at fit time in one line."""
    if not notes:
        return
    from tsfc.pipeline import describe

    notes_after_reread(notes, describe(bundle).get("source", {}).get("notes") or [])


def _report_evaluation(result, as_json: bool, output: Path | None, quiet: bool) -> None:
    """JSON to --output; on stdout JSON, Rich tables on a terminal, else a plain table."""
    import json

    report = json.dumps(result.to_dict(), indent=2) + "\n"
    if output is not None:
        from tsfc.files import write_bytes

        write_bytes(output, report.encode(), flag="--output")
        say(f"wrote {output.absolute()}", quiet)
    if as_json:
        sys.stdout.write(report)
        sys.stdout.flush()
    else:
        from tsfc.render import print_evaluation

        print_evaluation(result)


@command("Score the forecasts in a ledger against what really happened.")
def score(
    ledger: Annotated[
        Path, typer.Option("--ledger", envvar="TSFC_LEDGER", metavar="PATH", help="The SQLite ledger `tsfc predict --ledger` wrote.", show_default=False)
    ],
    data: Annotated[Path, typer.Option("--data", "-d", metavar="CSV", help="CSV holding the actual values (read as each bundle read its data).", show_default=False)],
    since: Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="Only forecasts whose origin is at or after this time, or within a span of the newest (30d, 12h, 8w).", show_default=False)] = None,
    period: Annotated[Literal[PERIODS], typer.Option("--period", metavar=_choices(PERIODS), help="Group origins by week or month (auto: by week up to 13 weeks).")] = "auto",
    fail_if_worse_than_backtest: Annotated[
        Optional[float],
        typer.Option("--fail-if-worse-than-backtest", metavar="F", help="Exit 7 if a bundle in service has a realised MASE above F x its validation MASE.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report, every group, as one JSON document.")] = False,
    quiet: QuietOpt = False,
    strict: StrictOpt = False,
    max_age: MaxAgeOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = 0,
) -> None:
    """Score the forecasts recorded by `predict --ledger` against the actual values in --data.

    Reports realised MAE, RMSE, MASE (scaled as `evaluate` scales it), sMAPE and interval
    coverage: overall, per bundle (a retrain shows as a step), by lead and by week or month of
    the forecast origin, beside the MASE each bundle reached on its validation rows at fit time.
    Forecasts whose target time is not in --data yet are counted as pending.

    Examples:
      tsfc score --ledger forecasts.db --data latest.csv
      tsfc score --ledger forecasts.db --data latest.csv --since 2024-01-01 --json
      tsfc score --ledger f.db -d latest.csv --fail-if-worse-than-backtest 1.5
    """
    with _reported():
        from tsfc.render import print_score
        from tsfc.scoring import check_gate, score as run_score

        result = run_score(
            ledger, data, since=since, period=period, gate=fail_if_worse_than_backtest, checks=_checks(strict, max_age),
            read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
        )
        for n in result.notes:
            note(n)
        if as_json:
            import json

            sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
            sys.stdout.flush()
        else:
            print_score(result)
        check_gate(result)


PLOT_KINDS = ("forecast", "backtest", "loss")


@command("Draw the forecast, a backtest or the loss curves as an image.")
def plot(
    kind: Annotated[Literal[PLOT_KINDS], typer.Option("--kind", "-k", metavar=_choices(PLOT_KINDS), help="What to draw.")] = "forecast",
    bundle: BundleOpt = Path("model.tsfc"),
    data: Annotated[
        Optional[Path], typer.Option("--data", "-d", metavar="CSV", help="CSV to draw and forecast from (default: the fitted data).")
    ] = None,
    horizon: HorizonOpt = None,
    history: Annotated[
        Optional[int], typer.Option("--history", help="Observed rows shown before the forecast (default: a few cycles, 168 for hourly).")
    ] = None,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", metavar="TIME", help="Forecast from this time inside the data and draw the actual values after it.")
    ] = None,
    lead: Annotated[
        Optional[str], typer.Option("--lead", metavar="STEPS", help="Backtest lead times to draw, e.g. 1,24 (default: first and last).")
    ] = None,
    stride: Annotated[int, typer.Option("--stride", help="Backtest: rows between forecast origins.")] = 1,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Image file: .png, .svg or .pdf (default: KIND.png).")
    ] = None,
    dpi: Annotated[float, typer.Option("--dpi", help="Dots per inch.")] = 150.0,
    width: Annotated[float, typer.Option("--width", help="Width in inches.")] = 10.0,
    height: Annotated[float, typer.Option("--height", help="Height in inches.")] = 5.0,
    title: Annotated[
        Optional[str], typer.Option("--title", help="Chart title (default: model, target and what is shown; \"\" for none).")
    ] = None,
    ylabel: Annotated[
        Optional[str], typer.Option("--ylabel", help="Value axis label with units, e.g. \"load (MW)\" (default: the target column).")
    ] = None,
    threads: BacktestThreadsOpt = 0,
    series_ids: Annotated[
        Optional[str], typer.Option("--id", metavar="ID[,ID]", help="Many-series bundle: the series to draw, one panel each (default: the first four).", show_default=False)
    ] = None,
    level: LevelOpt = None,
    calibration: Annotated[
        Optional[int], typer.Option("--calibration", min=0, help="Recalibrate the intervals on the N latest origins (default: as predict and evaluate; 0 = the bundle's fit-time calibration).", show_default=False)
    ] = None,
    clip_min: ClipMinOpt = None,
    quiet: QuietOpt = False,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = 0,
) -> None:
    """Draw a bundle's forecast, backtest or training curves as a PNG, SVG or PDF image.

    Prints the path written. The image is replaced atomically; no display is needed.

    Examples:
      tsfc plot --level 80,95
      tsfc plot --kind backtest --horizon 24 --output backtest.svg
      tsfc plot --data newer.csv --horizon 48 --history 336 -o next-two-days.png
    """
    with _reported():
        from tsfc.panel import parse_ids
        from tsfc.plotting import plot as draw

        result = draw(
            kind, bundle, output, horizon=horizon, data=data, history=history, as_of=as_of,
            leads=_parse_leads(lead), stride=stride, width=width, height=height, dpi=dpi, title=title, ylabel=ylabel,
            threads=threads, ids=parse_ids(series_ids),
            read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
            levels=_levels(level, calibration), recalibrate=calibration, clip_min=clip_min,
        )
        _print_notes(result.notes, bundle)
        print(result.path)


def _parse_leads(text: str | None) -> list[int] | None:
    if text is None or not text.strip():
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        from tsfc.errors import UsageError

        raise UsageError(f"--lead must be a comma list of steps such as 1,24, got {text!r}") from None


# ---------------------------------------------------------------- update

def _fit_override(name: str):
    """fit's option `name`, its flags and help, for `update`: default None, i.e. the bundle's value."""
    import typing

    kind, info = typing.get_args(typing.get_type_hints(fit, include_extras=True)[name])[:2]
    flags = (info.default, *info.param_decls)  # typer.Option("--model", "-m") stores "--model" as the default
    return Annotated[Optional[kind], typer.Option(*flags, metavar=info.metavar, help=info.help, show_default=False)]


# Every option of `fit` that decides what is trained; `update` takes each, as `Override[name]`.
FIT_OPTIONS = ("model", "window", "block", "season", "hidden", "layers", "dropout", "epochs", "batch_size", "lr",
               "weight_decay", "patience", "split", "norm", "highway", "seed", "device", "max_windows")
Override = {name: _fit_override(name) for name in FIT_OPTIONS}


@command("Retrain on newer data; keep the new model only if it wins.")
def update(
    data: Annotated[Path, typer.Option("--data", "-d", metavar="CSV", help="The newer CSV, with the bundle's columns.", show_default=False)],
    bundle: BundleOpt = Path("model.tsfc"),
    holdout: Annotated[Optional[int], typer.Option("--holdout", help="Rows held out at the end to compare the models (default: 2 x the bundle's horizon - 1, a horizon of origins).", show_default=False)] = None,
    from_scratch: Annotated[bool, typer.Option("--from-scratch", help="Train the challenger from scratch, not from the bundle's weights.")] = False,
    margin: Annotated[float, typer.Option("--margin", help="Replace only if the challenger's MASE < the bundle's x (1 - margin).")] = DEFAULT_MARGIN,
    keep: Annotated[int, typer.Option("--keep", help="Earlier bundles kept when replacing: PATH.prev, PATH.prev2, ...")] = DEFAULT_KEEP,
    no_refit: Annotated[bool, typer.Option("--no-refit", help="Write the challenger as tested, without refitting it on every row.")] = False,
    fail_if_kept: Annotated[bool, typer.Option("--fail-if-kept", help="Exit 7 when the bundle is kept.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print both scores and the decision as JSON.")] = False,
    threads: Annotated[int, typer.Option("--threads", help=ThreadsHelp.format(
        what="torch threads for training, backtest workers", auto="as fit and evaluate"))] = 0,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another run writing the same bundle.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress; only the result, caveats and errors.")] = False,
    strict: StrictOpt = False,
    max_age: MaxAgeOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = 0,
    model: Override["model"] = None,
    window: Override["window"] = None,
    block: Override["block"] = None,
    season: Override["season"] = None,
    hidden: Override["hidden"] = None,
    layers: Override["layers"] = None,
    dropout: Override["dropout"] = None,
    epochs: Override["epochs"] = None,
    batch_size: Override["batch_size"] = None,
    lr: Override["lr"] = None,
    weight_decay: Override["weight_decay"] = None,
    patience: Override["patience"] = None,
    split: Override["split"] = None,
    norm: Override["norm"] = None,
    highway: Override["highway"] = None,
    seed: Override["seed"] = None,
    device: Override["device"] = None,
    max_windows: Override["max_windows"] = None,
) -> None:
    """Train a challenger on newer data and replace the bundle only if it forecasts better.

    The challenger is trained on CSV minus its last --holdout rows, with the bundle's options
    (any fit option given wins), starting from the bundle's weights. Both are backtested from
    the same held-out rows; the challenger replaces the bundle, refitted on every row, only if
    its MASE beats the bundle's by --margin. The bundle replaced is kept as PATH.prev. Either
    way one line says what happened, and the exit code is 0 (7 with --fail-if-kept when kept).

    Examples:
      tsfc update --data latest.csv
      tsfc update -d latest.csv -b /var/lib/tsfc/load.tsfc --keep 4 --wait -q
      tsfc update --data latest.csv --from-scratch --epochs 50 --json
    """
    from tsfc.signals import StopSignals

    given = {name: value for name, value in locals().items() if name in FIT_OPTIONS and value is not None}  # the overrides
    with _reported():
        from tsfc.config import parse_split

        if "split" in given:
            given["split"] = parse_split(given["split"])
        from tsfc.update import update as run_update

        with StopSignals() as stop, EpochReporter(quiet=quiet) as reporter:
            result = run_update(
                bundle, data, holdout=holdout, overrides=given, from_scratch=from_scratch, margin=margin,
                keep=keep, refit=not no_refit, threads=threads, wait=wait, checks=_checks(strict, max_age),
                read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
                on_phase=reporter.phase, on_epoch=reporter.update, on_batch=reporter.batch,
                on_note=note, should_stop=stop.requested,
            )
        _print_notes(result.notes, bundle)
        if as_json:
            import json

            print(json.dumps(result.to_dict(), indent=2))
        else:
            print(result.line())
        if fail_if_kept and not result.replaced:
            from tsfc.errors import QualityGateError

            raise QualityGateError(f"{result.line()} (--fail-if-kept)")


# ---------------------------------------------------------------- usage errors

def _click_exceptions():
    try:
        from typer._click import exceptions
    except ImportError:  # typer before 0.20 uses click itself
        from click import exceptions
    return exceptions


def _run_reporting_usage_errors(run):
    """Call `run`; click's usage errors become one `tsfc: error:` line and exit 2."""
    click_exceptions = _click_exceptions()
    try:
        return run()
    except BrokenPipeError:
        _quiet_broken_pipe()
    except getattr(click_exceptions, "NoArgsIsHelpError", ()) as exc:  # bare `tsfc`: the help, as before
        exc.show()
        raise SystemExit(2) from None
    except click_exceptions.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "tsfc"
        print(f"tsfc: error: {usage_message(exc)}; see {command} --help", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
    except click_exceptions.ClickException as exc:
        print(f"tsfc: error: {exc.format_message().rstrip('.')}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
    except (typer.Abort, KeyboardInterrupt):
        print("tsfc: error: interrupted; nothing was written", file=sys.stderr, flush=True)
        raise SystemExit(130) from None


_BOUNDS = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"),
           "less_than_equal": ("<=", "le"), "less_than": ("<", "lt")}


def usage_message(exc) -> str:
    """Click's message in tsfc's words: '--horizon must be a whole number, got 'abc''."""
    param = getattr(exc, "param", None)
    cause = exc.__cause__
    errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
    if param is None or not errors or not param.opts:
        return exc.format_message().rstrip(".")
    name = max(param.opts, key=len) if param.param_type_name == "option" else (param.metavar or param.name)
    kind, raw = errors[0].get("type"), errors[0].get("input")
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None)
    if choices:
        return f"{name} must be one of {', '.join(map(str, choices))}, got {raw!r}"
    if kind in _BOUNDS:
        sign, key = _BOUNDS[kind]
        return f"{name} must be {sign} {errors[0].get('ctx', {}).get(key)}, got {raw}"
    if kind and kind.startswith("int"):
        return f"{name} must be a whole number, got {raw!r}"
    if kind and kind.startswith("float"):
        return f"{name} must be a number, got {raw!r}"
    return f"{name}: {exc.format_message().rstrip('.')}"


def main() -> None:
    """Console-script entry point."""
    app()
