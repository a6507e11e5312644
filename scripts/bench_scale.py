#!/usr/bin/env python3
"""Samples a running glaneur crawl for scripts/bench-scale.sh, then charts the samples.

    bench_scale.py sample --pid PID --metrics URL --server-stats FILE --state FILE
                          --archive DIR --hosts H --rate R --interval 10 --csv OUT.csv
    bench_scale.py report OUT.csv [--svg OUT.svg] [--state FILE]
    bench_scale.py gaps CRAWL_LOG --rate R [--burst B] [--server-stats FILE]

`sample` reads every INTERVAL seconds, until the process ends: the process's CPU time
(utime + stime in /proc/PID/stat), its RSS and peak RSS (VmRSS, VmHWM in /proc/PID/status),
its counters at its Prometheus endpoint (pages, requests, queue length), the size of the
state (the SQLite file and its WAL), the bytes of the WARC files, the requests the site
answered (its stats file) and the load average; it writes one CSV row per sample.

`gaps` reads the crawler's own request starts (the crawl run with
GLANEUR_LOG=glaneur::request=trace, text logs) and prints, over every host, the distribution
of the gaps between a host's consecutive request starts in units of its interval 1/R, and
the windows of 1 s holding more requests than the host allows (violations as the crawler
sees them; with --server-stats, the site's own gap histogram next to it). Exit 1 if the
crawler started more than B requests in any 1/R * B window of a host.

`report` prints the medians of the steady part and the first-10 % / last-10 % ratios, the
state's bytes per known URL, and writes an SVG chart (one panel per measure).
"""
import argparse
import csv
import os
import sqlite3
import statistics
import sys
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
COLUMNS = ["t_s", "pages", "requests", "site_requests", "cpu_s", "rss_kib", "hwm_kib",
           "state_bytes", "warc_bytes", "queue", "violations", "load1",
           "pages_per_s", "cpu_ms_per_page", "rate_share", "articles"]


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_mem(pid):
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def metrics(url):
    values = {}
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("#") or " " not in line:
                    continue
                name, value = line.rsplit(" ", 1)
                if "{" not in name:
                    values[name] = float(value)
    except OSError:
        pass
    return values


def size_of(paths):
    total = 0
    for p in paths:
        try:
            total += os.path.getsize(p)
        except OSError:
            pass
    return total


def warc_bytes(folder):
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            if ".warc" in name:
                total += size_of([os.path.join(root, name)])
    return total


