#!/usr/bin/env python3
"""Generate mannwhitney_cases.json: reference values for VigilAnalytics' MannWhitneyTest.

Run from this folder:  python3 make_mannwhitney_fixtures.py   (numpy, scipy >= 1.7)

For every seeded case (x, y) it records
  u, p      scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic',
            use_continuity=True): U of x (= R's W) and the two-sided p-value, both with tie correction;
  z         R's normal deviate (W - nx*ny/2 - sign(W - nx*ny/2)/2) / sigma, checked against scipy's p;
  shift     the Hodges-Lehmann estimate, by brute force: the median of all nx*ny differences x_i - y_j;
  lower, upper
            the 98 % confidence interval of R's wilcox.test(x, y, conf.int=TRUE, conf.level=0.98,
            exact=FALSE, correct=TRUE).

The interval is computed here by an independent Python transcription of R's asymptotic-CI algorithm
(stats:::.wilcox_test_two_cint_asymp, called by wilcox.test.default): W(d) is the continuity-corrected,
tie-corrected normal statistic of (x - d, y); each limit is the root of W(d) - zq on
[min(x) - max(y), max(x) - min(y)], with R's short-cuts (return the lower end when W(mumin) - zq <= 0,
the upper end when W(mumax) - zq >= 0), found with scipy.optimize.brentq.
One deliberate difference: R stops uniroot at tol.root = 1e-4, so R's limits are only within 1e-4 of the
jump of the step function W; here brentq runs to machine precision, so the limits are the jump points
themselves (which are pairwise differences x_i - y_j) and the Swift code can be checked to 1e-6.

Checked once against R 4.2.2 itself (wilcox.test with the arguments above, not part of this script): for
every non-degenerate case W and p agreed to 1e-9 and both limits to within R's tol.root of 1e-4.

Degenerate cases R leaves undefined, with the behaviour the Swift code documents:
  - all nx+ny values equal (sigma = 0, R's p-value is NaN): z = 0, p = 1.
  - x constant and y constant (every difference equal, R stops with an error): CI = [d, d] with d the
    one difference (this includes n = 1 on both sides).
"""
import json
import math
import pathlib

import numpy as np
from scipy import optimize, stats

CONF_LEVEL = 0.98


def tie_term(values):
    _, counts = np.unique(values, return_counts=True)
    return float(np.sum(counts.astype(float) ** 3 - counts))


def r_w_statistic(x, y, d):
    """R's W(d) inside .wilcox_test_two_cint_asymp, with correct=TRUE, alternative='two.sided'."""
    nx, ny = len(x), len(y)
    combined = np.concatenate([x - d, y])
    ranks = stats.rankdata(combined)  # average ranks, as R's rank()
    dz = ranks[:nx].sum() - nx * (nx + 1) / 2 - nx * ny / 2
    correction = np.sign(dz) * 0.5
    n = nx + ny
    sigma = math.sqrt((nx * ny / 12) * ((n + 1) - tie_term(combined) / (n * (n - 1))))
    return (dz - correction) / sigma


def r_confidence_interval(x, y):
    alpha = 1 - CONF_LEVEL
    mumin = float(x.min() - y.max())
    mumax = float(x.max() - y.min())
    if mumin == mumax:
        return mumin, mumin  # documented degenerate case
    w_min = r_w_statistic(x, y, mumin)
    w_max = r_w_statistic(x, y, mumax)

    def root(zq):
        f_lower = w_min - zq
        if f_lower <= 0:
            return mumin
        f_upper = w_max - zq
        if f_upper >= 0:
            return mumax
        return optimize.brentq(lambda d: r_w_statistic(x, y, d) - zq, mumin, mumax,
                               xtol=1e-14, rtol=8.9e-16, maxiter=500)

    lower = root(stats.norm.ppf(1 - alpha / 2))
    upper = root(stats.norm.ppf(alpha / 2))
    return lower, upper


def reference(name, x, y, note=""):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    nx, ny = len(x), len(y)
    n = nx + ny
    combined = np.concatenate([x, y])
    ranks = stats.rankdata(combined)
    w = float(ranks[:nx].sum() - nx * (nx + 1) / 2)
    sigma = math.sqrt((nx * ny / 12) * ((n + 1) - tie_term(combined) / (n * (n - 1)))) if n > 1 else 0.0
    if sigma == 0:
        u, z, p = w, 0.0, 1.0
    else:
        result = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
        u, p = float(result.statistic), float(result.pvalue)
        assert u == w, (name, u, w)
        centered = w - nx * ny / 2
        z = (centered - np.sign(centered) * 0.5) / sigma
        assert math.isclose(min(1.0, 2 * stats.norm.sf(abs(z))), p, rel_tol=1e-12, abs_tol=1e-300), (name, z, p)
    shift = float(np.median(np.subtract.outer(x, y)))
    lower, upper = r_confidence_interval(x, y)
    slack = 1e-9 * max(1.0, abs(shift))
    assert lower - slack <= shift <= upper + slack, (name, lower, shift, upper)
    return {
        "name": name, "note": note, "x": x.tolist(), "y": y.tolist(),
        "nX": nx, "nY": ny, "u": u, "z": float(z), "p": p,
        "shift": shift, "lower": float(lower), "upper": float(upper),
    }


