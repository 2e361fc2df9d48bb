#!/usr/bin/env python3
"""Crash-safety harness: kills `uplift` with SIGKILL at random moments and checks what survives.

Scenarios (each run --kills times, default 50):
  import   `uplift import households FILE` of a synthetic registry (20,000 households; 5,000
           with --size medium, 1,000 with small; kills spread over an uninterrupted import's time); after each
           kill the database passes `uplift check` (integrity) and holds either none or all of
           the file's households: never a half-applied import.
  screen   `uplift screen` on a registry with imported medical feeds (a run of a few seconds,
           thousands of warnings written in one transaction); after each kill the database passes
           `uplift check`, holds no half-written run (either no run and no warning, or the run
           with exactly as many warnings as its counts say), and screening again gives exactly
           the warnings of an uninterrupted run.
  actions  `uplift serve` under a burst of acknowledged writes (unmasking, each one an audit
           event), killed while a request is in flight; after each kill and restart, every
           action the client saw acknowledged is in the audit log and `uplift audit verify`
           passes.

"mid-write" counts the kills that landed while the killed process had a write transaction
open: probed just before the SIGKILL (SQLite: another connection cannot take the write lock;
PostgreSQL: the process's backend holds a transaction ID) or, for `actions`, while a request
was in flight.

Backends: sqlite (a temp file) and postgres (--pg-url postgres://USER@HOST:PORT/postgres, a
superuser URL of a throwaway cluster; each run gets its own database).

Usage: scripts/crash_harness.py [--kills 50] [--backend sqlite|postgres|both] [--pg-url URL]
                               [--scenario import|screen|actions ...] [--size small|medium|full]
                               [--binary PATH]
CI (scripts/test) runs `--kills 3 --size small --backend both` with the debug binary.
Prints one line per scenario and backend with the counts, and exits non-zero on any violation.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPLIFT = os.path.join(ROOT, "target", "release", "uplift")


def run(args, **kw):
    return subprocess.run([UPLIFT, *args], capture_output=True, text=True, **kw)


def check(db):
    out = run(["check", "--database", db])
    if out.returncode != 0:
        raise AssertionError(f"uplift check failed: {out.stderr.strip()}")
    households = int(out.stdout.split(" households")[0].rsplit(" ", 1)[-1])
    return households


class Databases:
    """Fresh databases of one backend."""

    def __init__(self, backend, pg_url, tmp):
        self.backend, self.pg_url, self.tmp, self.n = backend, pg_url, tmp, 0

    def fresh(self):
        self.n += 1
        if self.backend == "sqlite":
            return f"sqlite://{self.tmp}/crash-{self.n}.sqlite"
        name = f"uplift_crash_{os.getpid()}_{self.n}"
        subprocess.run(["psql", self.pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
        return self.pg_url.rsplit("/", 1)[0] + "/" + name


    def drop(self, db):
        """Removes a database the scenario is done with (they add up at full size)."""
        if self.backend == "sqlite":
            for suffix in ["", "-wal", "-shm"]:
                path = db[len("sqlite://"):] + suffix
                if os.path.exists(path):
                    os.remove(path)
        else:
            subprocess.run(["psql", self.pg_url, "-qc",
                            f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]}"], check=True)

    def copy(self, template):
        """A fresh database with the content of `template` (closed)."""
        self.n += 1
        if self.backend == "sqlite":
            src = template[len("sqlite://"):]
            dst = f"{self.tmp}/crash-{self.n}.sqlite"
            for suffix in ["", "-wal", "-shm"]:
                if os.path.exists(src + suffix):
                    shutil.copyfile(src + suffix, dst + suffix)
            return f"sqlite://{dst}"
        name = f"uplift_crash_{os.getpid()}_{self.n}"
        subprocess.run(["psql", self.pg_url, "-qc",
                        f"CREATE DATABASE {name} TEMPLATE {template.rsplit('/', 1)[1]}"],
                       check=True)
        return self.pg_url.rsplit("/", 1)[0] + "/" + name

    def query(self, db, sql):
        """The rows of `sql` as tuples of text."""
        if self.backend == "sqlite":
            con = sqlite3.connect(db[len("sqlite://"):], timeout=30)
            try:
                return [tuple("" if v is None else str(v) for v in row)
                        for row in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = subprocess.run(["psql", db, "-AtF", "\t", "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def writing(self, db):
        """Whether some connection holds an open write transaction on `db` right now."""
        if self.backend == "sqlite":
            con = sqlite3.connect(db[len("sqlite://"):], timeout=0, isolation_level=None)
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                con.close()
        name = db.rsplit("/", 1)[1]
        rows = self.query(self.pg_url, "SELECT count(*) FROM pg_stat_activity "
                          f"WHERE datname = '{name}' AND backend_xid IS NOT NULL")
        return int(rows[0][0]) > 0


def kill_at_random(cmd, low, high, probe=None):
    """Starts cmd, kills it with SIGKILL after a random delay. Returns (killed, mid_write):
    whether it was still running when killed, and whether `probe()` found a write transaction
    open just before the kill."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(low, high))
    killed = proc.poll() is None
    mid_write = False
    if killed:
        mid_write = bool(probe and probe())
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return killed, mid_write


