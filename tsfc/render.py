"""What the commands print: Rich tables on a terminal, plain text for pipes, fit progress, notes.

No computation beyond formatting: every function takes what the library returned and turns
it into text. Rich is imported inside the functions, so `tsfc --help` stays instant. Every
line tsfc writes on stderr starts with ``tsfc:`` (except the live progress bar on a terminal).
"""

from __future__ import annotations

import os
import sys

# The table shows these; --json and the piped text carry every metric.
TABLE_METRICS = ("mae", "rmse", "mape", "smape", "mase")


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """A caveat on stderr: the run succeeded, but the user should know (printed even with --quiet)."""
    print(f"tsfc: note: {message}", file=sys.stderr, flush=True)


def say(message: str, quiet: bool) -> None:
    """A line for a person watching (`wrote PATH`): only on a terminal and without --quiet."""
    if not quiet and stderr_is_terminal():
        print(f"tsfc: {message}", file=sys.stderr, flush=True)


def log(message: str, quiet: bool) -> None:
    """A line worth keeping in a log (fit's summary): printed unless --quiet."""
    if not quiet:
        print(f"tsfc: {message}", file=sys.stderr, flush=True)


def notes_after_reread(notes: list[str], fit_notes: list[str]) -> None:
    """Print `notes`, but those already reported at fit time (the fitted CSV read again) as one short line."""
    repeated = [n for n in notes if n in set(fit_notes)]
    for n in notes:
        if n not in repeated:
            note(n)
    if repeated:
        count = f"{len(repeated)} note{'s' if len(repeated) > 1 else ''}"
        note(f"the data were cleaned as at fit time ({count}; see tsfc info)")


def number(value: float | None) -> str:
    """A metric for a table, at most 7 characters: 4 significant digits, whole from 1,000, 1 below 0.001."""
    if value is None:
        return "-"
    if value == 0 or abs(value) >= 1000:
        return f"{value:.0f}"
    if abs(value) < 0.001:
        return f"{value:.0e}"
    return f"{value:.4g}" if abs(value) >= 0.01 else f"{value:.3g}"


# ---------------------------------------------------------------- fit

def fit_line(summary) -> str:
    plan = summary.plan
    stop = (
        "the starting linear fit was never beaten on validation" if summary.best_epoch == 0
        else f"best validation at round {summary.best_epoch} of {summary.epochs_run}"
    )
    what = f"{summary.series} series, {summary.rows} rows" if summary.series else f"{summary.rows} rows"
    return (
        f"{len(summary.columns)} column(s) x {what}, window {plan.window}, block {summary.block}, "
        f"season {plan.season}; {stop}; {summary.seconds:.1f}s on {summary.device}"
    )


def validation_line(validation: dict) -> str:
    from tsfc.verdict import sentence

    if (validation.get("mase") or {}).get("model") is not None:  # many series: mean MASE over series
        mase = validation["mase"]
        return (f"MASE {mase['model']:.4g}, mean over {validation['series']} series ({validation['rows']} rows): "
                + sentence(mase, "MASE"))
    mae = validation["mae"]
    return f"MAE {mae['model']:.4g} on {validation['rows']} rows: " + sentence(mae, "MAE")


