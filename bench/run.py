"""iamcheck against the scripted baseline, on generated accounts served with added latency.

    python bench/run.py                       # small, medium and IBM's limits, 50 ms a request
    python bench/run.py --sizes small --latency-ms 20

For each size it generates a seed, serves it with `iamcheck emulator serve --latency-ms`, and
measures, each as its own process (wall time, CPU time, peak memory; requests as the emulator
counts them): `audit --format json`, the SDK baseline (bench/baseline.py, 8 threads),
`check` for the API key's owner and for another user, `snapshot` (which reads every group's
members), and from the snapshot `audit --format json`, `csv` and `markdown` (the outputs' peak
memory and size); and `--help`. Beside the audit's requests it puts the formula's fewest
(docs/performance.md, with the groups that matter). It prints one table of ratios measured in
the same run and writes every figure,
with a description of the machine and its load, to bench/results/<date>-<sizes>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from iamcheck.emulator.backend.vpc import REGIONS as VPC_REGIONS
from iamcheck.emulator.seed.generate import generate
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData
from iamcheck.read.snapshot import load as load_snapshot

HERE = Path(__file__).resolve().parent
SIZES: dict[str, dict[str, int]] = {
    "small": {"users": 50, "groups": 20, "policies": 200, "instances": 200, "regions": 10},
    "medium": {"users": 2000, "groups": 300, "policies": 2000, "instances": 3000, "regions": 10},
    "limit": {"users": 5000, "groups": 500, "policies": 4020, "instances": 10000, "regions": 10},
}
IAMCHECK = [sys.executable, "-m", "iamcheck"]
# The per-pair CSV's memory target is the medium account's; at IBM's limits the CSV is some 26
# million rows, more than 20 minutes of writing, so it is left out there.
CSV_SIZES = ("small", "medium")


def pages(n: int, size: int = 100) -> int:
    return max(1, math.ceil(n / size))


class Emulator:
    """`iamcheck emulator serve` in a process of its own, so it does not share our CPU time."""

    def __init__(self, seed: Path, latency_ms: float, workdir: Path) -> None:
        self.log = workdir / "emulator.log"
        with self.log.open("w") as err:
            self.proc = subprocess.Popen(
                [*IAMCHECK, "emulator", "serve", "--seed", str(seed), "--port", "0",
                 "--latency-ms", str(latency_ms)], stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 300
        while "base URL:" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start: {self.log.read_text()}")
            time.sleep(0.1)
        line = next(x for x in self.log.read_text().splitlines() if "base URL:" in x)
        self.url = line.split("base URL:", 1)[1].strip()
        # the control API asks for the secret the emulator prints (when it prints one)
        secret = next((x.split("X-Emulator-Secret:", 1)[1].strip()
                       for x in self.log.read_text().splitlines() if "X-Emulator-Secret:" in x),
                      "")
        self.headers = {"X-Emulator-Secret": secret} if secret else {}
        while True:  # the banner can come before the socket listens
            try:
                requests.get(f"{self.url}/_emulator/requests", headers=self.headers, timeout=5)
                break
            except requests.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = self.log.read_text()
                    raise RuntimeError(f"the emulator does not answer: {log}") from None
                time.sleep(0.2)

    def cpu(self) -> float:
        """CPU seconds the emulator has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def clear(self) -> None:
        requests.delete(f"{self.url}/_emulator/requests", headers=self.headers,
                        timeout=30).raise_for_status()

    def counts(self) -> dict[str, Any]:
        answer = requests.get(f"{self.url}/_emulator/requests", headers=self.headers, timeout=30)
        answer.raise_for_status()
        return answer.json()  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


# Runs one command and reports its own figures. A child's peak memory counts what it inherited
# from the process that forked it, so commands are started from this small process, not from
# the benchmark, which holds a whole account in memory.
LAUNCHER = """
import json, os, subprocess, sys, time
cmd, out = json.loads(sys.argv[1]), sys.argv[2]
sink = open(out, "w") if out else subprocess.DEVNULL
started = time.perf_counter()
proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE)
err = proc.stderr.read().decode(errors="replace")
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"wall_s": round(time.perf_counter() - started, 3),
                  "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
                  "peak_mib": round(usage.ru_maxrss / 1024, 1),
                  "exit": os.waitstatus_to_exitcode(status), "stderr": err[-2000:]}))
"""


