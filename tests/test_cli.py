"""The CLI end to end in a temporary directory, as a user runs it."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import TINY_ARGS, run_tsfc, write_hourly_csv
from tsfc.cli import app


@pytest.fixture(scope="module")
def fitted_dir(tmp_path_factory):
    """A directory holding hourly.csv and model.tsfc fitted by `tsfc fit` (read-only for tests)."""
    directory = tmp_path_factory.mktemp("cli")
    write_hourly_csv(directory / "hourly.csv")
    result = CliRunner().invoke(app, ["fit", str(directory / "hourly.csv"), "--target", "x",
                                      "--bundle", str(directory / "model.tsfc"), *TINY_ARGS])
    assert result.exit_code == 0, result.stderr
    return directory


@pytest.fixture
def workdir(tmp_path, fitted_dir, monkeypatch):
    """A private working directory with copies of the fitted CSV and bundle."""
    for name in ("hourly.csv", "model.tsfc"):
        shutil.copy(fitted_dir / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TSFC_BUNDLE", raising=False)
    return tmp_path


def tsfc(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env)


def assert_one_line_error(result, code, *fragments):
    """Exit `code`, nothing on stdout, and stderr ends in one `tsfc: error:` line (after any notes)."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    *notes, error = result.stderr.splitlines()
    assert error.startswith("tsfc: error: "), result.stderr
    assert all(line.startswith("tsfc: note: ") for line in notes), result.stderr
    for fragment in fragments:
        assert fragment in error


def test_fit_writes_a_bundle_and_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TSFC_BUNDLE", raising=False)
    write_hourly_csv(tmp_path / "hourly.csv")
    result = tsfc("fit", "hourly.csv", "-t", "x", *TINY_ARGS[:-1])  # not quiet: progress lines on stderr
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "round 1/2" in result.stderr and "round 2/2" in result.stderr
    assert f"wrote {tmp_path / 'model.tsfc'}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hourly.csv", "model.tsfc"]