IMPORT_SIZES = {"small": 1000, "medium": 5000, "full": 20000}


def scenario_import(dbs, kills, tmp, size="full"):
    expected = IMPORT_SIZES[size]
    csv_dir = os.path.join(tmp, "csv")
    seed_db = dbs.fresh()
    out = run(["synth", "--households", str(expected), "--seed", "9", "--csv-out", csv_dir,
               "--csv-only", "--database", seed_db])
    assert out.returncode == 0, out.stderr
    registry = os.path.join(csv_dir, "households.csv")
    template = dbs.fresh()
    run(["regions", "load-shipped", "--database", template])
    # An uninterrupted import gives the span the kills are spread over.
    reference_db = dbs.copy(template)
    started = time.time()
    out = run(["import", "households", registry, "--database", reference_db, "--quiet"])
    duration = time.time() - started
    assert out.returncode == 0, out.stderr
    assert check(reference_db) == expected
    dbs.drop(reference_db)
    stats = {"killed": 0, "mid_write": 0, "none": 0, "all": 0, "run_s": round(duration, 1)}
    for _ in range(kills):
        db = dbs.copy(template)
        killed, mid_write = kill_at_random(
            [UPLIFT, "import", "households", registry, "--database", db, "--quiet"],
            0.05, duration * 1.1, probe=lambda: dbs.writing(db))
        stats["killed"] += killed
        stats["mid_write"] += mid_write
        households = check(db)
        if households == 0:
            stats["none"] += 1
        elif households == expected:
            stats["all"] += 1
        else:
            raise AssertionError(f"half-applied import: {households} of {expected} households")
        dbs.drop(db)
    return stats


SCREEN_AS_OF = "2026-04-01"
SCREEN_SIZES = {"small": (500, 5000), "medium": (3000, 60000), "full": (15000, 300000)}


def medical_feed(registry_csv, path, rows, seed):
    """A medical feed naming persons of the registry file (and a few nobody), settled in the
    twelve months before SCREEN_AS_OF, in the formats.md columns."""
    ids = []
    with open(registry_csv, encoding="utf-8") as f:
        next(f)
        for line in f:
            ids.extend(c for c in line.rstrip("\n").split(",")
                       if len(c) == 18 and c[:17].isdigit())
    g = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        f.write("id_number,settlement_date,total_cost,compliant_out_of_pocket,record_id,"
                "record_status\n")
        for r in range(rows):
            who = g.choice(ids) if r % 50 else "11010519491231002X"
            day = f"2025-{g.randint(4, 12):02d}-{g.randint(1, 28):02d}"
            oop = g.choice([g.randint(100, 3000), g.randint(3000, 20000), g.randint(20000, 60000)])
            f.write(f"{who},{day},{oop * 2}.00,{oop}.00,M{r:09d},\n")


