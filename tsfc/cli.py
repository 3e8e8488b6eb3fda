"""The tsfc command line: options, rendering, and library errors turned into exit codes.

Heavy libraries (torch, pandas, scikit-learn, matplotlib) are imported inside the commands,
so `tsfc --help` stays instant.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from tsfc import __version__
from tsfc.config import FitConfig
from tsfc.errors import EXIT_CODES, TsfcError

FIT = FitConfig()  # the defaults every fit option shows

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

BacktestThreadsOpt = Annotated[
    int, typer.Option("--threads", help="CPU threads for the backtest (0 = every core).")
]
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
    model: Annotated[str, typer.Option("--model", "-m", help="Recurrent cell: gru, lstm or rnn.")] = FIT.model,
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
    split: Annotated[str, typer.Option("--split", help="Train,validation,test fractions in time order.")] = ",".join(f"{s:g}" for s in FIT.split),
    norm: Annotated[str, typer.Option("--norm", help="Per-window normalisation: 'last' (subtract last value) or 'none'.")] = FIT.norm,
    highway: Annotated[bool, typer.Option("--highway/--no-highway", help="Linear path from window to forecast beside the network.")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = FIT.seed,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.")] = FIT.device,
    threads: Annotated[int, typer.Option("--threads", help="CPU threads (0 = 1 below 256 hidden units, else every core).")] = 0,
    max_windows: Annotated[
        int, typer.Option("--max-windows", help="Windows sampled per round (0 = all, or 4,096 with the automatic budget).")
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

    with _reported():
        config = FitConfig(
            model=model, window=window, block=block, hidden=hidden, layers=layers, dropout=dropout,
            epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, patience=patience, split=parse_split(split),
            seed=seed, device=device, norm=norm, highway=highway, threads=threads, max_windows=max_windows,
            season=season,
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
                on_note=note,
            )
    if not quiet:
        print(f"wrote {summary.bundle}: {_fit_line(summary)}", file=sys.stderr)
        print(f"validation: {_validation_line(summary.validation)}", file=sys.stderr)
    _warn_if_beaten(summary.validation)


def _fit_line(summary) -> str:
    plan = summary.plan
    stop = (
        "the starting linear fit was never beaten on validation" if summary.best_epoch == 0
        else f"best validation at round {summary.best_epoch} of {summary.epochs_run}"
    )
    return (
        f"{len(summary.columns)} column(s) x {summary.rows} rows, window {plan.window}, block {summary.block}, "
        f"season {plan.season}; {stop}; {summary.seconds:.1f}s on {summary.device}"
    )


def _validation_line(validation: dict) -> str:
    from tsfc.verdict import sentence

    mae = validation["mae"]
    return f"MAE {mae['model']:.4g} on {validation['rows']} rows: " + sentence(mae, "MAE")


def _warn_if_beaten(validation: dict) -> None:
    """A caveat (even with --quiet) when a baseline beats the network on the validation rows."""
    from tsfc.verdict import losers

    beaten = losers(validation["mae"])
    if beaten:
        note(
            f"the network is worse than {' and '.join(beaten)} on the validation rows; check with "
            "`tsfc evaluate`, and try more history, --window, or --features"
        )


def _parse_features(text: str | None):
    if text is None or text.strip() == "":
        return None
    if text.strip().lower() == "all":
        return "all"
    return [c.strip() for c in text.split(",") if c.strip()]


@app.command()
def predict(
    horizon: Annotated[
        Optional[int], typer.Option("--horizon", "-H", help="Steps to forecast, any length (default: the bundle's, chosen at fit time).", show_default=False)
    ] = None,
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
    with _reported():
        kind = _resolve_format(fmt, output, sys.stdout.isatty())
        from tsfc.pipeline import predict as run_predict

        result = run_predict(
            bundle, horizon, data=data, all_columns=all_columns,
            read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
        )
        if output is not None:
            from tsfc.files import write_bytes

            write_bytes(output, _forecast_text(result.frame, kind).encode(), flag="--output")
            print(f"wrote {output.absolute()}", file=sys.stderr)
        elif kind == "table":
            from rich.console import Console

            Console().print(_forecast_table(result.frame))
        else:
            sys.stdout.write(_forecast_text(result.frame, kind))
            sys.stdout.flush()
        for n in result.notes:  # after the output: a failure to write prints only its error
            note(n)


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


@app.command()
def info(
    bundle: BundleOpt = Path("model.tsfc"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole manifest as JSON.")] = False,
) -> None:
    """Show what a bundle holds: columns, frequency, configuration, training summary.

    Example: tsfc info --bundle model.tsfc --json
    """
    with _reported():
        from tsfc.pipeline import describe

        manifest = describe(bundle)
        if as_json:
            import json

            print(json.dumps(manifest, indent=2))
        else:
            from rich.console import Console

            Console().print(_info_table(manifest))


@app.command()
def evaluate(
    csv: Annotated[
        Optional[Path], typer.Argument(help="CSV to evaluate on (default: the test split of the fitted CSV).", show_default=False)
    ] = None,
    horizon: Annotated[Optional[int], typer.Option("--horizon", "-H", help="Steps per forecast (default: the bundle's, chosen at fit time).", show_default=False)] = None,
    stride: Annotated[int, typer.Option("--stride", help="Forecast from every N-th test row.")] = 1,
    season: Annotated[Optional[int], typer.Option("--season", help="Seasonal period (default: 24 hourly, 7 daily, 12 monthly, ...).", show_default=False)] = None,
    fail_if_worse_than: Annotated[
        Optional[str], typer.Option("--fail-if-worse-than", help="Exit 7 if the model's MASE is worse than naive, seasonal_naive or linear.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON document.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Also write the JSON report to this file.", show_default=False)] = None,
    threads: BacktestThreadsOpt = 0,
    bundle: BundleOpt = Path("model.tsfc"),
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
    data standardized with the training mean and std. --fail-if-worse-than exits 7 after the
    report when the model's MASE is worse than that baseline's.

    Example: tsfc evaluate newer.csv --horizon 24 --stride 6 --json --fail-if-worse-than seasonal_naive
    """
    with _reported():
        from tsfc.evaluation import check_baseline_name, check_gate, evaluate as run_evaluate

        if fail_if_worse_than is not None:
            check_baseline_name(fail_if_worse_than)  # before the work, not after it
        result = run_evaluate(
            bundle, horizon, data=csv, stride=stride, season=season, threads=threads,
            read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
        )
        for n in result.notes:
            note(n)
        _report_evaluation(result, as_json, output)
        if fail_if_worse_than is not None:
            check_gate(result, fail_if_worse_than)


