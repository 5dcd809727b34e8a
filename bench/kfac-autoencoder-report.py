#!/usr/bin/env python3
"""Writes bench/kfac-autoencoder.md from a finished `pullback run` of kfac-mnist-autoencoder.yaml.

Called by bench/kfac-autoencoder.sh after the run; can be run again on a kept run folder:

  bench/kfac-autoencoder-report.py RUN REPORT SHOWN COMMAND START WALL LOAD0 LOAD1 COMMIT ROWS COUNT [LABEL=DIR ...]

RUN is the run folder (results.json, the plots, arms/*/history.jsonl); REPORT the markdown file to
write (its plots are copied to REPORT's folder under results/kfac-autoencoder/); SHOWN the command
as the report names it; COMMAND the `bin/pullback` command that ran; START its UTC start; WALL its
seconds; LOAD0, LOAD1 the load averages at the start and the end; COMMIT the git commit; ROWS the
number of training images used, COUNT the number in the file. Each LABEL=DIR (split at the last "=") adds a supplementary
`train` run on the same data (DIR holds its history.jsonl and command.sh, the command that ran it),
compared at equal steps with the run's arms. Only the standard library is used.

The report has:
  * the product's own time-to-target table (results.json `time_to_target`: the first step whose
    mini-batch error is at most the best SGD arm's final mini-batch error);
  * the same comparison on the trailing mean of the last SMOOTH steps' errors, which a single
    noisy mini-batch cannot decide;
  * the smoothed error at equal steps, and every arm's cost per step;
  * the decomposition of K-FAC's time ratio into (steps to the target) x (seconds per step).
"""
import json
import os
import platform
import shutil
import statistics
import sys

SMOOTH = 10
PLOTS = ["squared_error_vs_step.png", "squared_error_vs_time.png", "loss_vs_step.png", "loss_vs_time.png"]
CAPTIONS = {
    "squared_error_vs_step.png": "Training squared reconstruction error per step (each step's mini-batch).",
    "squared_error_vs_time.png": "The same error against wall time.",
    "loss_vs_step.png": "Training loss (binary cross-entropy, summed over the pixels) per step; the last point is the final loss on all the images.",
    "loss_vs_time.png": "The same loss against wall time.",
}


def fmt(x, f):
    return "—" if x is None else format(x, f)


def trailing_mean(xs, k):
    """out[t] = mean of xs[max(0, t-k+1) .. t], each window added left to right (as KfacAutoencoderReportIT does)."""
    out = []
    for t in range(len(xs)):
        lo, s = max(0, t - k + 1), 0.0
        for x in xs[lo:t + 1]:
            s += x
        out.append(s / (t + 1 - lo))
    return out


def first_at_or_below(series, goal):
    """0-based index of the first entry <= goal, or None."""
    return next((t for t, x in enumerate(series) if x <= goal), None)


def supplementary(extras, sgd, goal, floor):
    """The section on supplementary K-FAC runs: the command of each, its error at equal steps and where it passes the run's marks."""
    L = ["## Supplementary K-FAC runs", "",
         f"Each ran alone after the comparison, on the same data with the same seed (so the same mini-batch at each step as"
         f" the arms above). Errors are {SMOOTH}-step means; the plateau's floor is the lowest {SMOOTH}-step mean of SGD and"
         f" Adam above ({floor:.6g}), the target `{sgd}`'s final one ({goal:.6g}).", ""]
    for label, folder in extras:
        with open(os.path.join(folder, "command.sh")) as f:
            cmd = f.read().strip()
        L += [f"**{label}**:", "", "```", cmd, "```", ""]
    histories = {label: history_of(folder) for label, folder in extras}
    longest = max(len(h) for h in histories.values())
    marks = [m for m in (50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 800, 1000) if m <= longest]
    head = ["run"] + [f"step {m}" for m in marks] + ["below the target from step", "below the floor from step", "median s / step", "final λ"]
    L += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, h in histories.items():
        m = trailing_mean([x["squared_error"] for x in h], SMOOTH)
        cells = [f"{m[k - 1]:.2f}" if k <= len(m) else "" for k in marks]
        wall = [0.0]
        for x in h:
            wall.append(wall[-1] + x["seconds"])

        def from_step(level):
            i = len(m)
            while i > 0 and m[i - 1] <= level:
                i -= 1
            return "never" if i == len(m) else f"{i + 1} ({wall[i]:.0f} s)"
        med = statistics.median([x["seconds"] for x in h][1:])
        L.append("| " + " | ".join([label] + cells + [from_step(goal), from_step(floor), f"{med:.3f}", f"{h[-1]['damping']:.3g}"]) + " |")
    L += ["", "\"From step\" is the first step from which the run's mean stays at or below the level to its end; the seconds are"
          " its training time before that step.", ""]
    return L


