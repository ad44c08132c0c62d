#!/usr/bin/python3
"""Summary and plot of a bench_peers run (its --json lines).

usage: plot_peers.py RUN.json [--png OUT.png] [--md OUT.md]

Prints (and writes to --md) the acceptance summary of the cost-model issue:
  - Auto against the oracle (the fastest of our own methods in the same run), for the
    profile in use (the real Auto call), and for the built-in and the fresh profile
    (their choice, timed as that method's measured time);
  - Auto against the fastest peer at the same thread count: share of cases won and
    the geometric-mean speed-up, and the cases a peer won.
The PNG has one panel per rank: signal size against kernel taps, each case drawn as
the method that was fastest (colour of the filled marker) and the method the model
predicted fastest (colour of the ring around it).
"""
import json
import math
import statistics
import sys

COLORS = {"direct": "tab:blue", "fft": "tab:red", "overlap_add": "tab:green", "separable": "tab:purple"}
OURS = ["direct", "fft", "overlap_add"]


def numel(s):
    return math.prod(int(v) for v in s.strip("(),").replace(",", " ").split())


def main():
    args = sys.argv[1:]
    path = args[0]
    png = args[args.index("--png") + 1] if "--png" in args else None
    md = args[args.index("--md") + 1] if "--md" in args else None
    rows = [json.loads(l) for l in open(path) if l.strip()]
    out = []

    def say(s=""):
        out.append(s)
        print(s)

    def oracle(r):
        return min(r["t"][m] for m in OURS if m in r["t"])

    def peers(r):
        # Every peer timed at the run's thread count (Eigen's 1-thread column is shown
        # for reference only, unless the run itself is single-threaded).
        skip = set(OURS) | {"auto", "auto_alone"} | ({"eigen1"} if r["threads"] != 1 else set())
        return {k: v for k, v in r["t"].items() if k not in skip}

    ratios = {"auto (profile in use)": [r["t"]["auto"] / oracle(r) for r in rows]}
    for key, label in (("builtin_choice", "built-in profile"), ("file_choice", "fresh profile")):
        if all(r.get(key) for r in rows):
            ratios[label] = [r["t"].get(r[key], math.inf) / oracle(r) for r in rows]
    say(f"Cases: {len(rows)}, threads: {rows[0]['threads']}")
    say()
    say("| Auto against the oracle (fastest of our methods) | median | worst | cases over 1.10x |")
    say("|---|---:|---:|---:|")
    for label, v in ratios.items():
        say(f"| {label} | {statistics.median(v):.2f}x | {max(v):.2f}x | {sum(x > 1.10 for x in v)} |")
    say()
    wins, speed, lost = 0, [], []
    for r in rows:
        p = peers(r)
        if not p:
            continue
        best_name = min(p, key=p.get)
        s = p[best_name] / r["t"].get("auto_alone", r["t"]["auto"])  # timed as the peers are
        speed.append(s)
        if s > 1:
            wins += 1
        else:
            lost.append((r["case"], best_name, s))
    gm = math.exp(sum(math.log(s) for s in speed) / len(speed))
    say(f"Auto faster than the fastest peer: {wins} of {len(speed)} cases ({100 * wins / len(speed):.0f}%); "
        f"geometric-mean speed-up over the fastest peer {gm:.2f}x.")
    if lost:
        say("Cases a peer won: " + ", ".join(f"{c} ({p}, auto at {s:.2f}x)" for c, p, s in lost) + ".")
    worst = max(rows, key=lambda r: r["t"]["auto"] / oracle(r))
    say(f"Worst Auto/oracle case: {worst['case']} (auto chose {worst['auto_choice']}, fastest was "
        f"{min((m for m in OURS if m in worst['t']), key=lambda m: worst['t'][m])}).")
    agree = sum(r["auto_choice"] == min((m for m in OURS if m in r["t"]), key=lambda m: r["t"][m]) for r in rows)
    say(f"The model picked the measured-fastest method in {agree} of {len(rows)} cases.")
    for typ in ("float", "double"):
        errs = [(v, r["case"], k) for r in rows if r["type"] == typ for k, v in r["err"].items()]
        if errs:
            v, c, k = max(errs)
            say(f"Largest difference of a peer's result from Auto's, {typ}: {v:.1e} of max |result| ({k} on {c}).")
    if md:
        open(md, "w").write("\n".join(out) + "\n")

    if png:
        try:
            import matplotlib
        except ImportError:
            print(f"plot_peers.py: matplotlib is not installed (python3-matplotlib): {png} not drawn", file=sys.stderr)
            return
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
        for rank, ax in zip((1, 2, 3), axes):
            for r in rows:
                if r["case"][0] != str(rank):
                    continue
                x, k = numel(r["input"]), numel(r["kernel"])
                best = min((m for m in OURS if m in r["t"]), key=lambda m: r["t"][m])
                pred = min(r["predicted"], key=r["predicted"].get) if r["predicted"] else r["auto_choice"]
                ax.scatter([x], [k], s=90, color=COLORS[best], zorder=3)
                ax.scatter([x], [k], s=260, facecolors="none", edgecolors=COLORS.get(pred, "k"), linewidths=2.2,
                           zorder=2)
                ax.annotate(r["case"][3:] + ("" if r["mode"] == "same" else " " + r["mode"]), (x, k),
                            textcoords="offset points", xytext=(7, 5), fontsize=7)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{rank}-D")
            ax.set_xlabel("input samples")
            ax.set_ylabel("kernel taps")
            ax.grid(True, which="major", alpha=0.3)
        handles = [Line2D([], [], marker="o", ls="", color=c, label=f"{m} fastest (measured)") for m, c in
                   COLORS.items() if m != "separable"]
        handles += [Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor=c, markersize=12,
                           markeredgewidth=2, label=f"{m} predicted") for m, c in COLORS.items() if m != "separable"]
        fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=8)
        fig.suptitle(f"Where each method wins (filled: measured fastest; ring: the cost model's prediction), "
                     f"{rows[0]['threads']} threads")
        fig.tight_layout(rect=(0, 0.08, 1, 0.95))
        fig.savefig(png, dpi=110)
        print(f"wrote {png}")


if __name__ == "__main__":
    main()
