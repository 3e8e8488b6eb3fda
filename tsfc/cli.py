"""The tsfc command line: options, rendering, and library errors turned into exit codes.

Heavy libraries (torch, pandas, scikit-learn, matplotlib) are imported inside the commands,
so `tsfc --help` stays instant.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from tsfc import __version__
from tsfc.errors import EXIT_CODES, TsfcError

EXIT_TABLE = "\n\n".join(f"{code:>3}  {meaning}" for code, meaning in EXIT_CODES.items())

app = typer.Typer(
    help="Forecast a time series from a CSV with a recurrent network (GRU, LSTM, RNN).",
    epilog=f"[bold]Exit codes[/bold]\n\n{EXIT_TABLE}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

STATE = {"debug": False}

BundleOpt = Annotated[
    Path,
    typer.Option("--bundle", "-b", envvar="TSFC_BUNDLE", help="Bundle file (default model.tsfc, or $TSFC_BUNDLE)."),
]
SepOpt = Annotated[Optional[str], typer.Option("--sep", help="Field separator (default: sniff , ; tab |).", rich_help_panel="CSV dialect")]
DecimalOpt = Annotated[str, typer.Option("--decimal", help="Decimal mark, e.g. ',' for 1,5.", rich_help_panel="CSV dialect")]
ThousandsOpt = Annotated[Optional[str], typer.Option("--thousands", help="Thousands separator, e.g. ',' for \"1,234\".", rich_help_panel="CSV dialect")]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", help="Text encoding (default: UTF-8 or UTF-16 by BOM).", rich_help_panel="CSV dialect")]
DateFormatOpt = Annotated[Optional[str], typer.Option("--date-format", help="strftime format of the time column, e.g. %d/%m/%Y %H:%M.", rich_help_panel="CSV dialect")]
SkipRowsOpt = Annotated[int, typer.Option("--skip-rows", min=0, help="Lines to skip before the header.", rich_help_panel="CSV dialect")]


def _read_options(sep, decimal, thousands, encoding, date_format, skip_rows):
    from tsfc.data import ReadOptions

    return ReadOptions(
        sep=sep, decimal=decimal, thousands=thousands, encoding=encoding, date_format=date_format, skip_rows=skip_rows
    )


def _stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """A caveat on stderr: the run succeeded, but the user should know."""
    print(f"tsfc: note: {message}", file=sys.stderr, flush=True)


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
    """Forecast a time series from a CSV with a recurrent network (GRU, LSTM, RNN)."""
    STATE["debug"] = debug


@app.command()
def fit(
    csv: Annotated[Path, typer.Argument(help="CSV file with a time column and numeric columns.", show_default=False)],
    target: Annotated[str, typer.Option("--target", "-t", help="Column to forecast.", show_default=False)],
    features: Annotated[
        Optional[str], typer.Option("--features", "-f", help="Extra input columns: comma list, or 'all' numeric ones.")
    ] = None,
    date_col: Annotated[
        Optional[str], typer.Option("--date-col", help="Time column (default: detect; 'none' = row order).")
    ] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Recurrent cell: gru, lstm or rnn.")] = "gru",
    window: Annotated[int, typer.Option("--window", "-w", help="Look-back length in rows.")] = 96,
    block: Annotated[int, typer.Option("--block", help="Steps emitted per network call (0 = automatic).")] = 0,
    hidden: Annotated[int, typer.Option("--hidden", help="Units per recurrent layer.")] = 64,
    layers: Annotated[int, typer.Option("--layers", help="Stacked recurrent layers.")] = 2,
    dropout: Annotated[float, typer.Option("--dropout", help="Dropout between recurrent layers.")] = 0.0,
    epochs: Annotated[int, typer.Option("--epochs", "-e", help="Maximum training epochs.")] = 30,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Windows per optimiser step.")] = 64,
    lr: Annotated[float, typer.Option("--lr", help="Adam learning rate.")] = 1e-3,
    patience: Annotated[int, typer.Option("--patience", help="Epochs without validation gain before stopping (0 = never).")] = 5,
    split: Annotated[str, typer.Option("--split", help="Train,validation,test fractions in time order.")] = "0.7,0.1,0.2",
    norm: Annotated[str, typer.Option("--norm", help="Per-window normalisation: 'last' (subtract last value) or 'none'.")] = "last",
    highway: Annotated[bool, typer.Option("--highway/--no-highway", help="Linear path from window to forecast beside the network.")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.")] = "auto",
    threads: Annotated[int, typer.Option("--threads", help="CPU threads (0 = 1 below 256 hidden units, else every core).")] = 0,
    max_windows: Annotated[
        int, typer.Option("--max-windows", help="Train each epoch on a random sample of at most N windows (0 = all).")
    ] = 0,
    bundle: BundleOpt = Path("model.tsfc"),
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another run writing the same bundle.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
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

    Example: tsfc fit ETTh1.csv --target OT --features all --epochs 20
    """
    from tsfc.config import FitConfig, parse_split
    from tsfc.signals import StopSignals

    try:
        config = FitConfig(
            model=model, window=window, block=block, hidden=hidden, layers=layers, dropout=dropout,
            epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, split=parse_split(split),
            seed=seed, device=device, norm=norm, highway=highway, threads=threads, max_windows=max_windows,
        )
        feature_arg = _parse_features(features)
        from tsfc.pipeline import fit_csv

        with StopSignals() as stop, EpochReporter(quiet=quiet) as reporter:
            summary = fit_csv(
                csv, target, config, bundle,
                features=feature_arg, date_col=date_col,
                read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
                on_series=lambda s: [note(n) for n in s.notes],
                on_epoch=reporter.update, should_stop=stop.requested, wait=wait,
            )
    except BaseException as exc:  # noqa: BLE001 - every failure becomes one line and an exit code
        _fail(exc)
    if not quiet:
        print(
            f"wrote {summary.bundle}: {config.model} on {summary.rows} rows x {len(summary.columns)} columns, "
            f"best epoch {summary.best_epoch}/{summary.epochs_run} (val loss {summary.best_val_loss:.5f}), "
            f"{summary.seconds:.1f}s on {summary.device}",
            file=sys.stderr,
        )