class EpochReporter:
    """Fit progress on stderr: a live bar on a terminal, one `tsfc:` line per round otherwise.

    The bar starts before the CSV is read ("reading CSV…"), moves with every batch and its
    clock counts the whole run.
    """

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.live = not quiet and stderr_is_terminal()
        self.progress = None
        self.task = None

    def __enter__(self) -> "EpochReporter":
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[losses]}"),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                console=_stderr_console(),
                transient=False,
            )
            self.progress.__enter__()
            self.task = self.progress.add_task("reading CSV…", total=None, losses="")
        return self

    def loaded(self, series) -> None:
        """The CSV is read; the linear start is fitted next."""
        if self.progress is not None:
            self.progress.update(self.task, description="preparing…")

    def phase(self, line: str) -> None:
        """A run that trains more than once (`update`) starts its next training."""
        if self.progress is not None:
            self.progress.console.print(f"tsfc: {line}")
            self.progress.update(self.task, description="preparing…")
        elif not self.quiet:
            print(f"tsfc: {line}", file=sys.stderr, flush=True)

    def batch(self, epoch: int, epochs: int, done: int, batches: int) -> None:
        """`done` of `batches` batches of round `epoch` of `epochs` are trained."""
        if self.progress is not None:
            self.progress.update(
                self.task, total=epochs, completed=epoch - 1 + done / max(batches, 1),
                description=f"round {epoch}/{epochs}",
            )

    def update(self, stats) -> None:
        """Round `stats.epoch` ended with its validation check."""
        losses = f"train loss {stats.train_loss:.4g}  val loss {stats.val_loss:.4g}{' *' if stats.best else '  '}"
        if self.progress is not None:
            self.progress.update(
                self.task, total=stats.epochs, completed=stats.epoch, losses=losses,
                description=f"round {stats.epoch}/{stats.epochs}",
            )
        elif not self.quiet:
            print(f"tsfc: round {stats.epoch}/{stats.epochs} {losses.rstrip()} ({stats.seconds:.1f}s)",
                  file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


# ---------------------------------------------------------------- predict

def data_decimals(history) -> list[int | None]:
    """Per column, the fewest decimals (0-8) that reproduce the stored float32 history exactly; None if none do.

    The bundle keeps the last rows of the data as float32 copies of the CSV's numbers, so a
    column written with one decimal rounds back to itself at 1 and not at 0.
    """
    import numpy as np

    found: list[int | None] = []
    for column in np.asarray(history, dtype=np.float32).T:
        wide = column.astype(np.float64)
        found.append(next((d for d in range(9) if (np.round(wide, d).astype(np.float32) == column).all()), None))
    return found


def forecast_decimals(frame, history, precision: int | None) -> dict[str, int | None]:
    """Decimals to write each forecast column with: --precision, else the data's plus 2.

    At least 2 significant digits, at most 7 (float32 holds no more). None means the data's
    precision is unknown: write 7 significant digits.
    """
    import math

    if precision is not None:
        return {c: precision for c in frame.columns}
    found = data_decimals(history) if history is not None else [None] * len(frame.columns)
    out = {}
    for column, d in zip(frame.columns, found):
        if d is None:
            out[column] = None
            continue
        largest = float(abs(frame[column]).max()) if len(frame) else 0.0
        magnitude = math.floor(math.log10(largest)) if largest > 0 else 0
        out[column] = max(min(d + 2, 6 - magnitude), 1 - magnitude, 0)
    return out


def _format_value(value: float, decimals: int | None) -> str:
    text = f"{value:.7g}" if decimals is None else f"{value:.{decimals}f}"
    return "0" if decimals == 0 and text == "-0" else text


def forecast_text(frame, kind: str, decimals: dict[str, int | None], intervals: dict | None = None) -> str:
    """The forecast as CSV or JSON text, each column with its number of decimals.

    `intervals` (levels and calibration, `pipeline.Forecast.intervals`) go into the JSON beside "columns".
    """
    if kind == "csv":
        text = frame.copy()
        for c in frame.columns:  # strings, so pandas writes exactly these digits
            text[c] = [_format_value(v, decimals[c]) for v in frame[c].tolist()]
        return text.to_csv(lineterminator="\n")
    import json

    label = frame.index.name
    stamps = [int(i) if label == "step" else i.isoformat() for i in frame.index]
    rows = [
        {label: s, **{c: float(_format_value(v, decimals[c])) for c, v in zip(frame.columns, vals)}}
        for s, vals in zip(stamps, frame.to_numpy().tolist())
    ]
    doc = {"target": frame.columns[0], "horizon": len(frame), "columns": list(frame.columns), **(intervals or {}),
           "forecast": rows}
    return json.dumps(doc, indent=2) + "\n"


def value_columns(result) -> list[str]:
    """The forecast's number columns (a long-format frame also holds ids, time and method)."""
    if not result.id_cols:
        return list(result.frame.columns)
    skip = {*result.id_cols, "method", result.frame.columns[len(result.id_cols)]}
    return [c for c in result.frame.columns if c not in skip]


def long_forecast_text(result, kind: str, decimals: dict[str, int | None]) -> str:
    """A long-format forecast (many series) as CSV or JSON text."""
    frame = result.frame.copy()
    values = value_columns(result)
    time_col = frame.columns[len(result.id_cols)]
    for c in values:
        frame[c] = [_format_value(v, decimals[c]) for v in frame[c].tolist()]
    if kind == "csv":
        return frame.to_csv(index=False, lineterminator="\n")
    import json

    for c in values:
        frame[c] = frame[c].astype(float)
    if frame[time_col].dtype.kind == "M":  # as one series' JSON writes them
        frame[time_col] = frame[time_col].map(lambda t: t.isoformat())
    doc = {"target": values[0], "id_cols": list(result.id_cols), "columns": values,
           "series": int(frame[result.id_cols].drop_duplicates().shape[0]),
           "forecast": frame.to_dict(orient="records")}
    return json.dumps(doc, indent=2) + "\n"


def long_forecast_table(result, decimals: dict[str, int | None]):
    from rich.markup import escape
    from rich.table import Table

    frame, values = result.frame, value_columns(result)
    series = frame[result.id_cols].drop_duplicates().shape[0]
    table = Table(title=escape(f"Forecast of {', '.join(values)} for {series} series"))
    for c in frame.columns:
        table.add_column(str(c), justify="right" if c in values else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_format_value(v, decimals[c]) if c in values else escape(str(v))
                        for c, v in zip(frame.columns, row)))
    return table