@app.command()
def plot(
    kind: Annotated[str, typer.Option("--kind", "-k", help="forecast, backtest or loss.")] = "forecast",
    bundle: BundleOpt = Path("model.tsfc"),
    data: Annotated[
        Optional[Path], typer.Option("--data", "-d", help="CSV to draw and forecast from (default: the fitted data).")
    ] = None,
    horizon: Annotated[
        Optional[int], typer.Option("--horizon", "-H", help="Steps to forecast (default: the bundle's, chosen at fit time).")
    ] = None,
    history: Annotated[
        Optional[int], typer.Option("--history", help="Observed rows shown before the forecast (default: a few cycles, 168 for hourly).")
    ] = None,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="Forecast from this time inside the data and draw the actual values after it.")
    ] = None,
    lead: Annotated[
        Optional[str], typer.Option("--lead", help="Backtest lead times to draw, e.g. 1,24 (default: first and last).")
    ] = None,
    stride: Annotated[int, typer.Option("--stride", help="Backtest: rows between forecast origins.")] = 1,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Image file: .png, .svg or .pdf (default: <kind>.png).")
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
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = 0,
) -> None:
    """Draw a bundle's forecast, backtest or training curves as a PNG, SVG or PDF image.

    Prints the path written. The image is replaced atomically; no display is needed.

    Example: tsfc plot --data newer.csv --horizon 48 --history 336 --output next-two-days.svg
    """
    with _reported():
        from tsfc.plotting import plot as draw

        result = draw(
            kind, bundle, output, horizon=horizon, data=data, history=history, as_of=as_of,
            leads=_parse_leads(lead), stride=stride, width=width, height=height, dpi=dpi, title=title, ylabel=ylabel,
            threads=threads,
            read_options=_read_options(sep, decimal, thousands, encoding, date_format, skip_rows),
        )
        for n in result.notes:
            note(n)
        print(result.path)


def _parse_leads(text: str | None) -> list[int] | None:
    if text is None or not text.strip():
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        from tsfc.errors import UsageError

        raise UsageError(f"--lead must be a comma list of steps such as 1,24, got {text!r}") from None


# ---------------------------------------------------------------- rendering

def _report_evaluation(result, as_json: bool, output: Path | None) -> None:
    """JSON to --output; on stdout JSON, Rich tables on a terminal, else a plain table."""
    import json

    report = json.dumps(result.to_dict(), indent=2) + "\n"
    if output is not None:
        from tsfc.files import write_bytes

        write_bytes(output, report.encode())
        print(f"wrote {output.absolute()}", file=sys.stderr)
    if as_json:
        sys.stdout.write(report)
    elif sys.stdout.isatty():
        from rich.console import Console

        console = Console()
        console.print(_evaluation_table(result))
        console.print(_lead_table(result))
        console.print(result.verdict())
    else:
        sys.stdout.write(_evaluation_text(result))
    sys.stdout.flush()


