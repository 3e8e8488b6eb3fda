"""The `score` verb: the forecasts a ledger holds, against what really happened.

`score` reads the stored forecasts (`tsfc.ledger`), reads the actuals from a CSV as each bundle
read its data (the ledger keeps every bundle's manifest, so a bundle that has since moved or
been replaced by a retrain still scores), joins them on series and target time, and reports
realised MAE, RMSE, MASE, sMAPE and interval coverage: overall, by lead, by week or month of
the forecast origin, and per bundle (a retrain shows as a step), each bundle beside what its
own validation promised at fit time. Every measure is computed over all forecasts at once
(pandas group-bys), so a year of hourly forecasts scores in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tsfc.config import PERIODS
from tsfc.errors import DataError, UsageError
from tsfc.metrics import _plain  # NaN and infinity as None: strict JSON has neither

WEEKS_SHOWN_BY_WEEK = 13  # `--period auto`: origins spanning up to this many weeks are grouped by week


@dataclass
class Score:
    """Realised accuracy of the forecasts in a ledger (what `tsfc score --json` prints)."""

    ledger: str
    data_path: str
    since: str | None
    period: str  # "week" or "month": how `by_period` groups the origins
    counts: dict  # runs, forecasts (stored, after --since), scored, pending, missing
    first_origin: str | None
    last_origin: str | None
    overall: dict  # forecasts, mae, rmse, mase, smape, coverage {level: fraction}
    by_lead: list[dict]  # the same for each lead, with "lead"
    by_period: list[dict]  # the same for each period of origin, with "period"
    by_bundle: list[dict]  # the same for each bundle, with its identity and "backtest"
    gate: dict | None = None  # --fail-if-worse-than-backtest: factor, checks, passed
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "ledger": self.ledger, "data_path": self.data_path, "since": self.since, "period": self.period,
            **self.counts, "first_origin": self.first_origin, "last_origin": self.last_origin,
            "overall": self.overall, "by_lead": self.by_lead, "by_period": self.by_period,
            "by_bundle": self.by_bundle, "gate": self.gate, "notes": self.notes,
        }


def score(ledger_path, data, *, since: str | None = None, period: str = "auto", read_options=None,
          gate: float | None = None, checks=None) -> Score:
    """Score the forecasts of the ledger at `ledger_path` against the actuals in the CSV `data`.

    Args:
        since: only forecasts whose origin is at or after this time, or within this span
            (``30d``, ``12h``, ``8w``) of the newest origin in the ledger.
        period: group origins by "week" or "month" ("auto": by week up to 13 weeks of origins).
        gate: the factor of --fail-if-worse-than-backtest; the result's `gate` says, for each
            bundle in service, whether its realised MASE is within `gate` x its validation MASE.

    Raises:
        UsageError: bad `since`, `period` or `gate`.
        LedgerError, BusyError: the ledger cannot be read.
        DataError: `data` cannot be read as the bundles read their data.
    """
    import pandas as pd

    from tsfc import ledger

    if period not in PERIODS:
        raise UsageError(f"--period must be one of {', '.join(PERIODS)}, got {period!r}")
    if gate is not None and not gate > 0:
        raise UsageError(f"--fail-if-worse-than-backtest must be > 0, got {gate}")
    start = _parse_since(since)
    forecasts, intervals, bundles = ledger.read(ledger_path)
    notes: list[str] = []
    frame = forecasts.assign(
        origin=pd.to_datetime(forecasts["origin"], format="ISO8601"),
        target_time=pd.to_datetime(forecasts["target_time"], format="ISO8601"),
    )
    if isinstance(start, pd.Timedelta):  # a span back from the newest origin
        start = frame["origin"].max() - start
    if start is not None and len(frame):
        frame = frame[frame["origin"] >= start].reset_index(drop=True)
    data_path = _attach_actuals(frame, bundles, data, read_options, notes, checks)
    scored = _errors(frame[frame["actual"].notna()], bundles, intervals)
    after_end = frame["target_time"] > frame["data_end"]
    counts = {"runs": int(frame["run"].nunique()), "forecasts": len(frame), "scored": len(scored),
              "pending": int((frame["actual"].isna() & after_end).sum()),
              "missing": int((frame["actual"].isna() & ~after_end).sum())}
    if not len(frame):
        notes.append(f"no forecasts in the ledger{'' if since is None else f' since {since}'}; "
                     "record some with `tsfc predict --ledger`")
    if counts["missing"]:
        notes.append(f"{counts['missing']} forecasts have no actual in {data_path} although the data reach past "
                     "their target time (a series or rows missing from it)")
    if period == "auto":
        span = frame["origin"].max() - frame["origin"].min() if len(frame) else pd.Timedelta(0)
        period = "week" if span <= pd.Timedelta(weeks=WEEKS_SHOWN_BY_WEEK) else "month"
    label = _period_labels(scored["origin"], period)
    by_bundle = _by_bundle(frame, scored, bundles)
    result = Score(
        ledger=str(Path(ledger_path).expanduser().absolute()), data_path=data_path, since=since, period=period,
        counts=counts, first_origin=_iso(frame["origin"].min()), last_origin=_iso(frame["origin"].max()),
        overall=_summaries(scored, np.zeros(len(scored), dtype=int))[0] if len(scored) else _empty(),
        by_lead=[{"lead": int(k), **v} for k, v in _summaries(scored, scored["lead"].to_numpy()).items()],
        by_period=[{"period": k, **v} for k, v in _summaries(scored, label).items()],
        by_bundle=by_bundle, notes=notes,
    )
    if gate is not None:
        result.gate = _gate(by_bundle, gate, notes)
    return result


def check_gate(result: Score) -> None:
    """Raise `QualityGateError` (exit 7) when a bundle in service failed --fail-if-worse-than-backtest."""
    from tsfc.errors import QualityGateError

    for check in (result.gate or {}).get("checks", []):
        if not check["passed"]:
            raise QualityGateError(check["message"])


def promised(manifest: dict, mase_scales: dict) -> dict:
    """What the bundle's own backtest promised: the model's MAE on its validation rows at fit time
    (every forecast of a block that reaches a validation row, only those rows scored), and that
    MAE on the MASE scale `evaluate` uses (for many series, the mean of each series' MASE).

    A bundle that `tsfc update` promoted also carries its rolling backtest on the update's
    holdout (scored before the refit on every row), added as ``holdout``.
    """
    validation = manifest.get("validation") or {}
    mae = (validation.get("mae") or {}).get("model")
    mase = (validation.get("mase") or {}).get("model")
    if mase is None and mae is not None and "panel" not in manifest:
        scale = mase_scales.get("")
        mase = mae / scale if scale else None
    out = {"source": "validation", "mae": mae, "mase": mase, "rows": validation.get("rows")}
    lineage = manifest.get("lineage")
    last = lineage[-1] if isinstance(lineage, list) and lineage and isinstance(lineage[-1], dict) else {}
    if last.get("decision") == "replaced" and isinstance(last.get("challenger"), (int, float)):
        held = last.get("holdout") if isinstance(last.get("holdout"), dict) else {}
        out["holdout"] = {"metric": last.get("metric"), "value": last["challenger"],
                          "origins": held.get("origins"), "horizon": held.get("horizon")}
    return out


# ---------------------------------------------------------------- actuals

def _parse_since(since: str | None):
    """A timestamp (UTC, naive), or a span such as 30d, 12h or 8w back from the newest origin."""
    import re

    import pandas as pd

    if since is None:
        return None
    span = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", since)
    if span:
        return pd.Timedelta(int(span[1]), {"h": "h", "d": "D", "w": "W"}[span[2]])
    try:
        stamp = pd.Timestamp(since)
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise UsageError(f"--since must be a date or time such as 2024-01-01, or a span back from the newest "
                         f"forecast such as 30d, 12h or 8w; got {since!r}")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def _attach_actuals(frame, bundles: dict, data, read_options, notes: list[str], checks=None) -> str:
    """Add columns `actual` (NaN where the data have none) and `data_end` (each series' last time in the data).

    Bundles that read data alike (same columns, time column, frequency, ids) share one reading of `data`.
    """
    import pandas as pd

    frame["actual"], frame["data_end"] = np.nan, pd.NaT
    groups: dict[str, list[str]] = {}
    for sha in frame["bundle"].unique():
        m = bundles[sha]["manifest"]
        key = repr((m["target"], m["columns"], m["date_col"], m["freq"], (m.get("panel") or {}).get("id_cols")))
        groups.setdefault(key, []).append(sha)
    path = str(Path(data).expanduser().absolute())
    for shas in groups.values():
        try:
            table, path, read_notes = _read_actuals(bundles[shas[0]]["manifest"], data, read_options, checks)
        except DataError as exc:
            if len(groups) == 1:
                raise
            notes.append(f"left {len(shas)} bundle(s) unscored, their data cannot be read: {exc}")
            continue
        notes += [n for n in read_notes if n not in notes]
        rows = frame["bundle"].isin(shas).to_numpy()
        joined = frame.loc[rows, ["series", "target_time"]].merge(table, how="left", on=["series", "target_time"])
        frame.loc[rows, "actual"] = joined["actual"].to_numpy()
        ends = table.groupby("series")["target_time"].max()
        frame.loc[rows, "data_end"] = frame.loc[rows, "series"].map(ends).to_numpy()
    return path


def _read_actuals(manifest: dict, data, read_options, checks=None):
    """The target in `data` as a bundle reads it: columns series, target_time, actual; its path; notes."""
    import pandas as pd

    if "panel" in manifest:
        from tsfc.many import read_like_bundle

        panel = read_like_bundle(manifest, data, read_options)
        lengths = panel.lengths
        times = np.concatenate([panel.index(s).to_numpy() for s in range(len(panel.ids))])
        table = pd.DataFrame({"series": np.repeat(np.array(panel.ids, dtype=object), lengths),
                              "target_time": times, "actual": panel.values[:, 0].astype(np.float64)})
        return table, str(panel.path), panel.notes
    from tsfc.pipeline import load_like_bundle

    series = load_like_bundle(manifest, data, read_options, checks=checks)
    table = pd.DataFrame({"series": "", "target_time": series.index.to_numpy(),
                          "actual": series.values[:, 0].astype(np.float64)})
    return table.drop_duplicates(["series", "target_time"], keep="last"), str(series.path), series.notes


# ---------------------------------------------------------------- measures

def _errors(scored, bundles: dict, intervals):
    """Per forecast: absolute, squared and scaled error, the sMAPE term, and whether each interval holds the actual."""
    import pandas as pd

    scales = pd.DataFrame(
        [(sha, series, scale) for sha, b in bundles.items() for series, scale in b["mase_scales"].items()],
        columns=["bundle", "series", "scale"],
    )
    out = scored.merge(scales, how="left", on=["bundle", "series"])
    error = out["value"] - out["actual"]
    out["abs_err"] = error.abs()
    out["sq_err"] = error**2
    scale = out["scale"].astype(np.float64)
    out["scaled"] = out["abs_err"] / scale.where(scale > 0)
    denom = out["actual"].abs() + out["value"].abs()
    out["smape"] = 200 * out["abs_err"] / denom.where(denom > 0)
    if len(intervals):
        for level, bounds in intervals.groupby("level"):
            inside = out[["id", "actual"]].merge(bounds, how="left", left_on="id", right_on="forecast")
            held = (inside["lo"] <= inside["actual"]) & (inside["actual"] <= inside["hi"])
            out[f"cover:{level:g}"] = held.astype(np.float64).where(inside["lo"].notna() & inside["hi"].notna())
    return out


def _summaries(scored, keys) -> dict:
    """{key: forecasts, mae, rmse, mase, smape, coverage} over the forecasts sharing each key."""
    if not len(scored):
        return {}
    covers = [c for c in scored.columns if c.startswith("cover:")]
    grouped = scored[["abs_err", "sq_err", "scaled", "smape", *covers]].groupby(np.asarray(keys), sort=True)
    means, sizes = grouped.mean(), grouped.size()
    out = {}
    for key, row in means.iterrows():
        out[key] = {
            "forecasts": int(sizes[key]), "mae": _plain(row["abs_err"]), "rmse": _plain(np.sqrt(row["sq_err"])),
            "mase": _plain(row["scaled"]), "smape": _plain(row["smape"]),
            "coverage": {c.split(":", 1)[1]: _plain(row[c]) for c in covers if _plain(row[c]) is not None},
        }
    return out


def _empty() -> dict:
    return {"forecasts": 0, "mae": None, "rmse": None, "mase": None, "smape": None, "coverage": {}}


def _period_labels(origins, period: str) -> np.ndarray:
    """'2024-03' for a month of origin; the Monday that starts the week, '2024-03-04', for a week."""
    if period == "month":
        starts, unit = origins.to_numpy().astype("datetime64[M]"), "M"
    else:
        days = origins.to_numpy().astype("datetime64[D]")
        starts, unit = days - (days.astype(np.int64) + 3) % 7, "D"  # 1970-01-01 was a Thursday
    unique, inverse = np.unique(starts, return_inverse=True)
    return np.datetime_as_string(unique, unit=unit)[inverse]


def _by_bundle(frame, scored, bundles: dict) -> list[dict]:
    """Each bundle's identity, span and realised accuracy beside its promise, in order of first origin.

    The bundle in service for a path is the one of the latest run that used the path."""
    if not len(frame):
        return []
    latest = frame.sort_values("run").groupby("bundle_path")["bundle"].last()
    summaries = _summaries(scored, scored["bundle"].to_numpy())
    out = []
    for sha, rows in sorted(frame.groupby("bundle"), key=lambda item: item[1]["origin"].min()):
        path = rows.loc[rows["run"].idxmax(), "bundle_path"]
        out.append({
            "bundle_sha256": sha, "bundle_path": path, "in_service": bool(latest.get(path) == sha),
            "first_origin": _iso(rows["origin"].min()), "last_origin": _iso(rows["origin"].max()),
            "runs": int(rows["run"].nunique()), **summaries.get(sha, _empty()),
            "backtest": promised(bundles[sha]["manifest"], bundles[sha]["mase_scales"]),
        })
    return out


def _gate(by_bundle: list[dict], factor: float, notes: list[str]) -> dict:
    """Each bundle in service: realised MASE within `factor` x its validation MASE (MAE where MASE is undefined)?"""
    checks = []
    for b in by_bundle:
        if not b["in_service"]:
            continue
        name = f"{b['bundle_path']} ({b['bundle_sha256'][:8]})"
        if not b["forecasts"]:
            notes.append(f"no forecast of {name} has an actual yet; the gate checks it once one has")
            continue
        metric = "mase" if b["mase"] is not None and b["backtest"]["mase"] is not None else "mae"
        realised, backtest = b[metric], b["backtest"][metric]
        check = {"bundle_sha256": b["bundle_sha256"], "bundle_path": b["bundle_path"], "metric": metric,
                 "realised": realised, "backtest": backtest, "factor": factor, "forecasts": b["forecasts"]}
        if backtest is None:
            check.update(passed=False, message=f"{name} holds no validation score to compare with, so "
                         "--fail-if-worse-than-backtest cannot pass; fit it again with this tsfc")
        else:
            check["passed"] = bool(realised <= factor * backtest)
            check["message"] = (
                f"{name}: realised {metric.upper()} {realised:.4g} over {b['forecasts']} forecasts is "
                f"{realised / backtest:.2f} x its validation {metric.upper()} {backtest:.4g}, " + (
                    f"within the limit of {factor:g} x" if check["passed"] else
                    f"above the limit of {factor:g} x; the model may be stale: retrain it or look at the data"))
        checks.append(check)
    return {"factor": factor, "checks": checks, "passed": all(c["passed"] for c in checks)}


def _iso(stamp) -> str | None:
    import pandas as pd

    return None if stamp is None or pd.isna(stamp) else pd.Timestamp(stamp).isoformat()