def measure(cmd: list[str], env: dict[str, str], emulator: Emulator | None = None,
            stdout: Path | None = None) -> dict[str, Any]:
    """Run `cmd` as a process of its own: wall and CPU time, peak memory, and the emulator's
    count of the requests it made (cleared first)."""
    if emulator is not None:
        emulator.clear()
        served_cpu = emulator.cpu()
    launched = subprocess.run([sys.executable, "-c", LAUNCHER, json.dumps(cmd),
                               str(stdout or "")], env=env, capture_output=True, text=True,
                              check=True)
    result: dict[str, Any] = json.loads(launched.stdout)
    err = result.pop("stderr")
    if result["exit"] not in (0, 1, 3):
        raise RuntimeError(f"{' '.join(cmd[2:])} exited {result['exit']}: {err}")
    if emulator is not None:
        counted = emulator.counts()
        result.update({"requests": counted["total"], "max_in_flight": counted["max_in_flight"],
                       "by_route": counted["by_route"],
                       "emulator_cpu_s": round(emulator.cpu() - served_cpu, 3)})
    if stdout:
        result["output_mib"] = round(stdout.stat().st_size / 2**20, 2)
    return result


def critical_chain(data: AccountData) -> int:
    """Round trips that must follow one another in an audit, whatever the concurrency: the
    token, iamcheck's own rights (its groups, then their policies), then the longest of the
    paged chains that run side by side."""
    members: dict[str, int] = {}
    for m in data.memberships:
        members[m.group_id] = members.get(m.group_id, 0) + 1
    by_region: dict[str, int] = {}
    for inst in data.instances:
        by_region[inst.region] = by_region.get(inst.region, 0) + 1
    active = sum(p.state == "active" for p in data.policies)
    deleted = len(data.policies) - active
    tags = pages(len(data.instances), 1000) if any(p.tags for p in data.policies) else 0
    return 3 + max(pages(len(data.users)),
                   pages(len(data.groups)) + max([pages(n) for n in members.values()] or [1]),
                   max(pages(active), pages(deleted)) + tags,
                   1 + max([pages(n) for n in by_region.values()] or [1]))


def minimal_pages(data: AccountData, service: str, caller: str, regions: int) -> int:
    """docs/performance.md's formula with the fewest pages each collection can take: the
    requests an audit cannot do without (the snapshot's data: every group's members known)."""
    from iamcheck.read.relevant import groups_that_matter

    def policies_of(key: str, value: str) -> int:
        return sum(1 for p in data.policies
                   if p.state == "active" and p.subject_value(key) == value)

    members: dict[str, int] = {}
    for m in data.memberships:
        members[m.group_id] = members.get(m.group_id, 0) + 1
    mine = {m.group_id for m in data.memberships if m.iam_id == caller} | {
        PUBLIC_ACCESS_GROUP_ID}
    matter = groups_that_matter(data.groups, data.policies, service, data.account_id)
    by_region: dict[str, int] = {}
    for inst in data.instances:
        by_region[inst.region] = by_region.get(inst.region, 0) + 1
    active = sum(p.state == "active" for p in data.policies)
    return (1 + 1 + pages(policies_of("iam_id", caller))
            + sum(pages(policies_of("access_group_id", g)) for g in mine)
            + pages(len(data.users)) + pages(len(data.groups))
            + pages(active) + pages(len(data.policies) - active) + 3
            + sum(pages(members.get(g, 0)) for g in matter)
            + sum(1 for g in data.groups if g.rules and g.id in matter)
            + sum(pages(n) for n in by_region.values()) + (regions - len(by_region))
            + (pages(len(data.instances), 1000) if any(p.tags for p in data.policies) else 0))


def user_groups(seed: dict[str, Any], iam_id: str) -> int:
    """The groups IBM lists for a user: static, current dynamic, and Public Access."""
    return 1 + sum(1 for g in seed.get("access_groups", []) if g["id"] != PUBLIC_ACCESS_GROUP_ID
                   and any(m["iam_id"] == iam_id
                           for m in g.get("members", []) + g.get("dynamic_members", [])))


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory / 2**20, 1),
            "system": platform.system(), "kernel": platform.release(),
            "python": platform.python_version()}


