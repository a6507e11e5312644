#!/usr/bin/env python3
"""usage: check_rate.py ACCESS_LOG RATE — fails if more than RATE requests fall in any
one-second window of nginx's access log (its $msec field, see shared/testsite/serve.sh)."""
import re
import sys

times = []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r"\] (\d+\.\d+) \"", line)
    if m:
        times.append(float(m.group(1)))
times.sort()
rate = int(sys.argv[2])
worst = 0
j = 0
for i, t in enumerate(times):
    while times[j] <= t - 1.0:
        j += 1
    worst = max(worst, i - j + 1)
print(f"{len(times)} requests, at most {worst} in any one-second window (limit {rate})")
sys.exit(0 if worst <= rate and len(times) > rate else 1)
