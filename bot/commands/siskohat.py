"""`hajibot simulator | dataset | sync | lookup`: the Siskohat side of the operator's tools."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlparse

from bot.settings import get_settings
from knowledge.dates import aware_utc

PORSI_FORMAT = "10 digits, e.g. 1300477219"


def register(sub: argparse._SubParsersAction) -> None:
    settings_port = urlparse(get_settings().siskohat_url).port or 8790

    p = sub.add_parser("simulator", help="serve a Siskohat simulator from an export CSV")
    p.add_argument("--data", type=Path, help="export-format CSV (default: the demo data)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=settings_port)
    p.add_argument("--key", help="API key the simulator accepts (default: HAJIBOT_SISKOHAT_KEY)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every request")
    p.add_argument("--error-rate", type=_rate, default=0.0, help="share of HTTP 5xx answers")
    p.add_argument("--timeout-rate", type=_rate, default=0.0, help="share of hanging requests")
    p.add_argument("--malformed-rate", type=_rate, default=0.0, help="share of broken bodies")
    p.set_defaults(func=_simulator)

    p = sub.add_parser("dataset", help="write a synthetic national export CSV")
    p.add_argument("--size", type=_positive, required=True, help="number of rows")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_dataset)

    p = sub.add_parser("sync", help="fill the local mirror from Siskohat")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--file", type=Path, help="import a daily export CSV")
    how.add_argument("--date", type=_day, help="download and import the export of YYYY-MM-DD")
    how.add_argument("--since", type=_instant, help="page through the change feed since ISO")
    p.set_defaults(func=_sync)

    p = sub.add_parser("lookup", help="what the gateway answers for a nomor porsi")
    p.add_argument("porsi")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_lookup)


# ------------------------------------------------------------------ argument types


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a number between 0 and 1")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a positive whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("a positive whole number")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a date as YYYY-MM-DD") from None


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "an ISO-8601 time, e.g. 2026-11-18T00:00:00+07:00"
        ) from None
    return aware_utc(value)


def _fail(message: str, code: int) -> int:
    print(f"hajibot: {message}", file=sys.stderr)
    return code


# ------------------------------------------------------------------ simulator / dataset


def _simulator(args) -> int:
    from integration import simulator

    settings = get_settings()
    data = args.data
    if data is None:
        data = settings.simulator_data
    if data is None:
        from integration.demo import demo_csv

        data = demo_csv()
    if not Path(data).is_file():
        return _fail(f"data file not found: {data}", 1)
    key = args.key or settings.siskohat_key.get_secret_value()
    return simulator.run(
        data,
        args.host,
        args.port,
        key,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        timeout_rate=args.timeout_rate,
        malformed_rate=args.malformed_rate,
    )


def _dataset(args) -> int:
    from integration.dataset import write_dataset

    try:
        written = write_dataset(args.out, args.size, args.seed)
    except (OSError, ValueError) as exc:
        return _fail(f"dataset not written: {exc}", 1)
    print(f"{written} rows written to {args.out}")
    return 0


# ------------------------------------------------------------------ sync / lookup


def _database():
    from db import migrate
    from db.engine import Database

    url = get_settings().database_url
    migrate.upgrade(url)  # a no-op when already at head
    return Database(url)


def _client():
    from integration.client import SiskohatClient

    s = get_settings()
    return SiskohatClient(
        s.siskohat_url,
        s.siskohat_key.get_secret_value(),
        timeout_s=s.siskohat_timeout_s,
        total_timeout_s=s.siskohat_total_timeout_s,
    )


def _print_report(report) -> None:
    print(
        f"{report.name}: {report.read} rows read, {report.inserted} inserted, "
        f"{report.updated} updated, {report.unchanged} unchanged or older, "
        f"{len(report.malformed)} malformed ({report.seconds:.1f} s)"
    )
    for bad in report.malformed:
        where = f" [{bad.field}]" if bad.field else ""
        print(f"  line {bad.line}{where}: {bad.message}")


def _sync(args) -> int:
    from integration import sync
    from integration.client import SiskohatAuthError, SiskohatError
    from integration.mirror import ExportFormatError

    if args.file is not None and not args.file.is_file():
        return _fail(f"file not found: {args.file}", 1)
    db = _database()
    try:
        if args.file is not None:
            report = sync.sync_file(db, args.file)
        else:

            async def run():
                async with _client() as client:
                    if args.date is not None:
                        return await sync.sync_date(db, client, args.date)
                    return await sync.sync_since(db, client, args.since)

            report = asyncio.run(run())
    except ExportFormatError as exc:
        return _fail(str(exc), 1)
    except SiskohatAuthError:
        return _fail("Siskohat rejected the API key (HAJIBOT_SISKOHAT_KEY)", 3)
    except SiskohatError as exc:
        return _fail(f"Siskohat unreachable or refused: {exc}", 3)
    finally:
        db.dispose()
    _print_report(report)
    return 0


def _lookup(args) -> int:
    from integration.gateway import Gateway, InvalidPorsi
    from integration.wire import WireError, parse_porsi

    try:
        porsi = parse_porsi(args.porsi)
    except WireError:
        return _fail(f"not a nomor porsi: expected {PORSI_FORMAT}", 2)
    settings = get_settings()
    db = _database()
    try:

        async def run():
            async with _client() as client:
                gateway = Gateway(db, client, max_age_s=settings.siskohat_max_age_s)
                return await gateway.lookup(porsi)

        result = asyncio.run(run())
    except InvalidPorsi:
        return _fail(f"not a nomor porsi: expected {PORSI_FORMAT}", 2)
    finally:
        db.dispose()
    as_of = result.as_of.isoformat() if result.as_of else None
    if args.json:
        print(
            json.dumps(
                {
                    "porsi": result.porsi,
                    "source": result.source.value,
                    "as_of": as_of,
                    "siskohat_down": result.siskohat_down,
                    "record": result.record.to_dict() if result.record else None,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    if result.record is None:
        why = ""
        if result.siskohat_down:
            why = " (Siskohat unreachable; not in the local mirror"
            if "127.0.0.1" in settings.siskohat_url or "localhost" in settings.siskohat_url:
                why += "; for the demo, start `hajibot simulator` first"
            why += ")"
        if not args.json:
            return _fail(f"porsi {porsi} not found{why}", 1)
        return 1
    if not args.json:
        down = ", Siskohat unreachable" if result.siskohat_down else ""
        print(f"porsi {porsi}  source: {result.source.value}{down}  data as of: {as_of}")
        _print_tree(result.record.to_dict(), indent="  ")
    return 0


def _print_tree(data: dict, indent: str) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            if not value:
                continue
            print(f"{indent}{key}:")
            _print_tree(value, indent + "  ")
        elif value not in (None, [], ""):
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"{indent}{key}: {shown}")