def test_predict_piped_prints_csv(workdir):
    done = run_tsfc("predict", "--horizon", "5", cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "date,x"
    assert [line.split(",")[0] for line in lines[1:]] == [
        "2024-01-17 16:00:00", "2024-01-17 17:00:00", "2024-01-17 18:00:00", "2024-01-17 19:00:00", "2024-01-17 20:00:00"]
    assert all(abs(float(line.split(",")[1])) < 1e6 for line in lines[1:])


def test_predict_output_csv_and_json(workdir):
    printed = tsfc("predict", "-H", "7")
    assert printed.exit_code == 0, printed.stderr
    result = tsfc("predict", "-H", "7", "--output", "f.csv")
    assert result.exit_code == 0 and result.stdout == ""
    assert (workdir / "f.csv").read_text() == printed.stdout
    result = tsfc("predict", "-H", "7", "--output", "f.json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads((workdir / "f.json").read_text())
    assert set(doc) == {"target", "horizon", "columns", "forecast"}
    assert doc["target"] == "x" and doc["horizon"] == 7 and doc["columns"] == ["x"]
    assert doc["forecast"][0]["date"] == "2024-01-17T16:00:00"
    csv = pd.read_csv(workdir / "f.csv")
    assert [row["x"] for row in doc["forecast"]] == pytest.approx(csv["x"].tolist(), rel=1e-6)


def test_predict_format_json_on_stdout(workdir):
    result = tsfc("predict", "-H", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [row["date"] for row in doc["forecast"]] == ["2024-01-17T16:00:00", "2024-01-17T17:00:00"]


def test_predict_unknown_format(workdir):
    assert_one_line_error(tsfc("predict", "--format", "xml"), 2, "--format must be csv, json or table, got 'xml'")


def test_predict_output_with_unknown_extension(workdir):
    assert_one_line_error(tsfc("predict", "--output", "f.txt"), 2, "--output", ".csv or .json")
    assert not (workdir / "f.txt").exists()


def test_predict_output_into_missing_directory_exits_6(workdir):
    assert_one_line_error(tsfc("predict", "--output", "no/such/dir/f.csv"), 6, "does not exist")


def test_info_json(workdir):
    result = tsfc("info", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["columns"] == ["x"] and doc["freq"] == "h"
    assert doc["config"]["window"] == 8 and doc["config"]["hidden"] == 8
    assert doc["training"]["epochs_run"] == 2


def test_info_piped_is_key_value_lines_in_words(workdir):
    result = tsfc("info")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(": " in line for line in lines), lines
    assert "target: x" in lines
    assert any(line.startswith("model: gru, window 8") and "linear highway on" in line for line in lines), lines
    assert any(line.startswith("time: date, hourly, last 2024-01-17T15:00:00") for line in lines), lines
    assert any(line.startswith("training: ran all 2 rounds") for line in lines), lines


def test_missing_target_column(workdir):
    result = tsfc("fit", "hourly.csv", "--target", "OT", "--bundle", "new.tsfc", *TINY_ARGS)
    assert_one_line_error(result, 3, "'OT'", "the columns are x, y")  # the time column is no target candidate
    assert len(result.stderr.splitlines()) == 1
    assert not (workdir / "new.tsfc").exists()


def test_missing_csv(workdir):
    assert_one_line_error(tsfc("fit", "absent.csv", "-t", "x", *TINY_ARGS), 3, "absent.csv")


def test_absent_device_exits_2_and_keeps_the_bundle(workdir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    before = (workdir / "model.tsfc").read_bytes()
    assert_one_line_error(tsfc("fit", "hourly.csv", "-t", "x", "--device", "cuda", *TINY_ARGS), 2, "--device cuda")
    assert (workdir / "model.tsfc").read_bytes() == before


def test_missing_bundle(workdir):
    assert_one_line_error(tsfc("predict", "--bundle", "absent.tsfc"), 4, "absent.tsfc", "tsfc fit")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["predict", "--horizon", "0"], "--horizon must be >= 1, got 0"),
        (["fit", "hourly.csv", "-t", "x", "--lr", "nan"], "--lr must be a finite number > 0, got nan"),
        (["fit", "hourly.csv", "-t", "x", "--window", "-1"], "--window must be an integer >= 0 (0 = automatic), got -1"),
        (["fit", "hourly.csv", "-t", "x", "--split", "0.5,0.5"], "--split"),
        (["fit", "hourly.csv", "-t", "x", "--model", "transformer"], "--model must be one of gru, lstm, rnn"),
    ],
)
def test_bad_option_values_exit_2(workdir, args, fragment):
    before = (workdir / "model.tsfc").read_bytes()
    assert_one_line_error(tsfc(*args), 2, fragment)
    assert (workdir / "model.tsfc").read_bytes() == before


def test_unknown_option_exits_2(workdir):
    assert tsfc("predict", "--no-such-option").exit_code == 2


def test_corrupt_bundle_exit_4_and_left_unchanged(workdir):
    bundle = workdir / "model.tsfc"
    raw = bytearray(bundle.read_bytes())
    raw[-10] ^= 0xFF
    bundle.write_bytes(bytes(raw))
    for command in (["predict"], ["info"]):
        assert_one_line_error(tsfc(*command), 4, "checksum")
    assert bundle.read_bytes() == bytes(raw)


def test_failed_fit_leaves_existing_bundle_untouched(workdir):
    before = (workdir / "model.tsfc").read_bytes()
    result = tsfc("fit", "hourly.csv", "--target", "nope", *TINY_ARGS)
    assert result.exit_code == 3
    assert (workdir / "model.tsfc").read_bytes() == before
    assert sorted(p.name for p in workdir.iterdir()) == ["hourly.csv", "model.tsfc"]


def test_fit_while_another_run_holds_the_bundle_exits_75(workdir):
    from tsfc.files import locked

    before = (workdir / "model.tsfc").read_bytes()
    with locked(workdir / "model.tsfc"):
        result = tsfc("fit", "hourly.csv", "--target", "x", *TINY_ARGS)
    assert_one_line_error(result, 75, f"pid {os.getpid()}", "--wait")
    assert (workdir / "model.tsfc").read_bytes() == before


def test_tsfc_bundle_environment_variable(workdir):
    env = {"TSFC_BUNDLE": str(workdir / "env.tsfc")}
    result = tsfc("fit", "hourly.csv", "-t", "x", "--date-col", "none", *TINY_ARGS, env=env)
    assert result.exit_code == 0, result.stderr
    assert (workdir / "env.tsfc").exists()
    from_env = tsfc("predict", "-H", "3", env=env)
    assert from_env.exit_code == 0, from_env.stderr
    assert from_env.stdout.splitlines()[0] == "step,x"  # the env bundle, not ./model.tsfc (which has dates)
    explicit = tsfc("predict", "-H", "3", "--bundle", "model.tsfc", env=env)
    assert explicit.stdout.splitlines()[0] == "date,x"  # --bundle wins over the environment


def test_help_does_not_import_heavy_libraries():
    code = textwrap.dedent(
        """
        import sys
        from tsfc.cli import app
        for args in (["--help"], ["fit", "--help"], ["predict", "--help"]):
            try:
                app(args, standalone_mode=False)
            except SystemExit:
                pass
        heavy = {"torch", "pandas", "sklearn", "matplotlib", "safetensors"}
        print("HEAVY=" + ",".join(sorted(heavy & set(sys.modules))))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Train a model on CSV" in done.stdout  # the help really was rendered
    assert done.stdout.strip().splitlines()[-1] == "HEAVY="


def test_help_lists_exit_codes():
    result = tsfc("--help")
    assert result.exit_code == 0
    assert "Exit codes" in result.stdout
    for code, word in [(2, "usage"), (3, "input data"), (4, "bundle"), (5, "training"), (75, "busy"), (130, "interrupted")]:
        assert any(line.strip().startswith(f"{code}  ") and word in line for line in result.stdout.splitlines()), code


COMMANDS = ("fit", "predict", "info", "evaluate", "score", "plot", "update")


@pytest.fixture(scope="module")
def helps():
    """Every command's --help at 80 columns, rendered by a fresh process as a user sees it."""
    code = textwrap.dedent(
        """
        from tsfc.cli import app
        for args in ([], *([c] for c in %r)):
            print("=== " + " ".join(args))
            app([*args, "--help"], standalone_mode=False)
        """ % (COMMANDS,)
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    pages = done.stdout.split("=== ")[1:]
    return {page.split("\n", 1)[0] or "tsfc": page.split("\n", 1)[1] for page in pages}


@pytest.mark.parametrize("command", ["tsfc", *COMMANDS])
def test_help_fits_80_columns_with_examples_and_whole_paragraphs(helps, command):
    page = helps[command]
    lines = page.splitlines()
    assert max(map(len, lines)) <= 80, page
    assert "<bool>" not in page and "{" not in lines[0], page
    examples = lines[lines.index("  Examples:") + 1 :]
    examples = examples[: next(i for i, line in enumerate(examples) if not line.strip())]
    prefix = "    tsfc " + ("" if command == "tsfc" else command)
    assert 2 <= len(examples) <= 3 and all(line.startswith(prefix) for line in examples), page
    # Prose paragraphs before the options are filled to the width: no line broken early.
    prose = page.split("  Examples:")[0].split("\n\n")[1:]
    for paragraph in prose:
        body = paragraph.splitlines()
        assert all(len(line) > 60 for line in body[:-1]), paragraph


def test_help_lists_choices_and_says_what_block_and_horizon_do(helps):
    fit, predict = helps["fit"], helps["predict"]
    for choice in ("--model [gru|lstm|rnn]", "--device [auto|cpu|cuda|mps]", "--norm [last|none]"):
        assert choice in fit
    assert "--format [csv|json|table]" in predict
    assert "--kind [forecast|backtest|loss]" in helps["plot"]
    assert "--fail-if-worse-than [naive|seasonal_naive|linear]" in helps["evaluate"]
    assert "Usage: python -c fit [OPTIONS] CSV" in fit or " fit [OPTIONS] CSV" in fit
    flat = " ".join(fit.split())
    assert "Steps the network emits per call; longer horizons roll block by block" in flat
    assert "Steps to forecast, any length (default: the bundle's, chosen at fit time)" in " ".join(predict.split())
    assert "Ctrl-C stops cleanly and leaves any existing bundle untouched." in flat
    # --threads means one thing everywhere: how many CPU threads tsfc keeps busy.
    for command in ("fit", "evaluate", "plot"):
        assert "--threads N CPU threads to use: " in " ".join(helps[command].split())


def test_every_exit_code_has_one_help_line(helps):
    from tsfc.errors import EXIT_CODES

    lines = helps["tsfc"].splitlines()
    for code in EXIT_CODES:
        assert sum(line.strip().startswith(f"{code}  ") for line in lines) == 1, code


def test_version():
    result = tsfc("--version")
    assert result.exit_code == 0 and result.stdout.startswith("tsfc ")



def test_sigterm_during_fit_exits_143_and_writes_nothing(workdir, monkeypatch):
    import signal

    from tsfc import cli

    def terminate_after_first_epoch(self, stats):
        # The CLI's own handlers are installed while epochs are reported, so this cannot kill pytest.
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(cli.EpochReporter, "update", terminate_after_first_epoch)
    before = (workdir / "model.tsfc").read_bytes()
    result = tsfc("fit", "hourly.csv", "-t", "x", *TINY_ARGS, "--epochs", "1000", "--patience", "0")  # last --epochs wins
    assert_one_line_error(result, 143, "training interrupted; nothing was written")
    assert (workdir / "model.tsfc").read_bytes() == before
    assert sorted(p.name for p in workdir.iterdir()) == ["hourly.csv", "model.tsfc"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", "--horizon", "abc"], "--horizon must be a whole number, got 'abc'; see "),
        (["fit", "x.csv", "-t", "x", "--lr", "fast"], "--lr must be a number, got 'fast'; see "),
        (["fit"], "Missing argument 'CSV'; see "),
    ],
)
def test_usage_errors_are_one_line_in_tsfc_words(tmp_path, args, message):
    done = run_tsfc(*args, cwd=tmp_path, env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"tsfc: error: {message}") and done.stderr.count("\n") == 1, done.stderr
    assert ".;" not in done.stderr


def test_every_number_option_says_it_wants_a_number():
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        for param in command.params:
            annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
            if param.param_type_name != "option" or annotation not in (int, float):
                continue
            flag = max(param.opts, key=len)
            args = [name, "data.csv", "-t", "x"] if name == "fit" else [name]
            result = tsfc(*args, flag, "abc")
            wanted = "a whole number" if annotation is int else "a number"
            assert_one_line_error(result, 2, f"{flag} must be {wanted}, got 'abc'")


# ---------------------------------------------------------------- what a person sees

ANSI = __import__("re").compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def in_terminal(cwd, *args: str) -> list[str]:
    """Run `tsfc ARGS` with stdout and stderr on an 80-column terminal (script(1)); the lines it showed."""
    if shutil.which("script") is None:
        pytest.skip("script(1) is needed to run tsfc on a terminal")
    import shlex

    command = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "tsfc", *args))
    env = {**os.environ, "COLUMNS": "80", "LINES": "50", "TERM": "xterm", "NO_COLOR": "1"}
    done = subprocess.run(["script", "-qec", command, "/dev/null"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout
    return [ANSI.sub("", line).rstrip() for line in done.stdout.replace("\r", "").splitlines()]


def test_evaluate_on_an_80_column_terminal_shows_every_number_whole(workdir):
    lines = in_terminal(workdir, "evaluate", "--stride", "12")
    assert max(map(len, lines)) <= 80, "\n".join(lines)
    assert not any("…" in line for line in lines), "\n".join(lines)
    header = next(line for line in lines if "method" in line)
    assert header.split()[2:] == ["┃", "mae", "┃", "rmse", "┃", "mape", "%", "┃", "smape", "%", "┃", "mase", "┃"]
    for method in ("model", "naive", "seasonal_naive", "linear"):
        row = next(line for line in lines if line.startswith(f"│ {method} "))
        numbers = [cell.strip().lstrip("*") for cell in row.split("│")[2:-1]]
        assert len(numbers) == 5 and all(n == "-" or float(n) == float(n) for n in numbers), row
    assert "on MASE" in lines[-1] or "on MAE" in lines[-1]  # the verdict stays last


def test_info_on_a_terminal_fits_80_columns(workdir):
    lines = in_terminal(workdir, "info")
    assert max(map(len, lines)) <= 80 and not any("…" in line for line in lines[:-1])
    assert any(line.split()[:2] == ["time", "date,"] and "hourly" in line for line in lines), lines


def test_predict_all_columns_on_a_terminal_keeps_dates_on_one_line(workdir):
    fitted = tsfc("fit", "hourly.csv", "-t", "x", "-f", "y", "--bundle", "xy.tsfc", *TINY_ARGS)
    assert fitted.exit_code == 0, fitted.stderr
    lines = in_terminal(workdir, "predict", "-b", "xy.tsfc", "--all-columns", "-H", "3")
    assert "Forecast of x, y, 3 steps" in lines[0]
    assert sum(line.startswith("│ 2024-01-17 1") for line in lines) == 3, lines


def test_quiet_and_piped_runs_print_no_chatter(workdir):
    shown = in_terminal(workdir, "predict", "-H", "2", "-o", "f.csv")
    assert shown == [f"tsfc: wrote {workdir / 'f.csv'}"]
    assert in_terminal(workdir, "predict", "-H", "2", "-o", "f.csv", "--quiet") == []
    piped = run_tsfc("predict", "-H", "2", "-o", "f.csv", cwd=workdir)
    assert piped.returncode == 0 and piped.stderr == ""
    piped = run_tsfc("evaluate", "--stride", "12", "-o", "r.json", cwd=workdir)
    assert piped.returncode == 0 and all(line.startswith("tsfc: note: ") for line in piped.stderr.splitlines())


def test_fit_piped_prefixes_every_line_and_quiet_keeps_only_caveats(tmp_path):
    write_hourly_csv(tmp_path / "hourly.csv")
    done = run_tsfc("fit", "hourly.csv", "-t", "x", *TINY_ARGS[:-1], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert all(line.startswith("tsfc: ") for line in lines), lines
    assert any(line.startswith("tsfc: round 2/2 train loss ") for line in lines)
    assert any(line.startswith("tsfc: validation: ") for line in lines)
    quiet = run_tsfc("fit", "hourly.csv", "-t", "x", *TINY_ARGS, cwd=tmp_path)
    assert all(line.startswith("tsfc: note: ") for line in quiet.stderr.splitlines()), quiet.stderr


def test_evaluate_states_the_fit_time_cleaning_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = pd.read_csv(write_hourly_csv(tmp_path / "raw.csv"))
    frame.drop(index=[50]).iloc[::-1].to_csv(tmp_path / "messy.csv", index=False)  # a gap, rows reversed
    fitted = tsfc("fit", "messy.csv", "-t", "x", *TINY_ARGS)
    assert fitted.exit_code == 0, fitted.stderr
    fit_notes = json.loads(tsfc("info", "--json").stdout)["source"]["notes"]
    assert len(fit_notes) >= 2
    done = run_tsfc("evaluate", "--stride", "12", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tsfc: note: the data were cleaned as at fit time" in done.stderr
    assert not any(n in done.stderr for n in fit_notes), done.stderr


def test_predict_writes_the_precision_of_the_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = pd.read_csv(write_hourly_csv(tmp_path / "raw.csv"))
    frame.round(1).to_csv(tmp_path / "one.csv", index=False)
    assert tsfc("fit", "one.csv", "-t", "x", *TINY_ARGS).exit_code == 0
    decimals = {len(line.split(",")[1].split(".")[1]) for line in tsfc("predict", "-H", "4").stdout.splitlines()[1:]}
    assert decimals == {3}
    assert tsfc("predict", "-H", "2", "--precision", "1", "-o", "f.json").exit_code == 0
    values = [row["x"] for row in json.loads((tmp_path / "f.json").read_text())["forecast"]]
    assert all(v == round(v, 1) for v in values)


# ---------------------------------------------------------------- files that cannot work

def test_output_that_is_a_directory(workdir):
    (workdir / "out").mkdir()
    assert_one_line_error(tsfc("predict", "-H", "2", "--output", "out"), 2, "--output out")  # no extension
    (workdir / "out.csv").mkdir()
    assert_one_line_error(tsfc("predict", "-H", "2", "--output", "out.csv"), 6, "out.csv", "is a directory", "--output")
    assert_one_line_error(tsfc("evaluate", "--stride", "12", "-o", "out.csv"), 6, "is a directory", "--output")


def test_output_directory_that_is_not_writable(workdir, monkeypatch):
    # Tests run as root, where file modes do not stop writes: os.access stands in for the kernel.
    real_access = os.access
    readonly = workdir / "ro"
    readonly.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if os.fspath(p) == str(readonly) else real_access(p, mode, **kw))
    result = tsfc("predict", "-H", "2", "--output", "ro/f.csv")
    assert_one_line_error(result, 6, "not writable", "--output")
    assert "does not exist" not in result.stderr
    assert not (readonly / "f.csv").exists()


def test_a_file_that_is_not_a_bundle(workdir):
    (workdir / "README.md").write_text("# tsfc\n\nA forecasting tool, written in Markdown, long enough to have a header.\n")
    for command in (["predict"], ["info"], ["evaluate"]):
        result = tsfc(*command, "--bundle", "README.md")
        assert_one_line_error(result, 4, "README.md", "not a tsfc bundle")
        assert "fit the model again" not in result.stderr and "declares" not in result.stderr


def test_a_csv_that_does_not_match_the_bundle(workdir):
    frame = pd.read_csv(workdir / "hourly.csv")
    frame.rename(columns={"x": "load"}).to_csv(workdir / "other.csv", index=False)
    for command in (["predict", "--data", "other.csv"], ["evaluate", "other.csv"], ["plot", "--data", "other.csv"]):
        result = tsfc(*command)
        assert_one_line_error(result, 3, "other.csv", "does not match the bundle",
                              "expects the columns date, x", "missing: x")
        assert "--features" not in result.stderr and "--date-col" not in result.stderr
        assert "--target" not in result.stderr
    frame.rename(columns={"date": "when"}).to_csv(workdir / "other.csv", index=False)
    assert_one_line_error(tsfc("predict", "--data", "other.csv"), 3, "missing: date")


# ---------------------------------------------------------------- fit progress

def test_fit_reports_every_batch(workdir, monkeypatch):
    from tsfc import cli

    calls = []
    monkeypatch.setattr(cli.EpochReporter, "batch", lambda self, *args: calls.append(args))
    result = tsfc("fit", "hourly.csv", "-t", "x", *TINY_ARGS, "--batch-size", "16")
    assert result.exit_code == 0, result.stderr
    epochs = {epoch for epoch, _, _, _ in calls}
    assert epochs == {1, 2} and all(total == 2 for _, total, _, _ in calls)
    first = [(done, batches) for epoch, _, done, batches in calls if epoch == 1]
    assert len(first) > 1 and [d for d, _ in first] == list(range(1, len(first) + 1)) and first[-1][1] == len(first)


def test_fit_on_a_terminal_shows_progress_from_the_first_second(workdir):
    shown = "\n".join(in_terminal(workdir, "fit", "hourly.csv", "-t", "x", *TINY_ARGS[:-1], "-b", "t.tsfc"))
    assert "reading CSV…" in shown.replace("\r", "\n")
    for label in ("round 2/2", "train loss", "val loss", "elapsed"):
        assert label in shown, shown
    assert "tsfc: wrote" in shown and "tsfc: validation:" in shown