def help_times(env: dict[str, str], runs: int = 5) -> dict[str, float]:
    out = {}
    for args in (["--help"], ["check", "--help"]):
        walls = [measure([*IAMCHECK, *args], env)["wall_s"] for _ in range(runs)]
        out[" ".join(args)] = round(statistics.median(walls), 3)
    return out


def bench_size(name: str, latency_ms: float, concurrency: int, threads: int,
               workdir: Path) -> dict[str, Any]:
    size = SIZES[name]
    load_before = os.getloadavg()
    seed = generate(**size, seed=0)
    seed_path = workdir / f"{name}.seed.json"
    seed_path.write_text(json.dumps(seed))
    key, caller = seed["api_keys"][0]["apikey"], seed["api_keys"][0]["iam_id"]
    other = next(u for u in seed["users"] if u["iam_id"] != caller and u["state"] == "ACTIVE")
    instance = seed["instances"][0]["name"]
    emulator = Emulator(seed_path, latency_ms, workdir)
    env = {**os.environ, "IBMCLOUD_API_KEY": key, "IAMCHECK_ENDPOINT": emulator.url}
    env.pop("IAMCHECK_DEBUG", None)
    conn = ["--concurrency", str(concurrency)]
    try:
        print(f"[{name}] audit ...", file=sys.stderr, flush=True)
        audit = measure([*IAMCHECK, "audit", "--format", "json", *conn], env, emulator,
                        workdir / f"{name}.audit.json")
        audit["summary"] = json.loads((workdir / f"{name}.audit.json").read_text())["summary"]
        print(f"[{name}] baseline ...", file=sys.stderr, flush=True)
        baseline = measure([sys.executable, str(HERE / "baseline.py"), "--endpoint",
                            emulator.url, "--threads", str(threads)], env, emulator)
        print(f"[{name}] check, snapshot ...", file=sys.stderr, flush=True)
        checks = {}
        for label, who in (("owner", None), ("other_user", other)):
            cmd = [*IAMCHECK, "check", "--instance", instance, "--format", "json", *conn]
            if who is not None:
                cmd += ["--user", who["email"]]
            run = measure(cmd, env, emulator, workdir / f"{name}.check.json")
            run["verdict"] = json.loads((workdir / f"{name}.check.json").read_text())["verdict"]
            run["budget"] = 8 + user_groups(seed, who["iam_id"] if who else caller)
            checks[label] = run
        snap_path = workdir / f"{name}.snapshot.json"
        snapshot = measure([*IAMCHECK, "snapshot", "-o", str(snap_path), *conn], env, emulator)
    finally:
        emulator.stop()
    print(f"[{name}] audit --from-snapshot ...", file=sys.stderr, flush=True)
    offline = measure([*IAMCHECK, "audit", "--format", "json", "--from-snapshot",
                       str(snap_path)], env, stdout=workdir / f"{name}.offline.json")
    # the outputs' memory and size, from the snapshot: deciding and writing, no waiting
    outputs = {}
    for fmt in ("csv", "markdown") if name in CSV_SIZES else ("markdown",):
        print(f"[{name}] audit --format {fmt} --from-snapshot ...", file=sys.stderr, flush=True)
        out_path = workdir / f"{name}.offline.{fmt}"
        outputs[fmt] = measure([*IAMCHECK, "audit", "--format", fmt, "--from-snapshot",
                                str(snap_path)], env, stdout=out_path)
        text = out_path.read_text(encoding="utf-8")
        outputs[fmt]["characters"] = len(text)
        outputs[fmt]["lines"] = text.count("\n")
        out_path.unlink()
    data = load_snapshot(snap_path)
    chain = critical_chain(data)
    fewest = minimal_pages(data, "is", caller, len(VPC_REGIONS))  # GET /v1/regions lists all
    bound = max(audit["requests"] * latency_ms / 1000 / concurrency, chain * latency_ms / 1000)
    # the baseline's own bound: its calls, its threads, the latency (its chain is short)
    base_bound = baseline["requests"] * latency_ms / 1000 / threads
    return {
        "size": size, "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "account": {"users": len(data.users), "groups": len(data.groups),
                    "policies": len(data.policies), "instances": len(data.instances),
                    "memberships": len(data.memberships)},
        "audit": audit, "baseline": baseline, "check": checks, "snapshot": snapshot,
        "from_snapshot": offline, "csv_from_snapshot": outputs.get("csv"),
        "markdown_from_snapshot": outputs["markdown"], "audit_minimal_pages": fewest,
        "audit_lower_bound_s": round(bound, 3), "audit_chain_round_trips": chain,
        "baseline_lower_bound_s": round(base_bound, 3),
        "ratios": {
            "audit_wall_over_baseline": round(audit["wall_s"] / baseline["wall_s"], 3),
            "audit_wall_over_baseline_bound": round(audit["wall_s"] / base_bound, 3),
            "audit_requests_over_baseline": round(audit["requests"] / baseline["requests"], 3),
            "audit_wall_over_lower_bound": round(audit["wall_s"] / bound, 3),
            "audit_requests_over_minimal_pages": round(audit["requests"] / fewest, 3),
            # the snapshot reads every group's members, as the audit did before issue 17
            "audit_requests_over_every_group": round(audit["requests"] / snapshot["requests"], 3),
        },
    }