def history_of(folder):
    with open(os.path.join(folder, "history.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv):
    run, report, shown, command, start, wall, load0, load1, commit, rows, count = argv[1:12]
    extras = [tuple(a.rsplit("=", 1)) for a in argv[12:]]
    r = json.load(open(os.path.join(run, "results.json")))
    out_dir = os.path.dirname(os.path.abspath(report))
    plots = os.path.join(out_dir, "results", "kfac-autoencoder")
    os.makedirs(plots, exist_ok=True)
    rel = os.path.relpath(plots, out_dir)
    for n in PLOTS:
        shutil.copyfile(os.path.join(run, n), os.path.join(plots, n))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    mem = open("/proc/meminfo").readline().split(":", 1)[1].strip()
    arms = {a["name"]: a for a in r["arms"]}
    history = {name: history_of(os.path.join(run, "arms", name)) for name in arms}
    ttt = r["time_to_target"]
    groups = r.get("groups", {})
    best = {g: v["best"] for g, v in groups.items()}
    roles = {v: k for k, v in best.items()}
    row = {a["name"]: a for a in ttt["arms"]}
    sgd = ttt["target_arm"]
    adam = best.get("adam")
    size = f"all {int(count):,}" if rows == count else f"the first {int(rows):,} of {int(count):,}"
    steps = arms["kfac"]["steps"]

    L = ["# K-FAC against SGD-momentum and Adam: the MNIST deep autoencoder", "",
         f"Produced by `{shown}` (git commit `{commit}`), which ran", "", "```", command, "```", "",
         f"from the repository root, started {start}, {int(float(wall))} s wall time in all (data loading and each arm's final"
         f" loss on all the images included). Machine: {cpu}, {os.cpu_count()} cores, {mem}, {platform.system()}"
         f" {platform.release()}; load average (1, 5, 15 min) {load0} at the start and {load1} at the end; local mode.", "",
         f"Model: {r['description'].strip()}", "",
         f"Data: {size} training images (MNIST's `train-images-idx3-ubyte` unless the command names other `--images`;"
         f" pixels scaled to [0, 1]). Every arm ran {steps} steps.", ""]

    # 1. The product's own time-to-target (results.json).
    L += ["## Time to the SGD baseline's final error", "",
          f"Target: the final training squared reconstruction error of `{sgd}` (the best arm of the `{ttt['target']}` grid),"
          f" {ttt['target_error']:.6g} ({ttt['measure']}: summed over the 784 pixels, averaged over the step's mini-batch, at"
          " the start of each step). Seconds are the wall time at the start of the first step whose error is at or below the"
          " target. These are `results.json`'s `time_to_target` numbers, as `pullback run` computes them.", "",
          "| arm | role | final squared error | final loss (all images) | reached at step | seconds to target | time / SGD's | train seconds |",
          "|---|---|---|---|---|---|---|---|"]
    for a in r["arms"]:
        t = row[a["name"]]
        role = "kfac" if a["name"] == "kfac" else (f"best of {roles[a['name']]}" if a["name"] in roles else "grid")
        L.append(f"| {a['name']} | {role} | {t['final_error']:.6g} | {a['final_loss']:.6g} | {t['step'] if t['step'] is not None else 'never'}"
                 f" | {fmt(t['seconds'], '.1f')} | {fmt(t['time_over_target'], '.3f')} | {a['train_seconds']:.1f} |")
    L.append("")

    # 2. The same on the trailing mean (one mini-batch of 600 images is noisy: about +-2 on the plateau).
    smooth = {n: trailing_mean(arms[n]["squared_error"], SMOOTH) for n in arms}
    goal = smooth[sgd][-1]
    reach = {}
    for n in arms:
        i = first_at_or_below(smooth[n], goal)
        reach[n] = None if i is None else (i + 1, arms[n]["wall_seconds"][i])
    L += [f"## The same on the mean of the last {SMOOTH} steps", "",
          f"A single mini-batch's error moves by a few units from step to step, so the table above can turn on one lucky"
          f" batch. Here each step's error is the mean of its own and the {SMOOTH - 1} steps' before it; the target is"
          f" `{sgd}`'s mean over its last {SMOOTH} steps, {goal:.6g}.", "",
          f"| arm | mean error, last {SMOOTH} steps | lowest mean error (step) | reached at step | seconds to target | time / SGD's |",
          "|---|---|---|---|---|---|"]
    sgd_reach = reach[sgd]
    for n in arms:
        low = min(range(len(smooth[n])), key=lambda i: smooth[n][i])
        rr = reach[n]
        ratio = None if rr is None or sgd_reach is None or sgd_reach[1] == 0 else rr[1] / sgd_reach[1]
        L.append(f"| {n} | {smooth[n][-1]:.6g} | {smooth[n][low]:.6g} ({low + 1}) | {rr[0] if rr else 'never'}"
                 f" | {fmt(rr[1] if rr else None, '.1f')} | {fmt(ratio, '.3f')} |")
    L.append("")

    # 3. Equal steps and cost per step.
    marks = sorted({m for m in (10, 25, 50, 100, 150, 200, 250, 300, 400, 500) if m <= steps} | {steps})
    L += [f"## Error at equal steps (mean of the last {SMOOTH} steps), and the cost of a step", "",
          "| arm | " + " | ".join(f"step {m}" for m in marks) + " | median s / step | s / step over SGD's | passes / step |",
          "|---|" + "---|" * (len(marks) + 3)]
    med = {n: statistics.median([h["seconds"] for h in history[n]][1:] or [h["seconds"] for h in history[n]]) for n in arms}
    for n in arms:
        passes = statistics.mean(h.get("passes", 1) for h in history[n])
        L.append(f"| {n} | " + " | ".join(f"{smooth[n][m - 1]:.2f}" for m in marks)
                 + f" | {med[n]:.3f} | {med[n] / med[sgd]:.2f} | {passes:.2f} |")
    lam = [h.get("damping") for h in history["kfac"]]
    if all(isinstance(x, (int, float)) for x in lam):
        L += ["", "K-FAC's damping λ (Levenberg–Marquardt, from its initial value) after those steps: "
              + ", ".join(f"step {m}: {lam[m - 1]:.3g}" for m in marks) + "."]
    others = [n for n in arms if n != "kfac"]
    floor = min(min(smooth[n]) for n in others)
    below = first_at_or_below(smooth["kfac"], floor - 1e-12)
    L += ["", f"The lowest {SMOOTH}-step mean any other arm reaches in its whole run is {floor:.6g}; K-FAC's mean is below it"
          + (f" from step {below + 1} ({arms['kfac']['wall_seconds'][below]:.1f} s) on, ending at {smooth['kfac'][-1]:.6g}."
             if below is not None and all(x < floor for x in smooth["kfac"][below:]) else
             f" first at step {below + 1} ({arms['kfac']['wall_seconds'][below]:.1f} s)." if below is not None else " at no step.")]
    L += ["", "Step 1 is left out of the medians (it includes the first tasks' start-up). A K-FAC step makes the gradient"
          " pass SGD makes, the factor-statistics pass (a forward pass and the back-propagation of one sampled target per"
          " example), the curvature pass of the quadratic model (two exact G·v products) and every T₁ = 5 steps a loss"
          " pass; every T₃ = 20 steps the driver also recomputes the eigendecompositions of the 16 Kronecker factors"
          " (up to 1001 × 1001).", ""]

    # 4. Verdict and its decomposition.
    k, s = row["kfac"], row[sgd]
    L += ["## Verdict", ""]
    if k["seconds"] is None or s["seconds"] is None:
        L.append("K-FAC did **not** reach SGD's final (mini-batch) error within its steps.")
    else:
        ratio = k["seconds"] / s["seconds"] if s["seconds"] else float("nan")
        L.append(f"K-FAC reached SGD's final error in {ratio:.3f} of SGD's wall time ({k['seconds']:.1f} s against"
                 f" {s['seconds']:.1f} s; target at most 1/3: {'**met**' if ratio <= 1 / 3 else '**missed** by a factor ' + format(ratio * 3, '.2f')}).")
        a = row.get(adam) if adam else None
        if a is not None:
            if a["seconds"] is None:
                L.append(f"Adam's best arm ({adam}) never reached it: K-FAC is ahead of Adam.")
            else:
                L.append(f"Adam's best arm ({adam}) reached it at {a['seconds']:.1f} s: K-FAC is"
                         f" {'ahead of' if k['seconds'] < a['seconds'] else 'behind'} Adam (K-FAC / Adam {k['seconds'] / a['seconds']:.3f}).")
    kr, sr = reach["kfac"], reach[sgd]
    if kr is not None and sr is not None and sr[1] > 0:
        step_ratio = kr[0] / sr[0]
        cost_ratio = (kr[1] / max(kr[0] - 1, 1)) / (sr[1] / max(sr[0] - 1, 1))
        L.append(f"On the {SMOOTH}-step mean, K-FAC needs {kr[0]} steps to SGD's {sr[0]} ({step_ratio:.3f} of its steps)"
                 f" at {cost_ratio:.2f} times its seconds per step, so {kr[1] / sr[1]:.3f} of its wall time: to be at 1/3,"
                 f" K-FAC would have to reach the target in {1 / (3 * cost_ratio):.3f} of SGD's steps at this cost per step.")
    elif kr is None:
        L.append(f"On the {SMOOTH}-step mean K-FAC does not reach SGD's final error either.")
    L.append("")
    if extras:
        L += supplementary(extras, sgd, goal, floor)
    L += ["## Plots", ""]
    for n in PLOTS:
        L += [f"![{n}]({rel}/{n})", "", f"*{CAPTIONS[n]}*", ""]
    L += [f"Every number is in the run's `results.json` and each arm's `history.jsonl` ({run}).", ""]
    with open(report, "w") as f:
        f.write("\n".join(L))
    print("wrote", report)


if __name__ == "__main__":
    if len(sys.argv) < 12 or any("=" not in a for a in sys.argv[12:]):
        sys.exit(__doc__)
    main(sys.argv)