def forecast_table(frame, decimals: dict[str, int | None]):
    from rich.table import Table

    from rich.markup import escape

    names = ", ".join(map(str, frame.columns))
    table = Table(title=escape(f"Forecast of {names}, {len(frame)} steps"))
    table.add_column(frame.index.name, style="dim", no_wrap=True)
    for c in frame.columns:
        table.add_column(str(c), justify="right", overflow="fold")
    for idx, vals in zip(frame.index, frame.to_numpy().tolist()):
        table.add_row(str(idx), *(_format_value(v, decimals[c]) for c, v in zip(frame.columns, vals)))
    return table


# ---------------------------------------------------------------- evaluate

def evaluation_title(result) -> str:
    return (
        f"{result.target}: {len(result.origin_rows)} forecasts of {result.horizon} steps "
        f"(stride {result.stride}, season {result.season}) on {result.data_path}"
    )


def _best(result, keys) -> dict[str, str]:
    """For each metric, the method with the lowest value."""
    best = {}
    for key in keys:
        scored = [(m[key], name) for name, m in result.metrics.items() if m is not None and m[key] is not None]
        if scored:
            best[key] = min(scored)[1]
    return best


def _method_name(name: str, width: int) -> str:
    return "s.naive" if width < 72 and name == "seasonal_naive" else name


def evaluation_table(result, width: int):
    """The headline metrics of every method; the best of each column starred."""
    from rich.table import Table

    best = _best(result, TABLE_METRICS)
    from rich.markup import escape

    table = Table(title=escape(evaluation_title(result)), caption="* best in its column; every metric: --json")
    table.add_column("method", no_wrap=True)
    for key in TABLE_METRICS:
        table.add_column(key + (" %" if key in ("mape", "smape") else ""), justify="right", overflow="fold")
    for name, m in result.metrics.items():
        if m is None:
            table.add_row(_method_name(name, width), *["[dim]n/a[/dim]"] * len(TABLE_METRICS))
            continue
        cells = [
            f"[bold green]*{number(m[k])}[/]" if best.get(k) == name else number(m[k]) for k in TABLE_METRICS
        ]
        table.add_row(_method_name(name, width), *cells)
    return table


