#!/usr/bin/env python3
"""Crawl benchmark: newsvault against the Scrapy peer on the standard workload, same run, same pinning.

    python bench/crawl_bench.py --n 2000 [--n 10000] [--peers newsvault,scrapy] [--extras] [--repeat 3]

Uses the shared workload and tools in ../shared/bench (make_workload.py, serve.sh, the Scrapy peer and
measure.py): builds the workload if missing, starts nginx pinned to CPU 1, runs each crawler pinned to
CPU 0 under /usr/bin/time -v, checks newsvault's archive (every page and image stored exactly once,
extracted fields present, image sizes true, one server request per URL plus one robots.txt per host)
and prints one table with the ratio to Scrapy. ``--extras`` also times, on the finished archive, a
second crawl (nothing to do), the Markdown and JSON Lines exports and a refresh where every image
answers 304 (see ``extras``); ``--extras-only`` times just those, on the archive an earlier run left.
It installs what it needs (nginx and /usr/bin/time from Debian, Scrapy in its own venv).

``--peers newsvault,newsvault-pool`` adds a row for extraction in worker processes
(``--extract-processes N``): that crawler may use every core, so compare its wall time and pages/s,
not its CPU per page, which the copies to and from the workers raise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
DATA = Path(os.environ.get("BENCH_DATA", "/tmp/bench-data"))
PEER_VENV = Path(os.environ.get("VENV", "/tmp/bench-venv"))
STATUS_URL = "http://127.0.0.1:8080/__nginx_status"
NEWSVAULT = Path(sys.executable).with_name("newsvault")
POOLED = "newsvault-pool"
RECENTLY_DELETED_S = 65  # ext4 (without a journal, as here) passes over inodes freed in the last 60 s


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def ensure_tools() -> None:
    missing = [t for t in ("nginx", "taskset", "curl") if shutil.which(t) is None]
    if missing or not Path("/usr/bin/time").exists():
        print(f"installing nginx, time, curl (missing: {missing})", flush=True)
        run(["apt-get", "update", "-qq"])
        run(["apt-get", "install", "-y", "-qq", "nginx", "time", "curl", "util-linux"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    python = PEER_VENV / "bin" / "python"
    ready = python.exists() and subprocess.run([str(python), "-c", "import scrapy, PIL, yaml"]).returncode == 0
    if not ready:
        print(f"creating the peer venv {PEER_VENV}", flush=True)
        run([sys.executable, "-m", "venv", str(PEER_VENV)])
        run([str(PEER_VENV / "bin" / "pip"), "install", "-q", "-r", str(SHARED / "requirements.txt")])


def compile_bytecode() -> None:
    """Give newsvault's own modules their bytecode, as ``pip install .`` does and the Scrapy peer's venv has.

    An editable install run with PYTHONDONTWRITEBYTECODE set would otherwise compile every module from
    source on each run, a fixed cost no installed copy pays.
    """
    code = "import crawler, storage; print(crawler.__path__[0]); print(storage.__path__[0])"
    where = run([sys.executable, "-c", code], capture_output=True).stdout.split()
    run([sys.executable, "-m", "compileall", "-q", *where], stdout=subprocess.DEVNULL)


def ensure_workload(n: int) -> dict[str, object]:
    manifest = DATA / "manifest.json"
    if manifest.exists():
        current = json.loads(manifest.read_text())
        if current.get("n_seeds") == n and current.get("complete") and (DATA / "www").exists():
            return current
    print(f"building the workload for N={n} in {DATA}", flush=True)
    run([str(PEER_VENV / "bin" / "python"), str(SHARED / "make_workload.py"), "--n", str(n), "--seed", "1",
         "--out", str(DATA), "--www-store", f"/dev/shm/{DATA.name}-www"], stdout=subprocess.DEVNULL)
    return json.loads(manifest.read_text())


def serve(action: str) -> None:
    env = {**os.environ, "BENCH_DATA": str(DATA), "NGINX_CPU": "1"}
    subprocess.run(["bash", str(SHARED / "serve.sh"), action], env=env, check=action == "start",
                   stdout=subprocess.DEVNULL)


def nginx_requests() -> int:
    with urllib.request.urlopen(STATUS_URL, timeout=5) as response:
        return int(response.read().decode().splitlines()[2].split()[2])


def timed(cmd: list[str], *, pinned: bool = True) -> dict[str, float]:
    """Wall, CPU (user+sys) and peak RSS of ``cmd``, pinned to CPU 0, with the server's request count."""
    with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as handle:
        report = handle.name
    full = ["/usr/bin/time", "-v", "-o", report] + (["taskset", "-c", "0"] if pinned else []) + cmd
    before = nginx_requests()
    start = time.perf_counter()
    done = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    requests = nginx_requests() - before - 1
    values: dict[str, float] = {"wall_s": wall, "rc": done.returncode, "server_requests": requests}
    for line in Path(report).read_text().splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key == "User time (seconds)":
            values["user_s"] = float(value)
        elif key == "System time (seconds)":
            values["sys_s"] = float(value)
        elif key == "Maximum resident set size (kbytes)":
            values["rss_mb"] = int(value) / 1024
    Path(report).unlink()
    values["cpu_s"] = values.get("user_s", 0.0) + values.get("sys_s", 0.0)
    if done.returncode not in (0, 1):
        print(done.stderr[-2000:], file=sys.stderr)
    return values


