#!/usr/bin/env python3
"""Crash-safety harness: kills `uplift` with SIGKILL at random moments and checks what survives.

Scenarios (each run --kills times, default 50):
  import   `uplift import households FILE` of a synthetic registry; after each kill the database
           passes `uplift check` (integrity) and holds either none or all of the file's
           households: never a half-applied import.
  actions  `uplift serve` under a burst of acknowledged writes (unmasking, each one an audit
           event); after each kill and restart, every action the client saw acknowledged is in
           the audit log and `uplift audit verify` passes.

Backends: sqlite (a temp file) and postgres (--pg-url postgres://USER@HOST:PORT/postgres, a
superuser URL of a throwaway cluster; each run gets its own database).

Usage: scripts/crash_harness.py [--kills 50] [--backend sqlite|postgres|both] [--pg-url URL]
Prints one line per scenario and backend with the counts, and exits non-zero on any violation.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


def kill_at_random(cmd, low, high):
    """Starts cmd, kills it with SIGKILL after a random delay; returns True if it was killed."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(low, high))
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return killed


def scenario_import(dbs, kills, tmp):
    csv_dir = os.path.join(tmp, "csv")
    seed_db = dbs.fresh()
    out = run(["synth", "--households", "3000", "--seed", "9", "--csv-out", csv_dir,
               "--csv-only", "--database", seed_db])
    assert out.returncode == 0, out.stderr
    registry = os.path.join(csv_dir, "households.csv")
    expected = 3000
    stats = {"killed": 0, "none": 0, "all": 0}
    for _ in range(kills):
        db = dbs.fresh()
        run(["regions", "load-shipped", "--database", db])
        if kill_at_random([UPLIFT, "import", "households", registry, "--database", db,
                           "--quiet"], 0.05, 3.0):
            stats["killed"] += 1
        households = check(db)
        if households == 0:
            stats["none"] += 1
        elif households == expected:
            stats["all"] += 1
        else:
            raise AssertionError(f"half-applied import: {households} of {expected} households")
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
    stats = {"killed": 0, "acknowledged": 0}
    for round_no in range(kills):
        port = free_port()
        server = serve(db, port)
        opener, csrf = login(port)
        households = json.load(opener.open(
            f"http://127.0.0.1:{port}/api/v1/households?region={village[:9]}&per_page=20",
            timeout=5))["items"]
        deadline = time.time() + random.uniform(0.05, 1.0)
        n = 0
        while time.time() < deadline:
            n += 1
            reason = f"crash round {round_no} action {n}"
            target = random.choice(households)["id"]
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/households/{target}/unmask",
                data=json.dumps({"reason": reason}).encode(),
                headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
            try:
                opener.open(req, timeout=5)
                acknowledged.append(reason)
            except OSError:
                break
        server.send_signal(signal.SIGKILL)
        server.wait()
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
    args = ap.parse_args()
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
        for name, scenario in [("import", scenario_import), ("actions", scenario_actions)]:
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
