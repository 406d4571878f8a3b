"""Times GET /api/report against a running `sma serve`: every model and range
given, REPEAT requests each, and prints p50 / p99 / max in ms per (model, range).

Usage: time_reports.py URL TOKEN REPEAT TIMEOUT_S RANGE... where a RANGE is
FROM:TO (ISO dates, TO exclusive) or `all` (no bounds). Models: MODELS
(comma-separated, default every rule model and markov)."""

import json
import os
import sys
import time
import urllib.error
import urllib.request

url, token, repeat, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ranges = sys.argv[5:] or ["all"]
models = os.environ.get(
    "MODELS",
    "first,last,last_non_direct,linear,time_decay,position,markov",
).split(",")


def get(path):
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        body = json.load(answer)
    return (time.perf_counter() - started) * 1000, body


def percentile(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, int(round(p / 100 * (len(sorted_ms) - 1))))]


for period in ranges:
    query = "" if period == "all" else "&from={}&to={}".format(*period.split(":"))
    for model in models:
        times, conversions = [], None
        for _ in range(repeat):
            try:
                ms, body = get(f"/api/report?model={model}{query}")
            except urllib.error.HTTPError as e:
                if e.code != 503:
                    sys.exit(f"{model} {period}: HTTP {e.code}: {e.read().decode(errors='replace')}")
                print(f"  {model:>16} {period:>23}: 503, past the server's request deadline")
                break
            except (TimeoutError, urllib.error.URLError) as e:
                print(f"  {model:>16} {period:>23}: no answer within {timeout:.0f} s ({e})")
                break
            times.append(ms)
            conversions = body["total"]["conversions"]
        if times:
            times.sort()
            print(
                f"  {model:>16} {period:>23}: p50 {percentile(times, 50):9.1f} ms, "
                f"p99 {percentile(times, 99):9.1f} ms, max {times[-1]:9.1f} ms "
                f"({len(times)} requests, {conversions:.0f} conversions)"
            )
