#!/usr/bin/env python3
"""Cross-check of liaison's sensitivity estimators against SALib.

Prints the reference numbers written into `src/explore/sensitivity.rs` and
`src/explore/design.rs`. Needs `pip install SALib` (which brings numpy and scipy).

- The Sobol design of `liaison sweep --design sobol` is rebuilt here exactly: N base rows of
  scipy's unscrambled Sobol sequence in 2d dimensions (Joe-Kuo direction numbers, first point
  included), each giving A, AB_1..AB_d, B. SALib's `sobol.analyze(calc_second_order=False)`
  then sees the very same outputs as the Rust code, so the point estimates must agree to
  rounding.
- Morris: two fixed trajectories of the Ishigami function, analysed by `morris.analyze`.
"""
import numpy as np
from scipy.stats import qmc
from SALib.analyze import sobol, morris

np.set_printoptions(precision=12)


def ishigami(u):
    x = -np.pi + 2 * np.pi * np.asarray(u)
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


d, n = 3, 1024
print("first 8 points of the 3-d Sobol sequence:")
print(qmc.Sobol(d=3, scramble=False).random(8))

base = qmc.Sobol(d=2 * d, scramble=False).random(n)
rows = []
for row in base:
    a, b = row[:d], row[d:]
    rows.append(a)
    for j in range(d):
        ab = a.copy()
        ab[j] = b[j]
        rows.append(ab)
    rows.append(b)
X = np.array(rows)
Y = ishigami(X)
problem = {"num_vars": d, "names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * d}
Si = sobol.analyze(problem, Y, calc_second_order=False, print_to_console=False)
print("Sobol S1:", Si["S1"])
print("Sobol ST:", Si["ST"])
print("Sobol S1_conf:", Si["S1_conf"])
print("Sobol ST_conf:", Si["ST_conf"])

t = 2.0 / 3.0
Xm = np.array([
    [0.0, 1 / 3, t], [t, 1 / 3, t], [t, 1 / 3, 0.0], [t, 1.0, 0.0],
    [1 / 3, 0.0, 1 / 3], [1 / 3, 0.0, 1.0], [1.0, 0.0, 1.0], [1.0, t, 1.0],
])
Ym = ishigami(Xm)
Mi = morris.analyze(problem, Xm, Ym, num_levels=4, print_to_console=False)
print("Morris mu:", np.asarray(Mi["mu"]))
print("Morris mu_star:", np.asarray(Mi["mu_star"]))
print("Morris sigma:", np.asarray(Mi["sigma"]))