def check_archive(db: Path, manifest: dict[str, object]) -> dict[str, object]:
    """newsvault's archive against the workload: every URL once, fields present, true image sizes."""
    expected_pages = set((DATA / "pages.txt").read_text().split())
    truth = {}
    for line in (DATA / "images.tsv").read_text().splitlines()[1:]:
        url, w, h, dw, dh = line.split("\t")
        truth[url] = (int(w), int(h), int(dw), int(dh))
    with sqlite3.connect(db) as conn:
        pages = dict(conn.execute(
            "SELECT u.url, (p.title IS NOT NULL AND p.description IS NOT NULL AND p.authors != '[]' AND "
            "p.published_at IS NOT NULL AND p.canonical_url IS NOT NULL AND p.site_name IS NOT NULL AND "
            "p.language IS NOT NULL AND p.lead_image_url IS NOT NULL AND p.topics != '[]' AND p.text != '') "
            "FROM urls u JOIN pages p ON p.url_id = u.id WHERE u.state = 'done'"
        ))
        images = {url: (w, h) for url, w, h in conn.execute(
            "SELECT u.url, i.width, i.height FROM urls u JOIN images i ON i.url_id = u.id WHERE u.state = 'done'")}
        not_done = conn.execute("SELECT count(*) FROM urls WHERE state != 'done'").fetchone()[0]
        hosts = conn.execute("SELECT count(*) FROM robots").fetchone()[0]
        twice = conn.execute("SELECT count(*) FROM (SELECT url_id FROM fetches WHERE error IS NULL "
                             "GROUP BY url_id HAVING count(*) > 1)").fetchone()[0]
    dims_true = sum(1 for url, wh in images.items() if url in truth and wh == truth[url][:2])
    differ = sum(1 for url, wh in images.items() if url in truth and wh != truth[url][2:])
    result = {
        "pages": len(pages), "images": len(images), "fields_complete": sum(pages.values()),
        "pages_missing": len(expected_pages - set(pages)), "images_missing": len(set(truth) - set(images)),
        "not_done": not_done, "fetched_twice": twice, "robots_hosts": hosts,
        "dims_true": dims_true, "dims_differ_from_seed": differ,
    }
    result["ok"] = (not result["pages_missing"] and not result["images_missing"] and not not_done
                    and not twice and sum(pages.values()) == len(pages) and dims_true == len(images)
                    and differ == manifest["dim_mismatch_images"])
    return result


def crawl_newsvault(n: int, manifest: dict[str, object], *, processes: int = 0) -> dict[str, object]:
    """``processes`` > 0: extraction in that many worker processes, and the crawler on every core."""
    archive = DATA / "out" / "newsvault"
    shutil.rmtree(archive, ignore_errors=True)
    os.sync()  # the last run's deleted gigabyte is not flushed and discarded on this run's clock
    workers = ["--extract-processes", str(processes)] if processes else []
    row = timed([str(NEWSVAULT), "crawl", str(DATA / "seeds"), "--archive", str(archive),
                 "--allow-private-networks", "--progress", "off", "--concurrency", "64", "--per-host", "8",
                 *workers], pinned=not processes)
    check = check_archive(archive / "newsvault.sqlite", manifest)
    expected = int(manifest["unique_pages"]) + int(manifest["unique_images"]) + int(check["robots_hosts"])
    row.update(pages=check["pages"], images=check["images"], check=check,
               ok=bool(check["ok"]) and row["server_requests"] == expected and row["rc"] == 0)
    return row


