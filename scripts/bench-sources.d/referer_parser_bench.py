"""Times Python's referer-parser (Snowplow's database) on the benchmark corpus.

Reads the JSON lines written by `cargo run --example corpus -p sma-sources` and
classifies every (url, referrer) pair with referer_parser.Referer, the way sma-sources
classifies them in its criterion bench. Prints `python_per_second=<n>` (best of
--runs) and the medium counts, so a run also shows what the peer made of the corpus.
"""

import argparse
import collections
import json
import time

from referer_parser import Referer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with open(args.corpus, encoding="utf-8") as f:
        pairs = [(row["url"], row["referrer"] or "") for row in map(json.loads, f)]

    best = float("inf")
    mediums = collections.Counter()
    for _ in range(args.runs):
        mediums.clear()
        start = time.perf_counter()
        for url, referrer in pairs:
            mediums[Referer(referrer, url).medium] += 1
        best = min(best, time.perf_counter() - start)

    print(f"python_pairs={len(pairs)}")
    print(f"python_seconds={best:.6f}")
    print(f"python_per_second={len(pairs) / best:.0f}")
    print("python_mediums=" + ",".join(f"{m}:{n}" for m, n in sorted(mediums.items(), key=str)))


if __name__ == "__main__":
    main()