def table(results: dict[str, Any]) -> str:
    head = ["size", "audit s", "baseline s", "audit/base", "audit/base bound", "requests",
            "min pages", "snapshot req", "base req", "audit/bound", "check req/budget",
            "check cpu s", "json MiB", "csv MiB", "csv rows", "md chars"]
    rows = [head]
    for name, r in results["sizes"].items():
        check = r["check"]["owner"]
        rows.append([name, f"{r['audit']['wall_s']:.2f}", f"{r['baseline']['wall_s']:.2f}",
                     f"{r['ratios']['audit_wall_over_baseline']:.3f}",
                     f"{r['ratios']['audit_wall_over_baseline_bound']:.3f}",
                     str(r["audit"]["requests"]), str(r["audit_minimal_pages"]),
                     str(r["snapshot"]["requests"]), str(r["baseline"]["requests"]),
                     f"{r['ratios']['audit_wall_over_lower_bound']:.2f}",
                     f"{check['requests']}/{check['budget']}",
                     "/".join(f"{c['cpu_s']:.2f}" for c in r["check"].values()),
                     f"{r['from_snapshot']['peak_mib']:.0f}",
                     *((f"{csv['peak_mib']:.0f}", str(csv["lines"] - 1))
                       if (csv := r["csv_from_snapshot"]) else ("-", "-")),
                     str(r["markdown_from_snapshot"]["characters"])])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    helps = ", ".join(f"`iamcheck {k}` {v:.2f} s" for k, v in results["help_s"].items())
    return "\n".join([*lines, f"start-up (median of 5): {helps}",
                      "min pages: the formula's fewest requests; json/csv MiB: peak memory of "
                      "`audit --from-snapshot` in that format; check cpu s: owner/other user"])


def main() -> None:
    parser = argparse.ArgumentParser(description="iamcheck against the scripted baseline.")
    parser.add_argument("--sizes", default="small,medium,limit",
                        help=f"comma-separated, of: {', '.join(SIZES)}")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=8, help="iamcheck --concurrency")
    parser.add_argument("--threads", type=int, default=8, help="the baseline's threads")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    names = [n.strip() for n in args.sizes.split(",") if n.strip()]
    unknown = [n for n in names if n not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]}; known: {', '.join(SIZES)}")
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "kind": "iamcheck-bench", "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(), "latency_ms": args.latency_ms, "concurrency": args.concurrency,
        "baseline_threads": args.threads, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="iamcheck-bench-") as tmp:
        env = {**os.environ}
        results["help_s"] = help_times(env)
        for name in names:
            results["sizes"][name] = bench_size(name, args.latency_ms, args.concurrency,
                                                args.threads, Path(tmp))
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{started:%Y%m%dT%H%M%SZ}-{'-'.join(names)}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))
    print(f"figures: {path.relative_to(HERE.parent) if path.is_relative_to(HERE.parent) else path}")


if __name__ == "__main__":
    main()
