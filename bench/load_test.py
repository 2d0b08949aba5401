"""Load test: locust sessions per role (bench/locustfile.py) against `chipao serve
--workers N` (gunicorn) on loopback, for each number of workers, with and without Redis,
at each number of concurrent users; bounded in time (`--seconds` per run).

Reports per run: requests/s, errors, p50/p95/p99 of every step, the web workers' CPU
(percent of one core, summed) and memory (RSS, summed), and the most database
connections seen. Markdown on stdout (the tables of docs/performance.md).

    .venv/bin/python bench/load_test.py --households 100000 --workers 1 2 4 --users 20 50
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_user, ensure_demo, use_database  # noqa: E402

DB = "chipao_load"


def make_plan(folder: Path) -> Path:
    """Accounts per role and the areas, households and codes their sessions use."""
    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        provinces = list(conn.execute(text("""
            SELECT left(tambon_pcode, 4) FROM household
            GROUP BY 1 ORDER BY count(*) DESC LIMIT 6""")).scalars())
        districts = list(conn.execute(text("""
            SELECT left(tambon_pcode, 6) FROM household
            GROUP BY 1 ORDER BY count(*) DESC LIMIT 4""")).scalars())
        houses = {d: list(conn.execute(text(
            "SELECT house_id FROM household WHERE starts_with(tambon_pcode, :d) LIMIT 25"),
            {"d": d}).scalars()) for d in districts}
        dims = list(conn.execute(text("SELECT code FROM dimension ORDER BY sort")).scalars())
        years = list(conn.execute(text(
            "SELECT year_be FROM survey_round ORDER BY year_be DESC")).scalars())
    accounts: dict[str, list[dict]] = {"executive": [], "province": [], "district": [],
                                       "planner": []}
    for _ in range(3):
        u, p = create_user("executive")
        accounts["executive"].append({"username": u, "password": p})
        u, p = create_user("executive")
        accounts["planner"].append({"username": u, "password": p})
    for prov in provinces[:3]:
        u, p = create_user("province", (prov,))
        accounts["province"].append({"username": u, "password": p, "area": prov})
    for d in districts:
        u, p = create_user("district", (d,))
        accounts["district"].append({"username": u, "password": p, "area": d,
                                     "houses": houses[d]})
    plan = {"accounts": accounts, "provinces": provinces, "dimensions": dims,
            "compare_year": years[1] if len(years) > 1 else None}
    path = folder / "plan.json"
    path.write_text(json.dumps(plan, ensure_ascii=False))
    return path


class Sampler(threading.Thread):
    """Web workers' CPU and memory and the database's connections, twice a second."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master = psutil.Process(master)
        self.stop = threading.Event()
        self.cpu: list[float] = []
        self.rss: list[int] = []
        self.conns: list[int] = []

    def run(self) -> None:
        from sqlalchemy import text

        from queries.db import owner_engine

        procs: dict[int, psutil.Process] = {}
        last = None
        while not self.stop.wait(0.5):
            try:
                kids = [self.master, *self.master.children()]
            except psutil.Error:
                return
            for k in kids:
                procs.setdefault(k.pid, k)
            total, rss = 0.0, 0
            for p in kids:
                try:
                    t = procs[p.pid].cpu_times()
                    total += t.user + t.system
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            now = time.monotonic()
            if last is not None:
                self.cpu.append(100 * (total - last[1]) / (now - last[0]))
            last = (now, total)
            self.rss.append(rss)
            with owner_engine().connect() as conn:
                self.conns.append(conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :d "
                    "AND pid <> pg_backend_pid()"), {"d": DB}).scalar_one())


def serve(workers: int, port: int, redis_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ}
    env.pop("CHIPAO_REDIS_URL", None)
    if redis_url:
        env["CHIPAO_REDIS_URL"] = redis_url
    out = log.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "chipao", "serve", "--workers", str(workers),
                             "--threads", "8", "--port", str(port), "--no-job-worker"],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit("the server did not start:\n" + log.read_text()[-2000:])