def _evaluation_title(result) -> str:
    return (
        f"{result.target}: {len(result.origin_rows)} forecasts of {result.horizon} steps "
        f"(stride {result.stride}, season {result.season}) on {result.data_path}"
    )


def _best(result) -> dict[str, str]:
    """For each metric, the method with the lowest value."""
    from tsfc.metrics import METRICS

    best = {}
    for key in METRICS:
        scored = [(m[key], name) for name, m in result.metrics.items() if m is not None and m[key] is not None]
        if scored:
            best[key] = min(scored)[1]
    return best


def _evaluation_table(result):
    from rich.table import Table

    from tsfc.metrics import METRICS

    best = _best(result)
    table = Table(title=_evaluation_title(result), caption="* best in its column")
    table.add_column("method")
    for key in METRICS:
        table.add_column(key + (" %" if key in ("mape", "smape") else ""), justify="right")
    for name, m in result.metrics.items():
        if m is None:
            table.add_row(name, *["[dim]n/a[/dim]"] * len(METRICS))
            continue
        cells = [
            "-" if m[k] is None else (f"[bold green]*{m[k]:.4f}[/]" if best.get(k) == name else f"{m[k]:.4f}")
            for k in METRICS
        ]
        table.add_row(name, *cells)
    return table


def _lead_table(result):
    """MAE at a few lead times (every lead is in --json's by_lead)."""
    from rich.table import Table

    leads = sorted({h for h in (1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720) if h < result.horizon} | {result.horizon})
    table = Table(title="MAE by lead time (all leads: --json, by_lead)")
    table.add_column("method")
    for h in leads:
        table.add_column(f"h={h}", justify="right")
    for name, lead in result.by_lead.items():
        table.add_row(name, *(["[dim]n/a[/dim]"] * len(leads) if lead is None else [f"{lead['mae'][h - 1]:.4f}" for h in leads]))
    return table


def _evaluation_text(result) -> str:
    """Plain whitespace-separated table for pipes: '#' lines, a header, one row per method, NA if undefined."""
    from tsfc.metrics import METRICS

    lines = [f"# {_evaluation_title(result)}", "method " + " ".join(METRICS)]
    for name, m in result.metrics.items():
        values = ["NA" if m is None or m[k] is None else f"{m[k]:.6g}" for k in METRICS]
        lines.append(" ".join([name, *values]))
    lines.append(f"# {result.verdict()}")
    return "\n".join(lines) + "\n"

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
        ("training", f"{t.get('epochs_run')} rounds ({t.get('stopped')}), best {t.get('best_epoch')} "
                     f"val loss {t.get('best_val_loss', float('nan')):.6f}, {t.get('seconds')}s on {t.get('device')}"),
    ]
    chosen = m.get("defaults") or {}
    if chosen:
        rows.append(("horizon", f"{chosen.get('horizon')} (default of predict, evaluate, plot)"))
        rows += [(f"chose {name}", reason) for name, reason in (chosen.get("reasons") or {}).items()]
    start = t.get("linear_start")
    if start:
        rows.append(("linear start", f"ridge fit of {start.get('windows')} windows, penalty {start.get('alpha'):.2g}"))
    if m.get("validation"):
        rows.append(("validation", _validation_line(m["validation"])))
    rows += [
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
                TextColumn("round {task.completed}/{task.total}"),
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
            print(f"round {stats.epoch}/{stats.epochs} {losses} ({stats.seconds:.1f}s)", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


def main() -> None:
    """Console-script entry point: click's usage errors become one line and exit 2."""
    try:
        from typer._click import exceptions as click_exceptions
    except ImportError:  # typer before 0.20 uses click itself
        from click import exceptions as click_exceptions

    try:
        code = app(standalone_mode=False)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except getattr(click_exceptions, "NoArgsIsHelpError", ()) as exc:  # bare `tsfc`: the help, as before
        exc.show()
        raise SystemExit(2) from None
    except click_exceptions.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "tsfc"
        print(f"tsfc: error: {exc.format_message()}; see {command} --help", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
    except click_exceptions.ClickException as exc:
        print(f"tsfc: error: {exc.format_message()}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
    except (typer.Abort, KeyboardInterrupt):
        print("tsfc: error: interrupted; nothing was written", file=sys.stderr, flush=True)
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)
