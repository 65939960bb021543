"""Derives and checks the polynomial coefficients and tables of tensor/kernels/_erf.ts (needs mpmath, numpy).

  python3 bench/_erf_coefficients.py     # prints the two tables and each piece's max error

erf(z)/z on |z| < 1 as a polynomial of degree 11 in s = 2z² - 1, and erfcx(z) = e^(z²)·erfc(z)
on each [k/8, (k + 1)/8], k = 0..47, of degree 9 in s = 16z - 2k - 1; Φ(x) and GELU's
derivative Φ(x) + x·φ(x) on each [k/8 - 6.0625, (k + 1)/8 - 6.0625], k = 0..95 (0 is a
piece's centre, so Φ(0) comes out 0.5 exactly), of degree 10 in s = 16(x + 6.0625) - 2k - 1: Chebyshev interpolants at the
Chebyshev nodes, computed at 50 digits, converted to powers of s there, then rounded to
double. The check evaluates the rounded coefficients by Horner's rule in float64 (as _erf.ts
does) on 500-2000 points of each piece against mpmath and prints the largest relative error.
Also _fast_exp.ts's tables: σ(x) on eighths of [-16, 16] (degree 8), tanh(x)/x on eighths of
[0, 10] (degree 9), and 2^(j/32), j = 0..31, correctly rounded (the exponential's table).
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 50


def chebyshev_powers(f, a, b, degree):
    """Coefficients (lowest first) of f's Chebyshev interpolant on [a, b], in powers of s ∈ [-1, 1]."""
    n = degree + 1
    half = mp.mpf(1) / 2
    nodes = [mp.cos(mp.pi * (k + half) / n) for k in range(n)]
    values = [f((a + b) / 2 + (b - a) / 2 * s) for s in nodes]
    cheb = [2 * mp.fsum(values[k] * mp.cos(mp.pi * j * (k + half) / n) for k in range(n)) / n
            for j in range(n)]
    cheb[0] /= 2
    t = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]  # T_j in powers of s
    for j in range(2, n):
        nxt = [mp.mpf(0)] + [2 * v for v in t[j - 1]]
        for i, v in enumerate(t[j - 2]):
            nxt[i] -= v
        t.append(nxt)
    powers = [mp.mpf(0)] * n
    for j in range(n):
        for i, v in enumerate(t[j]):
            powers[i] += cheb[j] * v
    return [float(p) for p in powers]


def max_relative_error(f, a, b, coefficients, points=2000):
    z = np.linspace(a, b, points)
    s = (2 * z - a - b) / (b - a)
    approx = np.full_like(s, coefficients[-1])
    for c in coefficients[-2::-1]:
        approx = approx * s + c
    exact = np.array([float(f(mp.mpf(v))) for v in z])
    return float(np.max(np.abs(approx - exact) / np.abs(exact)))


def erf_over_z_of_square(u):
    return mp.erf(mp.sqrt(u)) / mp.sqrt(u) if u > 0 else 2 / mp.sqrt(mp.pi)


def erfcx(z):
    return mp.erfc(z) * mp.exp(z * z)


if __name__ == "__main__":
    small = chebyshev_powers(erf_over_z_of_square, mp.mpf(0), mp.mpf(1), 11)
    print("ERF_SMALL =", [repr(c) for c in small])
    print("  max relative error", max_relative_error(erf_over_z_of_square, 0, 1, small))
    eighths = []
    worst = 0
    for k in range(48):
        a, b = mp.mpf(k) / 8, mp.mpf(k + 1) / 8
        piece = chebyshev_powers(erfcx, a, b, 9)
        worst = max(worst, max_relative_error(erfcx, float(a), float(b), piece, 500))
        eighths += piece
    print("  erfcx on the 48 pieces of [0, 6]: max relative error", worst)
    print("ERFCX_EIGHTHS =", [repr(c) for c in eighths])
    for name, f in (("PHI_EIGHTHS", mp.ncdf), ("GELU_GRAD_EIGHTHS", lambda x: mp.ncdf(x) + x * mp.npdf(x))):
        table = []
        worst = 0
        for k in range(96):
            a, b = mp.mpf(k) / 8 - mp.mpf(97) / 16, mp.mpf(k + 1) / 8 - mp.mpf(97) / 16
            piece = chebyshev_powers(f, a, b, 10)
            if not a < -0.7518 < b + 0.125:  # relative error means nothing next to GELU''s zero
                worst = max(worst, max_relative_error(f, float(a), float(b), piece, 200))
            table += piece
        print(f"  {name} on the 96 pieces of [-6.0625, 5.9375]: max relative error", worst)
        print(f"{name} =", [repr(c) for c in table])
    # _fast_exp.ts: σ(x) on eighths of [-16, 16] (degree 8), tanh(x)/x on eighths of [0, 10] (degree 9).
    for name, f, lo, pieces, degree in (
            ("SIGMOID_EIGHTHS", lambda x: 1 / (1 + mp.exp(-x)), -16, 256, 8),
            ("TANH_OVER_X_EIGHTHS", lambda x: mp.tanh(x) / x if x != 0 else mp.mpf(1), 0, 80, 9)):
        table = []
        worst = 0
        for k in range(pieces):
            a, b = mp.mpf(k) / 8 + lo, mp.mpf(k + 1) / 8 + lo
            piece = chebyshev_powers(f, a, b, degree)
            worst = max(worst, max_relative_error(f, float(a), float(b), piece, 100))
            table += piece
        print(f"  {name} on {pieces} eighths from {lo}: max relative error", worst)
        print(f"{name} =", [repr(c) for c in table])
    print("EXP2_FRACTIONS =", [repr(float(mp.mpf(2) ** (mp.mpf(j) / 32))) for j in range(32)])