def shown_leads(horizon: int, width: int) -> list[int]:
    """A few lead times that fit `width` columns, always the first and the last."""
    leads = sorted({h for h in (1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720) if h < horizon} | {horizon})
    room = max(2, (width - 20) // 9)
    if len(leads) <= room:
        return leads
    step = (len(leads) - 1) / (room - 1)
    return sorted({leads[round(i * step)] for i in range(room)})


def lead_table(result, width: int):
    """MAE at a few lead times (every lead is in --json's by_lead)."""
    from rich.table import Table

    leads = shown_leads(result.horizon, width)
    table = Table(title="MAE by lead time (every lead: --json)")
    table.add_column("method", no_wrap=True)
    for h in leads:
        table.add_column(f"h={h}", justify="right", overflow="fold")
    for name, lead in result.by_lead.items():
        cells = ["[dim]n/a[/dim]"] * len(leads) if lead is None else [number(lead["mae"][h - 1]) for h in leads]
        table.add_row(_method_name(name, width), *cells)
    return table


def interval_title(report) -> str:
    about = report.calibration
    if about["rolling"]:
        how = f"recalibrated at each origin on the {about['origins']} latest errors per lead"
    else:
        how = f"fixed, from {about['origins']} validation errors per lead"
    return f"Intervals ({how})"


def interval_rows(report) -> list[tuple[str, str, dict | None]]:
    """(method, level, {"coverage", "width", "interval_score"} or None) for every method and level."""
    from tsfc.calibration import label

    return [
        (name, label(level), None if scores is None else scores[label(level)])
        for name, scores in report.overall.items() for level in report.levels
    ]


def interval_table(report, width: int):
    """Coverage, mean width and interval score per method and level; the best score of each level starred."""
    from rich.markup import escape
    from rich.table import Table

    best = {}
    for name, level, s in interval_rows(report):
        if s is not None and (level not in best or s["interval_score"] < best[level][1]):
            best[level] = (name, s["interval_score"])
    table = Table(title=escape(interval_title(report)), caption="* best interval score at its level; by lead: --json")
    for column in ("method", "level %", "coverage %", "width", "interval score"):
        table.add_column(column, justify="left" if column == "method" else "right", no_wrap=column == "method")
    for name, level, s in interval_rows(report):
        if s is None:
            table.add_row(_method_name(name, width), level, *["[dim]n/a[/dim]"] * 3)
            continue
        score = number(s["interval_score"])
        table.add_row(_method_name(name, width), level, f"{100 * s['coverage']:.1f}", number(s["width"]),
                      f"[bold green]*{score}[/]" if best[level][0] == name else score)
    return table


def evaluation_text(result) -> str:
    """Plain whitespace-separated table for pipes: '#' lines, a header, one row per method, NA if undefined."""
    from tsfc.metrics import METRICS

    lines = [f"# {evaluation_title(result)}", "method " + " ".join(METRICS)]
    for name, m in result.metrics.items():
        values = ["NA" if m is None or m[k] is None else f"{m[k]:.6g}" for k in METRICS]
        lines.append(" ".join([name, *values]))
    if getattr(result, "intervals", None) is not None:
        lines += [f"# {interval_title(result.intervals)}", "method level coverage width interval_score"]
        for name, level, s in interval_rows(result.intervals):
            values = ["NA"] * 3 if s is None else [f"{s[k]:.6g}" for k in ("coverage", "width", "interval_score")]
            lines.append(" ".join([name, level, *values]))
    if getattr(result, "series", None):
        lines.append(f"# {len(result.series)} series; metrics are means over series. Worst for the model (MASE):")
        lines += [f"# {sid}: model {number(m['model']['mase'])}, seasonal_naive "
                  f"{number((m.get('seasonal_naive') or {}).get('mase'))}" for sid, m in result.worst()]
    lines.append(f"# {result.verdict()}")
    return "\n".join(lines) + "\n"


def worst_table(result, width: int):
    """The series where the model does worst, beside each baseline's MASE there."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Worst of {len(result.series)} series for the model (MASE; all: --json)")
    table.add_column("series", overflow="fold", max_width=max(20, width - 40))
    for name in ("model", "seasonal_naive", "linear"):
        table.add_column(_method_name(name, width if width >= 72 else 0), justify="right")
    for sid, m in result.worst():
        cells = [number((m.get(name) or {}).get("mase")) for name in ("model", "seasonal_naive", "linear")]
        table.add_row(escape(sid), *cells)
    return table


def print_evaluation(result) -> None:
    """The report on stdout: Rich tables and the verdict on a terminal, else the plain table."""
    if sys.stdout.isatty():
        from rich.console import Console

        console = Console()
        console.print(evaluation_table(result, console.width))
        console.print(lead_table(result, console.width))
        if getattr(result, "intervals", None) is not None:
            console.print(interval_table(result.intervals, console.width))
        if getattr(result, "series", None):
            console.print(worst_table(result, console.width))
        console.print(result.verdict())
    else:
        sys.stdout.write(evaluation_text(result))
    sys.stdout.flush()


# ---------------------------------------------------------------- score

SCORE_METRICS = ("mae", "rmse", "mase", "smape")
PERIODS_SHOWN = 12  # on a terminal, the latest periods; --json and the piped text carry every one


def score_title(result) -> str:
    c = result.counts
    return (f"{c['scored']} of {c['forecasts']} forecasts scored ({c['pending']} pending) from "
            f"{c['runs']} runs on {result.data_path}")


def _levels(result) -> list[str]:
    return sorted(result.overall["coverage"], key=float)


def _bundle_key(b: dict) -> str:
    """A bundle's short name: its checksum's first 8 digits, starred when in service."""
    return b["bundle_sha256"][:8] + ("*" if b["in_service"] else "")


def _score_rows(result) -> list[tuple[str, str, dict, float | None]]:
    """(group, key, measures, validation MASE) for every row of the report."""
    rows = [("all", "-", result.overall, None)]
    rows += [("bundle", _bundle_key(b), b, b["backtest"]["mase"]) for b in result.by_bundle]
    rows += [("lead", str(r["lead"]), r, None) for r in result.by_lead]
    rows += [(result.period, r["period"], r, None) for r in result.by_period]
    return rows


def promise_lines(result) -> list[str]:
    """For each bundle in service: realised MASE beside what its validation promised."""
    lines = []
    for b in result.by_bundle:
        if not b["in_service"]:
            continue
        name = f"{os.path.basename(b['bundle_path'])} ({b['bundle_sha256'][:8]})"
        realised, promised = b["mase"], b["backtest"]["mase"]
        if realised is None or promised is None:
            what = f"MAE {number(b['mae'])} vs {number(b['backtest']['mae'])} on validation at fit time"
        else:
            what = (f"MASE {number(realised)} vs {number(promised)} on validation at fit time "
                    f"({realised / promised:.2f} x)")
        lines.append(f"{name}: realised {what}, {b['forecasts']} forecasts" if b["forecasts"]
                     else f"{name}: no forecast with an actual yet")
    return lines


def score_text(result) -> str:
    """Plain whitespace-separated table for pipes: '#' lines, a header, one row per group, NA if undefined."""
    levels = _levels(result)
    lines = [f"# {score_title(result)}",
             f"# origins {result.first_origin} .. {result.last_origin}; bundle* = in service",
             " ".join(["group", "key", "forecasts", *SCORE_METRICS, *(f"coverage_{v}" for v in levels),
                       "validation_mase"])]
    for group, key, m, promised in _score_rows(result):
        values = [m.get(k) for k in SCORE_METRICS] + [m["coverage"].get(v) for v in levels] + [promised]
        lines.append(" ".join([group, key, str(m["forecasts"]), *("NA" if v is None else f"{v:.6g}" for v in values)]))
    lines += [f"# {line}" for line in promise_lines(result)]
    return "\n".join(lines) + "\n"


def score_tables(result, width: int) -> list:
    """Rich tables: overall and per bundle, by lead, by period of origin."""
    from rich.markup import escape
    from rich.table import Table

    levels = _levels(result)
    main = Table(title=escape(score_title(result)), caption="* the bundle in service; every group: --json")
    for name in ("bundle", "n", *SCORE_METRICS, *(f"cov {v}%" for v in levels), "val. mase"):
        main.add_column(name + (" %" if name == "smape" else ""), justify="left" if name == "bundle" else "right",
                        no_wrap=name == "bundle")
    for group, key, m, promised in _score_rows(result)[: 1 + len(result.by_bundle)]:
        cells = [number(m.get(k)) for k in SCORE_METRICS] + [number(_percent(m["coverage"].get(v))) for v in levels]
        main.add_row("all" if group == "all" else key, str(m["forecasts"]), *cells, number(promised))
    tables = [main]
    if result.by_lead:
        by_lead = {r["lead"]: r for r in result.by_lead}
        leads = [h for h in shown_leads(max(by_lead), width) if h in by_lead]
        table = Table(title="By lead time (every lead: --json)")
        table.add_column("measure", no_wrap=True)
        for h in leads:
            table.add_column(f"h={h}", justify="right")
        for key in ("mae", "mase", *(f"cov {v}%" for v in levels)):
            pick = (lambda r, k=key: r[k]) if key in SCORE_METRICS else \
                (lambda r, v=key.split()[1][:-1]: _percent(r["coverage"].get(v)))
            table.add_row(key, *(number(pick(by_lead[h])) for h in leads))
        tables.append(table)
    if result.by_period:
        shown = result.by_period[-PERIODS_SHOWN:]
        more = f"latest {len(shown)} of {len(result.by_period)}; " if len(shown) < len(result.by_period) else ""
        table = Table(title=f"By {result.period} of origin ({more}every one: --json)")
        for name in (result.period, "n", *SCORE_METRICS):
            table.add_column(name + (" %" if name == "smape" else ""), justify="left" if name == result.period else "right")
        for r in shown:
            table.add_row(r["period"], str(r["forecasts"]), *(number(r[k]) for k in SCORE_METRICS))
        tables.append(table)
    return tables


def _percent(value: float | None) -> float | None:
    return None if value is None else 100 * value


def print_score(result) -> None:
    """The report on stdout: Rich tables on a terminal, else the plain table."""
    if sys.stdout.isatty():
        from rich.console import Console

        console = Console()
        for table in score_tables(result, console.width):
            console.print(table)
        for line in promise_lines(result):
            console.print(line, highlight=False)
    else:
        sys.stdout.write(score_text(result))
    sys.stdout.flush()


# ---------------------------------------------------------------- info

_UNITS = {  # pandas offset alias -> (adjective for 1, unit noun)
    "min": ("every minute", "minute"), "T": ("every minute", "minute"), "s": ("every second", "second"),
    "S": ("every second", "second"), "h": ("hourly", "hour"), "H": ("hourly", "hour"),
    "D": ("daily", "day"), "B": ("business-daily", "business day"), "W": ("weekly", "week"),
    "M": ("monthly", "month"), "MS": ("monthly", "month"), "ME": ("monthly", "month"),
    "BM": ("monthly", "month"), "BMS": ("monthly", "month"), "SM": ("semi-monthly", "half-month"),
    "Q": ("quarterly", "quarter"), "QS": ("quarterly", "quarter"), "QE": ("quarterly", "quarter"),
    "BQ": ("quarterly", "quarter"), "BQS": ("quarterly", "quarter"),
    "Y": ("yearly", "year"), "YS": ("yearly", "year"), "YE": ("yearly", "year"),
    "A": ("yearly", "year"), "AS": ("yearly", "year"),
}


def frequency_words(freq: str | None) -> str:
    """A pandas frequency in words: 'h' -> hourly, '30min' -> half-hourly, '15min' -> every 15 minutes."""
    import re

    if not freq:
        return "none (row order)"
    match = re.fullmatch(r"(\d*)([A-Za-z]+)(-\w+)?", freq)
    if not match or match.group(2) not in _UNITS:
        return freq
    n = int(match.group(1) or 1)
    word, unit = _UNITS[match.group(2)]
    if n == 1:
        return word
    if n == 30 and unit == "minute":
        return "half-hourly"
    return f"every {n} {unit}s"


def _stopped_words(training: dict, config: dict) -> str:
    rounds = training.get("epochs_run")
    if training.get("stopped") == "early":
        stale = (rounds or 0) - (training.get("best_epoch") or 0)
        return f"stopped early at round {rounds}: no validation gain for {stale} rounds"
    return f"ran all {rounds} rounds"


def info_rows(m: dict) -> list[tuple[str, str]]:
    """The manifest as (key, value) lines in words."""
    t = m.get("training", {})
    cfg = m.get("config", {})
    split = m.get("split", {})
    source = m.get("source", {})
    time_col = m.get("date_col") or "none (row order)"
    rows = [
        ("bundle", m.get("path")),
        ("format", f"{m.get('format')} v{m.get('format_version')} (tsfc {m.get('tsfc_version')}, "
                   f"torch {m.get('torch_version')})"),
        ("created", m.get("created")),
        ("target", m.get("target")),
        ("columns", ", ".join(m.get("columns", []))),
        ("time", f"{time_col}, {frequency_words(m.get('freq'))}, last {m.get('last_timestamp')}"),
        ("model", f"{cfg.get('model')}, window {cfg.get('window')}, block {cfg.get('block')}, "
                  f"{cfg.get('layers')} x {cfg.get('hidden')} units, norm {cfg.get('norm')}, "
                  f"linear highway {'on' if cfg.get('highway') else 'off'}"),
        ("parameters", f"{m.get('parameters'):,}"),
        ("training", f"{_stopped_words(t, cfg)}; best round {t.get('best_epoch')}, "
                     f"val loss {t.get('best_val_loss', float('nan')):.4g}; {t.get('seconds')}s on {t.get('device')}"),
    ]
    chosen = m.get("defaults") or {}
    if chosen:
        rows.append(("horizon", f"{chosen.get('horizon')} (default of predict, evaluate, plot)"))
        rows += [(f"chose {name}", str(reason)) for name, reason in (chosen.get("reasons") or {}).items()]
    start = t.get("linear_start")
    if start:
        rows.append(("linear start", f"ridge fit of {start.get('windows')} windows, penalty {start.get('alpha'):.2g}"))
    if m.get("validation"):
        rows.append(("validation", validation_line(m["validation"])))
    if m.get("panel"):
        rows += _panel_rows(m)
    else:
        from tsfc.calibration import describe

        rows.append(("intervals", describe(m.get("calibration"))))
        rows.append(("split", f"{split.get('rows')} rows: train < {split.get('train_end')}, "
                              f"validation < {split.get('val_end')}, test after"))
    rows.append(("contract", contract_words(m.get("contract"))))
    rows += [
        ("source", f"{source.get('path')} (sha256 {str(source.get('sha256'))[:12]}…)"),
    ]
    rows += [("data note", str(n)) for n in source.get("notes") or []]
    rows += lineage_rows(m.get("lineage"))
    return [(k, str(v)) for k, v in rows]


def contract_words(contract: dict | None) -> str:
    """What the bundle's data contract checks (`tsfc.contract`), or that it has none."""
    if not contract:
        return "none (fitted by an older tsfc): new data are checked for columns and frequency only"
    ranges = ", ".join(f"{name} {s['min']:.4g} to {s['max']:.4g}" for name, s in contract["columns"].items())
    return f"{len(contract['header'])} columns in the header; training range {ranges}"


def lineage_rows(lineage) -> list[tuple[str, str]]:
    """`tsfc update`'s record of how the bundle replaced its parent (the latest update, and how many)."""
    if not isinstance(lineage, list) or not lineage or not isinstance(lineage[-1], dict):
        return []
    last = lineage[-1]
    held = last.get("holdout") or {}
    metric = str(last.get("metric", "mase")).upper()
    how = "warm start" if last.get("warm_start") else "from scratch"
    rows = [
        ("updated", f"{last.get('updated')}: {last.get('decision')} parent sha256 {str(last.get('parent_sha256'))[:12]}… "
                    f"({how}{', refitted on every row' if last.get('refit') else ''})"),
        ("update scores", f"challenger {metric} {number(last.get('challenger'))} vs parent "
                          f"{number(last.get('champion'))} on {held.get('origins')} origins from "
                          f"{held.get('first_origin')}, margin {last.get('margin')}"),
    ]
    if len(lineage) > 1:
        rows.append(("generation", f"{len(lineage) + 1} (updated {len(lineage)} times; --json: lineage)"))
    return rows


def _panel_rows(m: dict) -> list[tuple[str, str]]:
    """Many series: how many, how long, which are forecast by a baseline, how each was split."""
    p, split = m["panel"], m.get("split", {})
    lengths, methods = p.get("lengths") or [0], p.get("methods") or []
    fallback = [(sid, how) for sid, how in zip(p.get("ids", []), methods) if how != "network"]
    rows = [("series", f"{len(p.get('ids', []))} series by {', '.join(p.get('id_cols', []))}, "
                       f"{min(lengths)} to {max(lengths)} rows; {p.get('trained_series')} with training windows")]
    if fallback:
        shown = ", ".join(f"{sid} ({how})" for sid, how in fallback[:5])
        more = f" and {len(fallback) - 5} more" if len(fallback) > 5 else ""
        rows.append(("fallback", f"{len(fallback)} series shorter than the window use a baseline: {shown}{more}"))
    fractions = " / ".join(f"{f:g}" for f in split.get("fractions", []))
    rows.append(("split", f"each series on its own, {fractions}: {split.get('train_rows')} training and "
                          f"{split.get('val_rows')} validation rows in all, test after"))
    return rows


def series_lines(m: dict) -> str:
    """`info --series`: one tab-separated line per series: id, rows, method, last timestamp."""
    p = m.get("panel")
    if not p:
        return ""
    lines = ["id\trows\tmethod\tlast"]
    lines += [f"{sid}\t{n}\t{how}\t{last}" for sid, n, how, last in
              zip(p["ids"], p["lengths"], p["methods"], p["last"])]
    return "\n".join(lines) + "\n"


def print_info(m: dict) -> None:
    """A two-column Rich table on a terminal, else plain `key: value` lines."""
    print_rows(info_rows(m))


def print_rows(rows: list[tuple[str, str]]) -> None:
    """(key, value) rows: a two-column Rich table on a terminal, else plain `key: value` lines."""
    if not sys.stdout.isatty():
        sys.stdout.write("".join(f"{k}: {v}\n" for k, v in rows))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in rows:
        table.add_row(k, Text(v))
    Console().print(table)


# ---------------------------------------------------------------- doctor

def doctor_rows(report) -> list[tuple[str, str]]:
    """The findings of `tsfc doctor` as (key, value) lines in words."""
    from tsfc.doctor import strength_word

    thousands = f", thousands {report.thousands!r}" if report.thousands else ""
    rows = [
        ("file", report.path),
        ("read as", f"{report.encoding}, separator {report.separator!r}, decimal {report.decimal!r}{thousands}"),
        ("rows", f"{report.rows} data rows, {len(report.columns)} columns"),
    ]
    time, series = report.time, report.series
    if time is None:
        rows.append(("time", "no time column found: row order (pass --date-col to name one)"))
    else:
        clock = " UTC" if time["utc"] else ""
        rows.append(("time", f"{time['column']}, {frequency_words(time['frequency'])}"
                             f"{' (' + time['frequency'] + ')' if time['frequency'] else ''}, "
                             f"{time['first'].replace('T', ' ')} to {time['last'].replace('T', ' ')}{clock} "
                             f"({time['span']})"))
        rows.append(("gaps", _gap_words(time, series)))
        rows.append(("order", "sorted" if time["sorted"] else "not in time order (fit sorts the rows)"))
        rows.append(("duplicates", _duplicate_words(time, series)))
    if series["ids"]:
        length = (f"{series['rows_min']} rows each" if series["rows_min"] == series["rows_max"]
                  else f"{series['rows_min']} to {series['rows_max']} rows")
        rows.append(("series", f"{series['count']} series ({', '.join(series['ids'])}), {length}"))
    missing = [f"{c['name']} {c['missing']}" for c in report.columns if c["missing"]]
    rows.append(("missing", ", ".join(missing) if missing else "none"))
    for s in report.seasonality:
        mark = " (fit's season)" if s["default"] else ""
        rows.append((f"season {s['period']}", f"{strength_word(s['strength'])}: strength {s['strength']:.2f}, "
                                              f"autocorrelation {s['autocorrelation']:.2f}{mark}"))
    if report.target is not None:
        first = next((c["name"] for c in report.columns if c["kind"] == "numeric"), None)
        why = " (the first numeric column; choose with --target)" if report.target == first else ""
        rows.append(("target", f"{report.target}{why}"))
    if report.suggestion is not None:
        p = report.suggestion["plan"]
        rows.append(("fit chooses", f"season {p['season']}, horizon {p['horizon']}, window {p['window']}, "
                                    f"block {p['block']}; window: {p['reasons'].get('window')}"))
    rows += [("note", n) for n in report.notes]
    rows += [("fit would stop", p) for p in report.problems]
    return rows


def _gap_words(time: dict, series: dict) -> str:
    if time["missing_timestamps"] is None:
        return "unknown: the timestamps are irregular"
    if not time["missing_timestamps"]:
        return "none"
    across = " across the series" if series["ids"] else ""
    return (f"{time['missing_timestamps']} missing timestamps{across}, the longest gap "
            f"{time['largest_gap']} step{'s' if time['largest_gap'] > 1 else ''} (fit fills them by interpolation)")


def _duplicate_words(time: dict, series: dict) -> str:
    if not time["duplicates"]:
        return "none"
    if series["ids"]:
        return f"{time['duplicates']} rows repeat a timestamp: many series, told apart by {', '.join(series['ids'])}"
    return f"{time['duplicates']} rows repeat a timestamp, and no columns tell series apart (fit refuses them)"


def doctor_column_cells(report) -> list[list[str]]:
    """One row of cells per column: name, kind, missing, min, mean, max, std (text: distinct values)."""
    out = []
    for c in report.columns:
        if c["kind"] == "numeric":
            stats = [number(c[k]) for k in ("min", "mean", "max", "std")]
        elif c["kind"] == "text":
            stats = [f"{c['distinct']} distinct", "", "", ""]
        else:
            stats = ["", "", "", ""]
        out.append([c["name"], c["kind"], str(c["missing"]), *stats])
    return out


DOCTOR_HEADER = ["column", "kind", "missing", "min", "mean", "max", "std"]


def print_doctor(report) -> None:
    """The report on stdout: on a terminal tables that fit 80 columns, else `key: value` lines
    and a plain table; the suggested command last, on one line."""
    print_rows(doctor_rows(report))
    cells = doctor_column_cells(report)
    command = report.suggestion["command"] if report.suggestion else None
    if not sys.stdout.isatty():
        widths = [max(len(row[i]) for row in [DOCTOR_HEADER, *cells]) for i in range(len(DOCTOR_HEADER))]
        for row in [DOCTOR_HEADER, *cells]:
            sys.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")
        if command:
            sys.stdout.write(f"suggest: {command}\n")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Columns")
    for i, name in enumerate(DOCTOR_HEADER):
        table.add_column(name, justify="left" if i < 2 else "right", overflow="fold", no_wrap=i == 1)
    for row in cells:
        table.add_row(*(escape(cell) for cell in row))
    console = Console()
    console.print(table)
    if command:
        console.print(f"suggest: {escape(command)}", soft_wrap=True, highlight=False)