def crawl_scrapy(manifest: dict[str, object]) -> dict[str, object]:
    out = DATA / "out" / "scrapy"
    shutil.rmtree(out, ignore_errors=True)
    os.sync()
    row = timed([str(PEER_VENV / "bin" / "python"), str(SHARED / "peers" / "scrapy_spider.py"),
                 "--seeds", str(DATA / "seeds"), "--out", str(out)])
    check = subprocess.run([str(PEER_VENV / "bin" / "python"), str(SHARED / "check_outputs.py"), "--data", str(DATA),
                            "--kind", "scrapy", "--out", str(out)], capture_output=True, text=True)
    result = json.loads(check.stdout.strip().splitlines()[-1])
    expected = int(manifest["unique_pages"]) + int(manifest["unique_images"])
    row.update(pages=result.get("pages_unique", 0), images=result.get("images_unique", 0), check=result,
               ok=bool(result.get("ok")) and row["server_requests"] == expected)
    return row


def remove_exports() -> None:
    """Delete the last run's exports, so the first exports write every file and image anew.

    Done before the crawls, not just before the exports: ext4 skips inodes freed in the last minute or
    so when it allocates new ones, and creating 25,000 image files right after deleting 25,000 others
    spent more than twice the CPU in the kernel's inode search (measured: a first export 8 -> 17 s).
    """
    out = DATA / "out"
    for old in [*out.glob("md*"), *out.glob("jsonl*"), out / "images", out / "export.jsonl"]:
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
    os.sync()


# (what, command after the archive option, count for the rate, pinned to CPU 0)
Step = tuple[str, list[str], int, bool]


def extra_steps(manifest: dict[str, object], round_number: int) -> list[Step]:
    """The timed steps of one round, each first export into folders of its own round."""
    articles = int(manifest["unique_pages"])
    images = int(manifest["unique_images"])
    out = DATA / "out"

    def export(fmt: str, folder: str) -> list[str]:
        target = out / f"{folder}-{round_number}"
        return ["export", "--format", fmt, "--out", str(target / "export.jsonl" if fmt == "jsonl" else target)]

    return [
        ("crawl again (nothing to do)", ["crawl", str(DATA / "seeds"), "--allow-private-networks",
                                        "--progress", "off"], 0, True),
        ("export --format markdown (first, with images)", export("markdown", "md"), articles, False),
        ("export --format markdown (again, unchanged)", export("markdown", "md"), articles, False),
        ("export --format jsonl (first, with images)", export("jsonl", "jsonl"), articles, False),
        ("export --format jsonl (again, images there)", export("jsonl", "jsonl"), articles, False),
        ("export --format markdown (first, one core)", export("markdown", "md1"), articles, True),
        ("export --format jsonl (first, one core)", export("jsonl", "jsonl1"), articles, True),
        ("refresh-images (all 304)", ["refresh-images", "--allow-private-networks", "--progress", "off",
                                      "--concurrency", "64", "--per-host", "8"], images, True),
    ]


def extras(manifest: dict[str, object], rounds: int) -> list[tuple[str, float, float, str, list[float]]]:
    """Timings on the finished archive, best (least wall) of ``rounds``: (what, wall s, CPU s, rate, all walls).

    The exports run unpinned: with a second core free they write the image files in a worker process
    (storage.export_images); the "one core" rows pin them to CPU 0, where they write them in-process.
    The crawl and refresh stay pinned like the crawl (nginx has CPU 1). The page cache is flushed
    before each step (``sync``, not timed): an export writes about 1.4 GB at N = 10,000, and without
    it the next step ran while the kernel was still writing the last one's files to this VM's disk, and
    was throttled for it (first exports then took up to three times as long, waiting, not computing).
    """
    archive = DATA / "out" / "newsvault"
    best: dict[str, dict[str, float]] = {}
    walls: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for round_number in range(1, rounds + 1):
        for label, args, count, pinned in extra_steps(manifest, round_number):
            os.sync()
            row = timed([str(NEWSVAULT), *args, "--archive", str(archive)], pinned=pinned)
            if row["rc"] not in (0, 1):
                label += f" (exit {row['rc']:.0f})"
            walls.setdefault(label, []).append(row["wall_s"])
            counts[label] = count
            if label not in best or row["wall_s"] < best[label]["wall_s"]:
                best[label] = row
    return [(label, row["wall_s"], row["cpu_s"],
             f"{counts[label] / row['wall_s']:,.0f}/s" if counts[label] else "-", walls[label])
            for label, row in best.items()]


def _cpu_ms_per_page(row: dict[str, object]) -> float:
    return float(row["cpu_s"]) * 1000 / max(1, int(row["pages"]))  # type: ignore[arg-type]


