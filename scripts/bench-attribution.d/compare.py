"""Compares our Markov removal effect with ChannelAttribution's simulated one, at
every order from 1 to 4.

Usage: compare.py <dir> <ours.txt> [--quick] [--orders 1,2,3,4]

<dir> holds paths.csv (ChannelAttribution's input layout) and ours-order-K.csv, and
<ours.txt> our timings (`ours_markov_order_K_seconds=`), all written by the crate's
`markov_paths` example from the same generated paths.

ChannelAttribution estimates removal effects by simulating journeys on the transition
matrix. It stops when, over `nfold` (10) repetitions, every repetition's summed absolute
deviation from the per-channel median, divided by the total conversions, is below
`conv_par`, and returns the repetition closest to the median. That L1 figure is the
precision it claims, so it is our tolerance: at the default conv_par (5%) its result
must be within 5% (L1 / total conversions) of our exact one, for conversions and for
value, at each order. Then, unless --quick, order 1 runs again at conv_par 1% and
must come within 1%:
the simulation converging onto the exact answer is the real check. A per-channel
bound would have to be far looser: a small channel rests on a few hundred simulated
conversions, and its estimate moves by 10-20% from run to run.
"""

import contextlib
import io
import sys
import time

import pandas as pd

with contextlib.redirect_stdout(io.StringIO()):  # its import prints an advert
    from ChannelAttribution import markov_model


def run(data, conv_par, order):
    start = time.perf_counter()
    result = markov_model(
        data,
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        var_null="total_null",
        order=order,
        conv_par=conv_par,
        verbose=False,
        flg_pro=False,
    )
    return result, time.perf_counter() - start


def l1(merged, column):
    ours, theirs = merged[column + "_ours"], merged[column + "_theirs"]
    return (theirs - ours).abs().sum() / ours.sum()


def check(ours, theirs, conv_par, label):
    merged = ours.merge(theirs, on="channel_name", suffixes=("_ours", "_theirs"))
    if len(merged) != len(ours) or len(merged) != len(theirs):
        sys.exit(f"{label}: the two results do not list the same channels")
    errors = {c: l1(merged, c) for c in ("total_conversions", "total_conversion_value")}
    for column, error in errors.items():
        verdict = "ok" if error <= conv_par else "FAIL"
        print(f"{label}: {column} L1/total = {error:.4f} (tolerance {conv_par}) {verdict}")
    return merged, all(e <= conv_par for e in errors.values())


def main():
    directory, timings = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv[3:]
    orders = [1, 2, 3, 4]
    if "--orders" in sys.argv:
        orders = [int(o) for o in sys.argv[sys.argv.index("--orders") + 1].split(",")]
    ours_seconds = {}
    with open(timings) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key.startswith("ours_markov_order_"):
                ours_seconds[int(key.split("_")[3])] = float(value)
    data = pd.read_csv(f"{directory}/paths.csv", sep=";")

    ok = True
    summary = []
    for order in orders:
        ours = pd.read_csv(f"{directory}/ours-order-{order}.csv", sep=";")
        theirs, their_seconds = run(data, 0.05, order)
        merged, order_ok = check(ours, theirs, 0.05, f"order {order}, conv_par=0.05")
        ok = ok and order_ok
        if order == 1:
            print()
            print(merged.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
            print()
        summary.append((order, their_seconds, ours_seconds[order]))

    print()
    print("order  ChannelAttribution markov_model  sma markov_credit  ratio")
    for order, theirs, ours in summary:
        # The ratio of the times as printed, so that it can be checked from them.
        theirs, ours = round(theirs, 3), round(ours, 3)
        print(f"{order:>5}  {theirs:>29.3f} s  {ours:>14.3f} s  {theirs / ours:>5.1f}x")

    if not quick and 1 in orders:
        tight, tight_seconds = run(data, 0.01, 1)
        print()
        print(f"ChannelAttribution order 1, conv_par=0.01 took {tight_seconds:.1f} s")
        ours = pd.read_csv(f"{directory}/ours-order-1.csv", sep=";")
        _, tight_ok = check(ours, tight, 0.01, "order 1, conv_par=0.01")
        ok = ok and tight_ok
    if not ok:
        sys.exit("our Markov result does not match ChannelAttribution")


if __name__ == "__main__":
    main()