def _parse_features(text: str | None):
    if text is None or text.strip() == "":
        return None
    if text.strip().lower() == "all":
        return "all"
    return [c.strip() for c in text.split(",") if c.strip()]


@app.command()
def predict(
    horizon: Annotated[int, typer.Option("--horizon", "-H", help="Steps to forecast (any length).")] = 12,
    bundle: BundleOpt = Path("model.tsfc"),
    data: Annotated[
        Optional[Path], typer.Option("--data", "-d", help="Newer CSV to continue from (default: the fitted data's end).")
    ] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this .csv or .json file.")] = None,
    fmt: Annotated[
        Optional[str], typer.Option("--format", help="csv, json or table (default: by --output extension; table on a terminal, else csv).")
    ] = None,
    all_columns: Annotated[bool, typer.Option("--all-columns", help="Also show the forecast of every input column.")] = False,
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

    Example: tsfc predict --data newer.csv --horizon 24 --output forecast.csv
    """
    try:
        kind = _resolve_format(fmt, output, sys.stdout.isatty())
        from tsfc.pipeline import predict as run_predict

        result = run_predict(
            bundle, horizon, data=data, all_columns=all_columns,
            read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
        )
        for n in result.notes:
            note(n)
        if output is not None:
            from tsfc.files import write_bytes

            write_bytes(output, _forecast_text(result.frame, kind).encode())
            print(f"wrote {output.absolute()}", file=sys.stderr)
        elif kind == "table":
            from rich.console import Console

            Console().print(_forecast_table(result.frame))
        else:
            sys.stdout.write(_forecast_text(result.frame, kind))
            sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
    except BaseException as exc:  # noqa: BLE001
        _fail(exc)


def _quiet_broken_pipe() -> None:
    """The reader went away (`tsfc predict | head -1`): exit without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(0)


@app.command()
def info(
    bundle: BundleOpt = Path("model.tsfc"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole manifest as JSON.")] = False,
) -> None:
    """Show what a bundle holds: columns, frequency, configuration, training summary.

    Example: tsfc info --bundle model.tsfc --json
    """
    try:
        from tsfc.pipeline import describe

        manifest = describe(bundle)
        if as_json:
            import json

            print(json.dumps(manifest, indent=2))
        else:
            from rich.console import Console

            Console().print(_info_table(manifest))
    except BrokenPipeError:
        _quiet_broken_pipe()
    except BaseException as exc:  # noqa: BLE001
        _fail(exc)


# ---------------------------------------------------------------- rendering

FORMATS = ("csv", "json", "table")


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


def _forecast_text(frame, kind: str) -> str:
    """The forecast as CSV or JSON text."""
    if kind == "csv":
        return frame.to_csv(float_format="%.8g", lineterminator="\n")
    import json

    label = frame.index.name
    stamps = [str(i) if label == "step" else i.isoformat() for i in frame.index]
    rows = [
        {label: int(s) if label == "step" else s, **{c: float(v) for c, v in zip(frame.columns, vals)}}
        for s, vals in zip(stamps, frame.to_numpy().tolist())
    ]
    doc = {"target": frame.columns[0], "horizon": len(frame), "columns": list(frame.columns), "forecast": rows}
    return json.dumps(doc, indent=2) + "\n"


def _forecast_table(frame):
    from rich.table import Table

    table = Table(title=f"Forecast of {frame.columns[0]}, {len(frame)} steps")
    table.add_column(frame.index.name, style="dim")
    for c in frame.columns:
        table.add_column(str(c), justify="right")
    for idx, vals in zip(frame.index, frame.to_numpy().tolist()):
        table.add_row(str(idx), *(f"{v:.4f}" for v in vals))
    return table


def _info_table(m: dict):
    from rich.table import Table

    t = m.get("training", {})
    cfg = m.get("config", {})
    split = m.get("split", {})
    rows = [
        ("bundle", m.get("path")),
        ("format", f"{m.get('format')} v{m.get('format_version')} (tsfc {m.get('tsfc_version')}, torch {m.get('torch_version')})"),
        ("created", m.get("created")),
        ("target", m.get("target")),
        ("columns", ", ".join(m.get("columns", []))),
        ("time column", f"{m.get('date_col')} (frequency {m.get('freq')}, last {m.get('last_timestamp')})"),
        ("model", f"{cfg.get('model')} window {cfg.get('window')} block {cfg.get('block')} hidden {cfg.get('hidden')} "
                  f"layers {cfg.get('layers')} norm {cfg.get('norm')} highway {cfg.get('highway')}"),
        ("parameters", f"{m.get('parameters'):,}"),
        ("training", f"{t.get('epochs_run')} epochs ({t.get('stopped')}), best {t.get('best_epoch')} "
                     f"val loss {t.get('best_val_loss', float('nan')):.6f}, {t.get('seconds')}s on {t.get('device')}"),
        ("split", f"{split.get('rows')} rows: train < {split.get('train_end')}, val < {split.get('val_end')}, test after"),
        ("source", f"{m.get('source', {}).get('path')} (sha256 {str(m.get('source', {}).get('sha256'))[:12]}…)"),
    ]
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for k, v in rows:
        table.add_row(k, str(v))
    return table


class EpochReporter:
    """Training progress on stderr: a Rich bar on a terminal, one plain line per epoch otherwise."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.live = not quiet and sys.stderr.isatty() and not os.environ.get("TERM") == "dumb"
        self.progress = None

    def __enter__(self) -> "EpochReporter":
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("epoch {task.completed}/{task.total}"),
                BarColumn(),
                TextColumn("{task.fields[losses]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=_stderr(),
                transient=False,
            )
            self.progress.__enter__()
            self.task = None
        return self

    def update(self, stats) -> None:
        losses = f"train {stats.train_loss:.5f} val {stats.val_loss:.5f}{' *' if stats.best else ''}"
        if self.progress is not None:
            if self.task is None:
                self.task = self.progress.add_task("fit", total=stats.epochs, losses="")
            self.progress.update(self.task, completed=stats.epoch, losses=losses)
        elif not self.quiet:
            print(f"epoch {stats.epoch}/{stats.epochs} {losses} ({stats.seconds:.1f}s)", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:
        _quiet_broken_pipe()