def run_locust(url: str, users: int, seconds: int, plan: Path, prefix: Path) -> None:
    env = {**os.environ, "CHIPAO_LOAD_PLAN": str(plan)}
    subprocess.run([sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
                    "--headless", "-u", str(users), "-r", str(max(users // 5, 1)),
                    "-t", f"{seconds}s", "--host", url, "--csv", str(prefix),
                    "--only-summary", "--stop-timeout", "10"],
                   cwd=ROOT, env=env, check=False, capture_output=True, timeout=seconds + 120)


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--users", type=int, nargs="+", default=[20, 50])
    ap.add_argument("--redis", choices=["both", "on", "off"], default="both")
    ap.add_argument("--seconds", type=int, default=30)
    a = ap.parse_args()

    use_database(DB)
    ensure_demo(a.households)
    from chipao.cli import redislocal

    tmp = Path(tempfile.mkdtemp(prefix="chipao-load-"))
    plan = make_plan(tmp)
    modes = {"both": [False, True], "on": [True], "off": [False]}[a.redis]
    summary, steps = [], []
    for with_redis in modes:
        redis_url = redislocal.start(tmp / "redis") if with_redis else ""
        for workers in a.workers:
            for users in a.users:
                import redis as redis_client

                if redis_url:  # every run starts with an empty shared cache
                    redis_client.Redis.from_url(redis_url).flushall()
                port = 18000 + workers * 10 + users // 10
                proc = serve(workers, port, redis_url, tmp / f"serve-{workers}-{users}.log")
                sampler = Sampler(proc.pid)
                sampler.start()
                prefix = tmp / f"run-{int(with_redis)}-{workers}-{users}"
                started = time.monotonic()
                run_locust(f"http://127.0.0.1:{port}", users, a.seconds, plan, prefix)
                sampler.stop.set()
                sampler.join()
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
                rows = read_stats(prefix)
                agg = next(r for r in rows if r["Name"] == "Aggregated")
                label = f"{workers} w, {'Redis' if with_redis else 'no Redis'}, {users} users"
                summary.append({
                    "run": label, "rps": float(agg["Requests/s"]),
                    "requests": int(agg["Request Count"]),
                    "errors": int(agg["Failure Count"]), "p50": agg["50%"], "p95": agg["95%"],
                    "p99": agg["99%"],
                    "cpu": max(sampler.cpu, default=0), "cpu_mean":
                        sum(sampler.cpu) / len(sampler.cpu) if sampler.cpu else 0,
                    "rss": max(sampler.rss, default=0) / 2**20,
                    "conns": max(sampler.conns, default=0),
                    "seconds": time.monotonic() - started})
                for r in rows:
                    if r["Name"] != "Aggregated" and r["Type"] == "POST" or \
                            r["Name"].startswith("geometry"):
                        steps.append({"run": label, "step": r["Name"], "n": r["Request Count"],
                                      "fail": r["Failure Count"], "p50": r["50%"],
                                      "p95": r["95%"], "p99": r["99%"]})
                print(f"done: {label}: {summary[-1]['rps']:.1f} req/s, "
                      f"p95 {summary[-1]['p95']} ms", file=sys.stderr, flush=True)
        if with_redis:
            redislocal.stop(tmp / "redis")

    print(f"\n### Load test ({a.households:,} demo households, {a.seconds} s per run)\n")
    print("| run | req/s | requests | errors | p50 ms | p95 ms | p99 ms | "
          "worker CPU % mean / max | worker RSS MB | DB conns max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in summary:
        print(f"| {s['run']} | {s['rps']:.1f} | {s['requests']:,} | {s['errors']} | {s['p50']} | "
              f"{s['p95']} | {s['p99']} | {s['cpu_mean']:.0f} / {s['cpu']:.0f} | "
              f"{s['rss']:.0f} | {s['conns']} |")
    print("\n| run | step | requests | errors | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for s in steps:
        print(f"| {s['run']} | {s['step']} | {s['n']} | {s['fail']} | {s['p50']} | {s['p95']} | "
              f"{s['p99']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
