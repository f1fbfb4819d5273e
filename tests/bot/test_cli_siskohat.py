"""`hajibot sync | lookup | dataset` through bot.cli.main, on a temporary SQLite file."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from integration.wire import EXPORT_COLUMNS
from tests.integration._mirrorrows import row, write


@pytest.fixture(autouse=True)
def env(hajibot_env, tmp_path):
    hajibot_env(database_url=f"sqlite:///{tmp_path}/cli.sqlite3",
                siskohat_url="http://127.0.0.1:9",  # nothing listens
                siskohat_total_timeout_s=1, siskohat_max_age_s=3600)


@pytest.fixture
def export(tmp_path):
    return write(
        tmp_path / "e.csv",
        [row("1300477219", nama="AHMAD FAUZI"), "1300477220,SHORT", row("1300477221")],
    )


def test_sync_file_prints_counts_and_malformed_lines(export, capsys):
    assert main(["sync", "--file", str(export)]) == 0
    out = capsys.readouterr().out
    assert "3 rows read, 2 inserted, 0 updated, 0 unchanged or older, 1 malformed" in out
    assert "line 3" in out
    assert main(["sync", "--file", str(export)]) == 0
    assert "2 unchanged or older" in capsys.readouterr().out


def test_sync_file_missing_or_wrong_header_exits_1(tmp_path, capsys):
    assert main(["sync", "--file", str(tmp_path / "nope.csv")]) == 1
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(reversed(EXPORT_COLUMNS)) + "\n")
    assert main(["sync", "--file", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "header" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv", [["sync"], ["sync", "--date", "2024-13-01"], ["sync", "--since", "kemarin"]]
)
def test_sync_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


@pytest.mark.parametrize("argv", [["--date", "2024-03-01"], ["--since", "2024-03-01T00:00:00Z"]])
def test_sync_siskohat_unreachable_exits_3(argv, capsys):
    assert main(["sync", *argv]) == 3
    assert "Siskohat" in capsys.readouterr().err


def test_lookup_human_and_json(export, capsys):
    main(["sync", "--file", str(export)])
    capsys.readouterr()
    assert main(["lookup", "1300477219"]) == 0
    out = capsys.readouterr().out
    assert "source: mirror" in out and "name: AHMAD FAUZI" in out
    assert main(["lookup", "1300477219", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["porsi"] == "1300477219" and payload["source"] == "mirror"
    assert payload["siskohat_down"] is False and payload["as_of"]
    assert payload["record"]["identity"]["name"] == "AHMAD FAUZI"
    assert payload["record"]["waiting"]["position"] == 1234


def test_lookup_unknown_and_malformed_porsi(capsys):
    assert main(["lookup", "1300477299"]) == 1
    assert "not found" in capsys.readouterr().err
    assert main(["lookup", "12345"]) == 2
    assert "10 digits" in capsys.readouterr().err


def test_dataset_writes_rows(tmp_path, capsys):
    out = tmp_path / "d.csv"
    assert main(["dataset", "--size", "50", "--seed", "3", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS) and len(lines) == 51
    assert main(["sync", "--file", str(out)]) == 0
    assert "50 inserted" in capsys.readouterr().out