def best_run(runs: list[dict[str, object]]) -> dict[str, object]:
    """The run that spent the least CPU per page (timeit's rule: noise only ever adds), ok only if all were."""
    best = dict(min(runs, key=_cpu_ms_per_page))
    best["ok"] = all(bool(run["ok"]) for run in runs)
    return best


def spread(runs: dict[str, list[dict[str, object]]]) -> str:
    return "CPU-ms/page over the runs (the table shows each crawler's least): " + "; ".join(
        f"{peer} " + ", ".join(f"{_cpu_ms_per_page(run):.3f}" for run in done) for peer, done in runs.items())


def table(n: int, rows: dict[str, dict[str, object]]) -> str:
    lines = [f"N = {n:,}",
             "| crawler | pages/s | images/s | wall s | CPU s | CPU-ms/page | peak RSS MB | server reqs | check | "
             "CPU-ms/page vs Scrapy |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    scrapy = rows.get("scrapy")
    for name, row in rows.items():
        wall, cpu, pages = float(row["wall_s"]), float(row["cpu_s"]), max(1, int(row["pages"]))  # type: ignore[arg-type]
        per_page = cpu * 1000 / pages
        ratio = ""
        if scrapy and name != "scrapy":
            ratio = f"{per_page / (float(scrapy['cpu_s']) * 1000 / max(1, int(scrapy['pages']))):.2f}x"  # type: ignore[arg-type]
        lines.append(f"| {name} | {pages / wall:,.1f} | {int(row['images']) / wall:,.1f} | {wall:.1f} | {cpu:.1f} | "  # type: ignore[arg-type]
                     f"{per_page:.3f} | {float(row['rss_mb']):.0f} | {row['server_requests']} | "  # type: ignore[arg-type]
                     f"{'ok' if row['ok'] else 'FAILED'} | {ratio} |")
    return "\n".join(lines)


def print_extras(manifest: dict[str, object], rounds: int) -> None:
    print(f"\n| on the finished archive (best of {rounds}) | wall s | CPU s | rate | wall s of every run |\n"
          "|---|---:|---:|---:|---|")
    for label, wall, cpu_s, rate, every in extras(manifest, rounds):
        print(f"| {label} | {wall:.2f} | {cpu_s:.2f} | {rate} | {', '.join(f'{w:.2f}' for w in every)} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="seed count (repeatable; default 2000)")
    parser.add_argument("--peers", default="newsvault,scrapy",
                        help=f"any of newsvault, scrapy and {POOLED} (newsvault with --extract-processes, unpinned)")
    parser.add_argument("--extract-processes", type=int, default=1, metavar="N",
                        help=f"extraction workers of the {POOLED} row (default 1)")
    parser.add_argument("--extras", action="store_true", help="also time no-op crawl, exports and refresh")
    parser.add_argument("--extras-only", action="store_true",
                        help="time only the extras, on the archive an earlier run of this bench left for N")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the crawlers (and the extras) in turn this many times and keep each one's least "
                             "CPU per page (least wall time) (a shared or virtual machine's neighbours only ever "
                             "add time)")
    args = parser.parse_args()
    ensure_tools()
    compile_bytecode()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
          f"Python {platform.python_version()}; nginx pinned to CPU 1, crawlers to CPU 0")
    for n in args.n or [2000]:
        manifest = ensure_workload(n)
        if args.extras or args.extras_only:
            remove_exports()
        serve("stop")
        serve("start")
        try:
            if args.extras_only:
                if not (DATA / "out" / "newsvault" / "newsvault.sqlite").exists():
                    raise SystemExit(f"--extras-only: no archive in {DATA / 'out' / 'newsvault'}; run with --extras")
                time.sleep(RECENTLY_DELETED_S)  # see remove_exports: no crawl runs in between here
                print_extras(manifest, args.repeat)
                continue
            runs: dict[str, list[dict[str, object]]] = {peer: [] for peer in args.peers.split(",")}
            for round_number in range(1, args.repeat + 1):
                for peer, done in runs.items():
                    print(f"running {peer} (N={n}, run {round_number} of {args.repeat}) ...", flush=True)
                    if peer == "scrapy":
                        row = crawl_scrapy(manifest)
                    else:
                        row = crawl_newsvault(n, manifest, processes=args.extract_processes if peer == POOLED else 0)
                    if not row["ok"]:
                        print(json.dumps(row["check"]), file=sys.stderr)
                    done.append(row)
            rows = {peer: best_run(done) for peer, done in runs.items()}
            print(table(n, rows))
            if args.repeat > 1:
                print(spread(runs))
            if args.extras and "newsvault" in rows:
                print_extras(manifest, args.repeat)
        finally:
            serve("stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