def cases():
    rng = np.random.default_rng(20240611)
    out = []
    add = lambda *args, **kw: out.append(reference(*args, **kw))

    add("textbook small", [1, 2, 3, 4, 5], [3, 4, 6, 7, 8, 9], "R: W = 4, p = 0.05413")
    add("identical samples", [1.5, 2.5, 3.5, 4.5], [1.5, 2.5, 3.5, 4.5])
    add("all values equal", [7, 7, 7, 7], [7, 7, 7], "sigma = 0: z = 0, p = 1, CI = [0, 0]")
    add("both constant, different", [12.0] * 6, [10.0] * 8, "every difference is 2: CI = [2, 2]")
    add("x constant inside y", [5.0] * 10, list(range(1, 11)))
    add("n = 1 in x", [3.0], rng.normal(10, 2, 40).round(3).tolist())
    add("n = 1 in y", rng.normal(10, 2, 40).round(3).tolist(), [9.5])
    add("n = 1 both", [4.0], [2.0])
    add("n = 2 vs 3", [1.0, 8.0], [2.0, 3.0, 9.0])
    add("3 vs 500", rng.lognormal(math.log(120), 0.3, 3).tolist(), rng.lognormal(math.log(100), 0.3, 500).tolist())
    add("500 vs 3", rng.lognormal(math.log(100), 0.3, 500).tolist(), rng.lognormal(math.log(120), 0.3, 3).tolist())
    add("heavy integer ties", rng.integers(0, 5, 60).astype(float).tolist(), rng.integers(1, 6, 70).astype(float).tolist())
    add("binary values", rng.integers(0, 2, 50).astype(float).tolist(), rng.integers(0, 2, 45).astype(float).tolist())
    add("error counts per minute", rng.poisson(0.8, 120).astype(float).tolist(), rng.poisson(1.1, 150).astype(float).tolist())
    add("rounded latencies with ties", rng.normal(100, 15, 80).round(0).tolist(), rng.normal(104, 15, 90).round(0).tolist())
    for shift in (0.0, 0.5, 1.0, 3.0):
        add(f"normal shift {shift}", (rng.normal(0, 1, 40) + shift).tolist(), rng.normal(0, 1, 35).tolist())
    add("negative shift", (rng.normal(50, 5, 30) - 8).tolist(), rng.normal(50, 5, 30).tolist())
    add("complete separation", (rng.uniform(0, 1, 25) + 10).tolist(), rng.uniform(0, 1, 25).tolist())
    add("complete separation reversed", rng.uniform(0, 1, 12).tolist(), (rng.uniform(0, 1, 15) + 10).tolist())
    for i in range(6):
        base = rng.lognormal(math.log(80), 0.5, 200)
        canary = rng.lognormal(math.log(80 * (1 + 0.05 * i)), 0.5, 60)
        add(f"latency p99 per host-minute {i}", canary.tolist(), base.tolist(), "lognormal, canary vs baseline")
    add("cpu utilization", rng.beta(5, 7, 90).tolist(), rng.beta(5, 8, 110).tolist())
    add("mixed sign", rng.normal(0, 3, 55).tolist(), rng.normal(0.4, 3, 65).tolist())
    add("large values", rng.normal(3.6e6, 1e4, 40).tolist(), rng.normal(3.6e6 + 5e3, 1e4, 40).tolist())
    add("tiny values", rng.normal(1e-3, 1e-4, 40).tolist(), rng.normal(1.05e-3, 1e-4, 45).tolist())
    add("outliers", np.concatenate([rng.normal(10, 1, 30), [500.0, 900.0]]).tolist(), rng.normal(10, 1, 30).tolist())
    add("ties across samples", [1, 2, 2, 3, 3, 3, 4, 5], [2, 3, 3, 4, 4, 6, 7])
    add("big equal sizes", rng.normal(0, 1, 400).tolist(), rng.normal(0.1, 1, 400).tolist())
    return out


def main():
    all_cases = cases()
    document = {
        "generator": "make_mannwhitney_fixtures.py",
        "scipy": __import__("scipy").__version__,
        "numpy": np.__version__,
        "confidenceLevel": CONF_LEVEL,
        "cases": all_cases,
    }
    path = pathlib.Path(__file__).with_name("mannwhitney_cases.json")
    path.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {len(all_cases)} cases to {path.name}")


if __name__ == "__main__":
    main()