def screening_state(dbs, db):
    """Checks that no run is half-written; returns the warnings as sorted tuples."""
    runs = dbs.query(db, "SELECT id, warnings_new, warnings_updated, warnings_withdrawn "
                         "FROM screening_runs ORDER BY id")
    per_run = dict(dbs.query(db, "SELECT run_id, COUNT(*) FROM warnings GROUP BY run_id"))
    total = int(dbs.query(db, "SELECT COUNT(*) FROM warnings")[0][0])
    if not runs and total:
        raise AssertionError(f"{total} warnings without a screening run")
    for run_id, new, updated, withdrawn in runs:
        # Each run of this scenario starts from no warnings: every warning is new and its own.
        held = int(per_run.get(run_id, 0))
        if (int(updated), int(withdrawn)) != (0, 0) or held != int(new):
            raise AssertionError(f"half-written run {run_id}: counts new {new} updated "
                                 f"{updated} withdrawn {withdrawn}, {held} warnings stored")
    if len(runs) > 1:
        raise AssertionError(f"{len(runs)} runs recorded for one screening")
    return dbs.query(db, "SELECT household_no, risk_type, rules, state, due_date, village_code "
                         "FROM warnings ORDER BY household_no, risk_type")


def scenario_screen(dbs, kills, tmp, size="full"):
    households, feed_rows = SCREEN_SIZES[size]
    csv_dir = os.path.join(tmp, "screen-csv")
    template = dbs.fresh()
    out = run(["synth", "--households", str(households), "--seed", "11", "--csv-out", csv_dir,
               "--database", template])
    assert out.returncode == 0, out.stderr
    feed = os.path.join(tmp, "medical.csv")
    medical_feed(os.path.join(csv_dir, "households.csv"), feed, feed_rows, 11)
    out = run(["feeds", "import", "medical", feed, "--database", template])
    assert out.returncode == 0, out.stderr
    screen = ["screen", "--as-of", SCREEN_AS_OF]

    # The uninterrupted run: the warnings every interrupted one must end with, and its duration
    # (the kills are spread over it).
    reference_db = dbs.copy(template)
    started = time.time()
    out = run([*screen, "--database", reference_db])
    duration = time.time() - started
    assert out.returncode == 0, out.stderr
    reference = screening_state(dbs, reference_db)
    if not reference:
        raise AssertionError("the uninterrupted run raised no warning")
    stats = {"killed": 0, "mid_write": 0, "none": 0, "whole": 0,
             "warnings": len(reference), "run_s": round(duration, 1)}
    for _ in range(kills):
        db = dbs.copy(template)
        killed, mid_write = kill_at_random([UPLIFT, *screen, "--database", db],
                                           0.05, duration * 1.1, probe=lambda: dbs.writing(db))
        stats["killed"] += killed
        stats["mid_write"] += mid_write
        check(db)
        after_kill = screening_state(dbs, db)
        if after_kill:
            stats["whole"] += 1
            if after_kill != reference:
                raise AssertionError("a run that survived a kill differs from the uninterrupted one")
        else:
            stats["none"] += 1
        out = run([*screen, "--database", db])
        if out.returncode != 0:
            raise AssertionError(f"screening again after a kill failed: {out.stderr.strip()}")
        if screening_state(dbs, db) != reference:
            raise AssertionError("screening again after a kill differs from an uninterrupted run")
        dbs.drop(db)
    return stats


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db, port):
    proc = subprocess.Popen([UPLIFT, "serve", "--database", db, "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return proc
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not start")


def login(port):
    """Logs in; returns an opener that sends the session cookie (a Secure cookie, which
    http.cookiejar would withhold from plain http on loopback) and the CSRF token."""
    body = json.dumps({"username": "crash-cadre", "password": "crash-pass-1"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/session", data=body,
                                 headers={"Content-Type": "application/json"})
    answer = urllib.request.urlopen(req, timeout=5)
    cookie = answer.headers["Set-Cookie"].split(";")[0]
    csrf = json.load(answer)["csrf_token"]
    opener = urllib.request.build_opener()
    opener.addheaders = [("Cookie", cookie)]
    return opener, csrf


def scenario_actions(dbs, kills, tmp):
    db = dbs.fresh()
    assert run(["synth", "--households", "200", "--seed", "3", "--database", db]).returncode == 0
    village = run(["regions", "list", "--parent", "431026102", "--database", db]).stdout.split()[0]
    out = run(["user", "add", "crash-cadre", "--role", "township_reviewer", "--region",
               village[:9], "--password", "crash-pass-1", "--database", db])
    assert out.returncode == 0, out.stderr
    acknowledged = []
    stats = {"killed": 0, "mid_write": 0, "acknowledged": 0}
    for round_no in range(kills):
        port = free_port()
        server = serve(db, port)
        opener, csrf = login(port)
        households = json.load(opener.open(
            f"http://127.0.0.1:{port}/api/v1/households?region={village[:9]}&per_page=20",
            timeout=5))["items"]
        in_flight = threading.Event()
        stop = threading.Event()

        def client():
            # Sends actions back to back until the server dies; only answered ones count.
            n = 0
            while not stop.is_set():
                n += 1
                reason = f"crash round {round_no} action {n}"
                target = random.choice(households)["id"]
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/households/{target}/unmask",
                    data=json.dumps({"reason": reason}).encode(),
                    headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
                in_flight.set()
                try:
                    opener.open(req, timeout=5)
                except OSError:
                    return
                finally:
                    in_flight.clear()
                acknowledged.append(reason)

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(random.uniform(0.05, 1.0))
        stats["mid_write"] += in_flight.is_set()
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        thread.join()
        stats["killed"] += 1
        check(db)
        verify = run(["audit", "verify", "--database", db])
        if verify.returncode != 0:
            raise AssertionError(f"audit chain broken after a kill: {verify.stderr.strip()}")
    # Every acknowledged action is in the audit log.
    port = free_port()
    server = serve(db, port)
    try:
        out = run(["backup", os.path.join(tmp, "audit.jsonl"), "--database", db])
        assert out.returncode == 0, out.stderr
        with open(os.path.join(tmp, "audit.jsonl"), encoding="utf-8") as f:
            text = f.read()
        missing = [r for r in acknowledged if r not in text]
        if missing:
            raise AssertionError(f"{len(missing)} acknowledged actions are lost, e.g. {missing[0]}")
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    stats["acknowledged"] = len(acknowledged)
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get("UPLIFT_TEST_PG_URL"))
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--scenario", action="append", choices=["import", "screen", "actions"],
                    help="run only these scenarios (repeatable; default: all three)")
    ap.add_argument("--size", choices=sorted(SCREEN_SIZES), default="full",
                    help="registry and feed sizes of the import and screen scenarios "
                    "(small: for CI)")
    ap.add_argument("--binary", help="the uplift binary (default: target/release/uplift, "
                    "built if missing)")
    args = ap.parse_args()
    global UPLIFT
    if args.binary:
        UPLIFT = os.path.abspath(args.binary)
    chosen = args.scenario or ["import", "screen", "actions"]
    scenarios = {
        "import": lambda dbs, kills, tmp: scenario_import(dbs, kills, tmp, args.size),
        "screen": lambda dbs, kills, tmp: scenario_screen(dbs, kills, tmp, args.size),
        "actions": scenario_actions,
    }
    random.seed(args.seed)
    if not os.path.exists(UPLIFT):
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "uplift-cli"],
                       cwd=ROOT, check=True)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    failed = False
    for backend in backends:
        if backend == "postgres" and not args.pg_url:
            sys.exit("postgres needs --pg-url or UPLIFT_TEST_PG_URL")
        tmp = tempfile.mkdtemp(prefix="uplift-crash-")
        dbs = Databases(backend, args.pg_url, tmp)
        for name in chosen:
            scenario = scenarios[name]
            started = time.time()
            try:
                stats = scenario(dbs, args.kills, tmp)
                print(f"{backend:8} {name:8} ok   {stats} in {time.time() - started:.0f} s")
            except AssertionError as e:
                failed = True
                print(f"{backend:8} {name:8} FAIL {e}")
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