def kv_file(path):
    values = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    values[k] = v
    except OSError:
        pass
    return values


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def sample(a):
    allowed = a.hosts * a.rate
    start = time.monotonic()
    last = None
    with open(a.csv, "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(COLUMNS)
        while alive(a.pid):
            try:
                cpu = proc_cpu(a.pid)
                rss, hwm = proc_mem(a.pid)
            except OSError:
                break
            m = metrics(a.metrics)
            site = kv_file(a.server_stats)
            row = {
                "t_s": round(time.monotonic() - start, 2),
                "pages": int(m.get("glaneur_pages_total", 0)),
                "requests": int(m.get("glaneur_requests_total", 0)),
                "site_requests": int(site.get("requests", 0)),
                "cpu_s": round(cpu, 2),
                "rss_kib": rss,
                "hwm_kib": hwm,
                "state_bytes": size_of([a.state, a.state + "-wal"]),
                "warc_bytes": warc_bytes(a.archive),
                "queue": int(m.get("glaneur_queue_length", 0)),
                "violations": int(site.get("violations", 0)),
                "load1": float(open("/proc/loadavg").read().split()[0]),
                "articles": int(m.get("glaneur_article_records_total", 0)),
            }
            if last is not None:
                dt = max(row["t_s"] - last["t_s"], 1e-6)
                dp = row["pages"] - last["pages"]
                row["pages_per_s"] = round(dp / dt, 1)
                row["cpu_ms_per_page"] = (round(1000 * (row["cpu_s"] - last["cpu_s"]) / dp, 3)
                                          if dp > 0 else "")
                row["rate_share"] = round((row["site_requests"] - last["site_requests"])
                                          / dt / allowed, 4)
            else:
                row.update(pages_per_s="", cpu_ms_per_page="", rate_share="")
            w.writerow([row[c] for c in COLUMNS])
            out.flush()
            last = row
            # sleep to the next multiple of the interval, waking early if the crawl ends
            deadline = start + (int((time.monotonic() - start) / a.interval) + 1) * a.interval
            while time.monotonic() < deadline and alive(a.pid):
                time.sleep(0.2)


def load(path):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            rows.append({k: (float(v) if v not in ("", None) else None) for k, v in r.items()})
    return rows


def steady(rows):
    """The samples of the steady part: from the second full interval to the last full one
    (the first interval holds the start, robots.txt and the dictionary; the last one is cut
    short by the end of the crawl)."""
    full = [r for r in rows[1:] if r["pages_per_s"] is not None]
    return full[1:-1] if len(full) > 3 else full


def article_phase(rows):
    """The steady samples whose pages were nearly all articles (>= 90 %). The frontier
    claims articles before listings, so a crawl that runs to its end spends its last
    part on listing pages, which are not extracted: cheaper per page, whatever the
    crawl's size. Comparing the first and last tenths of this phase compares like with
    like. Empty when the CSV has no article counts (older runs)."""
    out, last = [], None
    for r in rows:
        if last is not None and r.get("articles") is not None and last.get("articles") is not None:
            pages = r["pages"] - last["pages"]
            if pages > 0 and (r["articles"] - last["articles"]) / pages >= 0.9:
                out.append(r)
        last = r
    return steady(out) if len(out) > 3 else out


def tenths(rows):
    n = max(1, round(len(rows) / 10))
    return rows[:n], rows[-n:]


def median(rows, key):
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else float("nan")


def known_urls(state):
    try:
        db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
        n = db.execute("SELECT count(*) FROM urls").fetchone()[0]
        db.close()
        return n
    except sqlite3.Error:
        return 0


def report(a):
    rows = load(a.csv)
    if len(rows) < 2:
        print("not enough samples", file=sys.stderr)
        return 1
    s = steady(rows)
    first, last = tenths(s)
    end = rows[-1]
    print(f"samples: {len(rows)} every ~{rows[1]['t_s'] - rows[0]['t_s']:.0f}s, steady: {len(s)}")
    print("| measure | steady median | first 10 % | last 10 % | last / first |")
    print("|---|---:|---:|---:|---:|")
    for key, label in [("pages_per_s", "pages/s"), ("cpu_ms_per_page", "CPU-ms/page"),
                       ("rate_share", "share of the allowed rate"), ("rss_kib", "RSS MiB"),
                       ("load1", "load average (1 min)")]:
        scale = 1 / 1024 if key == "rss_kib" else 1
        f, l, m = median(first, key) * scale, median(last, key) * scale, median(s, key) * scale
        ratio = l / f if f else float("nan")
        print(f"| {label} | {m:.3f} | {f:.3f} | {l:.3f} | {ratio:.3f} |")
    phase = article_phase(rows)
    if phase:
        f, l = (median(t, "cpu_ms_per_page") for t in tenths(phase))
        pf, pl = (median(t, "pages_per_s") for t in tenths(phase))
        print(f"article phase ({len(phase)} samples, >= 90 % articles): CPU-ms/page first 10 % "
              f"{f:.3f}, last 10 % {l:.3f}, last / first {l / f:.3f}; pages/s {pf:.1f} -> "
              f"{pl:.1f}, last / first {pl / pf:.3f}")
    print(f"pages={int(end['pages'])} requests={int(end['requests'])} "
          f"cpu_s={end['cpu_s']:.1f} wall_s={end['t_s']:.0f}")
    print(f"cpu_ms_per_page_overall={1000 * end['cpu_s'] / max(end['pages'], 1):.3f}")
    print(f"peak_rss_mib={max(r['hwm_kib'] for r in rows) / 1024:.1f}")
    print(f"violations={int(end['violations'])}")
    print(f"warc_bytes={int(end['warc_bytes'])}")
    if a.state:
        n = known_urls(a.state)
        size = size_of([a.state, a.state + "-wal"])
        if n:
            print(f"known_urls={n} state_bytes={size} state_bytes_per_url={size / n:.0f}")
    if a.svg:
        chart(rows, a.svg, a.title or os.path.basename(a.csv))
        print(f"chart: {a.svg}")
    return 0


PANELS = [("pages_per_s", "pages/s", 1), ("cpu_ms_per_page", "CPU-ms/page", 1),
          ("rate_share", "share of allowed rate", 1), ("rss_kib", "RSS MiB", 1 / 1024),
          ("state_bytes", "state MiB", 1 / 2**20), ("warc_bytes", "WARC MiB", 1 / 2**20),
          ("queue", "frontier queue", 1), ("load1", "load average", 1)]


def chart(rows, path, title):
    """One small line chart per measure, against time, in one SVG file."""
    w, h, cols, pad = 360, 170, 2, 44
    n_rows = (len(PANELS) + cols - 1) // cols
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{cols * w}" height="{n_rows * h + 30}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="8" y="18" font-size="13">{escape(title)}</text>']
    tmax = max(r["t_s"] for r in rows) or 1
    for i, (key, label, scale) in enumerate(PANELS):
        ox, oy = (i % cols) * w, 30 + (i // cols) * h
        pts = [(r["t_s"], r[key] * scale) for r in rows if r[key] is not None]
        vmax = max([v for _, v in pts] + [1e-9]) * 1.1
        x0, y0, x1, y1 = ox + pad, oy + 18, ox + w - 10, oy + h - 24
        out.append(f'<text x="{ox + pad}" y="{oy + 12}">{escape(label)}</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" '
                   f'fill="none" stroke="#999"/>')
        for frac in (0, 0.5, 1):
            y = y1 - frac * (y1 - y0)
            out.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end">'
                       f'{fmt(frac * vmax)}</text>')
        out.append(f'<text x="{x0}" y="{y1 + 14}">0 s</text>')
        out.append(f'<text x="{x1}" y="{y1 + 14}" text-anchor="end">{tmax:.0f} s</text>')
        if pts:
            line = " ".join(f"{x0 + t / tmax * (x1 - x0):.1f},{y1 - v / vmax * (y1 - y0):.1f}"
                            for t, v in pts)
            out.append(f'<polyline points="{line}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def fmt(v):
    return f"{v:.3g}" if v < 1000 else f"{v:,.0f}"


def escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def request_starts(path):
    """Per host, the sorted start times (s) of the requests in a crawl's trace log."""
    from datetime import datetime
    starts = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        parts = line.split()
        if len(parts) < 4 or parts[1] != "TRACE" or parts[2] != "start":
            continue
        stamp = parts[0].rstrip("Z")
        if "." in stamp:
            head, frac = stamp.split(".", 1)
            stamp = f"{head}.{frac[:6]}"
        t = datetime.fromisoformat(stamp).timestamp()
        starts.setdefault(parts[3], []).append(t)
    for times in starts.values():
        times.sort()
    return starts


def gaps(a):
    starts = request_starts(a.log)
    interval = 1.0 / a.rate
    burst = max(1, a.burst)
    all_gaps = []
    too_many = 0
    for times in starts.values():
        all_gaps += [(b - t) / interval for t, b in zip(times, times[1:])]
        # more than `burst` starts within burst intervals (the limiter's promise)
        for i in range(burst, len(times)):
            if times[i] - times[i - burst] < interval * burst - 1e-4:
                too_many += 1
    if not all_gaps:
        print("no request starts in the log (run the crawl with GLANEUR_LOG=glaneur::request=trace)")
        return 1
    all_gaps.sort()
    n = len(all_gaps)
    q = lambda p: all_gaps[min(n - 1, int(p * n))]
    print(f"hosts={len(starts)} requests={n + len(starts)} gaps={n} interval_s={interval:.3f}")
    print("gap / interval: min={:.4f} p1={:.4f} p10={:.4f} median={:.4f} p90={:.4f} max={:.2f}".format(
        all_gaps[0], q(0.01), q(0.10), q(0.5), q(0.9), all_gaps[-1]))
    edges = [0.5, 0.9, 0.99, 0.999, 1.0, 1.01, 1.1, 1.5, 2.0]
    counts = [0] * (len(edges) + 1)
    for g in all_gaps:
        counts[sum(1 for e in edges if g >= e)] += 1
    labels = [f"<{edges[0]}"] + [f"[{lo},{hi})" for lo, hi in zip(edges, edges[1:])] + [f">={edges[-1]}"]
    print("| gap / interval | gaps |\n|---|---:|")
    for label, c in zip(labels, counts):
        print(f"| {label} | {c} |")
    print(f"crawler_violations={too_many} (more than {burst} starts within {burst} x {interval:.3f} s)")
    if a.server_stats:
        site = kv_file(a.server_stats)
        keys = sorted(k for k in site if k.startswith("gap_"))
        print("site: " + " ".join(f"{k}={site[k]}" for k in ["requests", "violations", "strict_violations", "min_gap_ms"] + keys if k in site))
    return 1 if too_many else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--metrics", required=True)
    s.add_argument("--server-stats", required=True)
    s.add_argument("--state", required=True)
    s.add_argument("--archive", required=True)
    s.add_argument("--hosts", type=int, required=True)
    s.add_argument("--rate", type=float, required=True)
    s.add_argument("--interval", type=float, default=10)
    s.add_argument("--csv", required=True)
    r = sub.add_parser("report")
    r.add_argument("csv")
    r.add_argument("--svg")
    r.add_argument("--state")
    r.add_argument("--title")
    g = sub.add_parser("gaps")
    g.add_argument("log")
    g.add_argument("--rate", type=float, required=True)
    g.add_argument("--burst", type=int, default=1)
    g.add_argument("--server-stats")
    a = p.parse_args()
    if a.command == "gaps":
        return gaps(a)
    if a.command == "sample":
        sample(a)
        return 0
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
