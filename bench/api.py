"""Benchmark: lock requests per second through the API under gunicorn, next to a bare endpoint.

Two servers run in turn under the same gunicorn settings (2 sync workers) on SQLite files
(WAL, synchronous=FULL) on the ordinary disk:
  * stockform: `POST /api/v1/locks` of 1 unit of a SKU holding plenty, with a bearer token;
  * bare: a Flask endpoint that parses the same JSON body and does the raw sqlite3 conditional
    UPDATE (available -> locked, guarded by available >= qty) plus a ledger INSERT.
Clients (threads of this process, a new connection per request, as sync workers close them)
send requests for a fixed time; phases alternate over several rounds so load from elsewhere
falls on both alike. Target: stockform at least 50% of the bare figure.

    python bench/api.py [--seconds 5] [--rounds 3] [--clients 8] [--dir DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "templates_lib" / "minimal"
GUNICORN = ["--workers", "2", "--worker-class", "sync", "--timeout", "60"]

BARE_APP = """
import json, sqlite3, threading
from flask import Flask, request

app = Flask(__name__)
local = threading.local()
PATH = {path!r}


def connection():
    if not hasattr(local, "db"):
        db = sqlite3.connect(PATH, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        local.db = db
    return local.db


@app.post("/lock")
def lock():
    body = json.loads(request.get_data())
    qty = int(body["qty"]) * 1000
    db = connection()
    db.execute("BEGIN IMMEDIATE")
    changed = db.execute(
        "UPDATE balance SET available = available - ?, locked = locked + ? "
        "WHERE sku = ? AND available >= ?",
        (qty, qty, body["sku"], qty),
    ).rowcount
    if changed:
        db.execute(
            "INSERT INTO movement (sku, qty, kind, reference) VALUES (?, ?, 'lock', ?)",
            (body["sku"], qty, body["reference"]),
        )
    db.execute("COMMIT")
    if not changed:
        return {{"error": {{"code": "insufficient_stock"}}}}, 409
    return {{"sku": body["sku"], "qty": body["qty"], "status": "active"}}, 201
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def workers_cpu(master: int) -> float:
    """CPU seconds (user + system) the gunicorn master's worker processes have used so far:
    unlike requests per second, hardly moved by other work on the machine."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == master:  # ppid; then utime and stime, in clock ticks
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(app: str, cwd: Path, env: dict[str, str], check: str) -> Iterator[tuple[int, int]]:
    """gunicorn serving app until the block ends; yields its port and the master's process id
    once check answers."""
    port = free_port()
    log = (cwd / f"gunicorn-{port}.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}", app],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", check)
                connection.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"{app} did not start; see {log.name}")
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def load(
    port: int,
    path: str,
    body: dict[str, str],
    headers: dict[str, str],
    seconds: float,
    clients: int,
) -> tuple[int, list[float], int]:
    """(answers with 201, latencies in ms, other answers) from clients sending for seconds."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    stop = time.monotonic() + seconds
    payload = json.dumps(body)
    sent = {"Content-Type": "application/json", **headers}

    def client(index: int) -> None:
        while time.monotonic() < stop:
            start = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", path, body=payload, headers=sent)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 201:
                latencies[index].append((time.perf_counter() - start) * 1000)
            else:
                failures[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = [v for part in latencies for v in part]
    return len(merged), merged, sum(failures)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1] if ordered else float("nan")


def prepare_stockform(folder: Path) -> tuple[str, str]:
    """A database with a SKU holding plenty and a token: (url, token)."""
    from stockform.api.tokens import create_token
    from stockform.database import prepare
    from stockform.documents.users import add_user
    from stockform.stock.service import Stock

    url = f"sqlite:///{folder / 'stockform.db'}"
    prepared = prepare(url, MINIMAL)
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="HOT")
    stock.receive("HOT", "MAIN", 10**9)
    with prepared.engine.begin() as connection:
        add_user(connection, prepared.template, "bench", ["admin"], "bench")
        token = create_token(connection, "bench")
    prepared.engine.dispose()
    return url, token


def prepare_bare(folder: Path) -> Path:
    import sqlite3

    path = folder / "bare.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE balance (sku TEXT PRIMARY KEY, available INTEGER, locked INTEGER)")
    db.execute(
        "CREATE TABLE movement (id INTEGER PRIMARY KEY, sku TEXT, qty INTEGER, kind TEXT, "
        "reference TEXT)"
    )
    db.execute("INSERT INTO balance VALUES ('HOT', ?, 0)", (10**12,))
    db.commit()
    db.close()
    (folder / "bare_app.py").write_text(BARE_APP.format(path=str(path)))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/stockform-bench-api"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    url, token = prepare_stockform(args.dir)
    prepare_bare(args.dir)
    env = {
        "STOCKFORM_DATABASE_URL": url,
        "STOCKFORM_TEMPLATE": str(MINIMAL),
        "STOCKFORM_INSTANCE_PATH": str(args.dir / "instance"),
        "STOCKFORM_SECRET_KEY": "bench",
        "STOCKFORM_SQLITE_SYNCHRONOUS": "FULL",
    }
    body = {"sku": "HOT", "warehouse": "MAIN", "qty": "1", "reference": "bench"}
    results: dict[str, tuple[int, list[float], int, float]] = {
        "stockform": (0, [], 0, 0.0),
        "bare": (0, [], 0, 0.0),
    }
    cpu = {"stockform": 0.0, "bare": 0.0}  # seconds of the servers' workers
    bare_env = {"PYTHONPATH": str(args.dir)}
    with gunicorn("stockform.app:create_app()", args.dir, env, "/api/v1/openapi.json") as ours:
        with gunicorn("bare_app:app", args.dir, bare_env, "/") as bare:
            for _round in range(args.rounds):
                for name, (port, master), path, headers in (
                    ("stockform", ours, "/api/v1/locks", {"Authorization": f"Bearer {token}"}),
                    ("bare", bare, "/lock", {}),
                ):
                    ok, latencies, failed, seconds = results[name]
                    before = workers_cpu(master)
                    done, more, bad = load(port, path, body, headers, args.seconds, args.clients)
                    cpu[name] += workers_cpu(master) - before
                    results[name] = (
                        ok + done,
                        latencies + more,
                        failed + bad,
                        seconds + args.seconds,
                    )
    print(
        f"{args.clients} clients, gunicorn {' '.join(GUNICORN)}, SQLite WAL synchronous=FULL, "
        f"{args.rounds} rounds of {args.seconds:g} s each; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"{'server':<10} {'locks/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'refused':>8} "
        f"{'server CPU ms/lock':>19}"
    )
    rates = {}
    for name, (ok, latencies, failed, seconds) in results.items():
        rates[name] = ok / seconds
        print(
            f"{name:<10} {rates[name]:>9.1f} {statistics.median(latencies):>8.1f} "
            f"{percentile(latencies, 99):>8.1f} {failed:>8} {1000 * cpu[name] / ok:>19.2f}"
        )
    share = rates["stockform"] / rates["bare"]
    print(
        f"stockform is {share:.0%} of the bare endpoint (target: at least 50%): "
        + ("met" if share >= 0.5 else "NOT met")
    )


if __name__ == "__main__":
    main()
