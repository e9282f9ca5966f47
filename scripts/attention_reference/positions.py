"""Position terms: RoPE, the ALiBi slopes and the sinusoidal encoding."""
import math

import numpy as np


def rope(x, positions, base, layout):
    """Su et al. 2021, eq. 34: rotate pairs of features by p·θ_i, θ_i = base^(−2i/d)."""
    d = x.shape[-1]
    out = x.copy()
    for i in range(d // 2):
        theta = base ** (-2.0 * i / d)
        a, b = (2 * i, 2 * i + 1) if layout == "interleaved" else (i, i + d // 2)
        angle = positions * theta                     # [L]
        c, s = np.cos(angle), np.sin(angle)
        x1, x2 = x[..., a], x[..., b]
        out[..., a] = x1 * c - x2 * s
        out[..., b] = x1 * s + x2 * c
    return out


def alibi_slopes(heads):
    """Press et al. 2022, §3: m_h = 2^(−8h/H); H not a power of two: the n = 2^⌊log2 H⌋
    slopes, then every other slope of 2n (the first H − n of them)."""
    def power_of_two(n):
        return [2.0 ** (-8.0 * h / n) for h in range(1, n + 1)]
    n = 2 ** int(math.floor(math.log2(heads)))
    slopes = power_of_two(n)
    if n < heads:
        slopes += power_of_two(2 * n)[0::2][: heads - n]
    return slopes


def sinusoidal(length, dim, base=10000.0):
    """Vaswani et al. 2017, §3.5: PE(p, 2i) = sin(p / base^(2i/d)), PE(p, 2i+1) = cos(p / base^(2i/d)); [length, dim]."""
    pe = np.zeros((length, dim))
    for p in range(length):
        for c in range(dim):
            i2 = c - (c % 2)                    # 2i for both members of the pair
            angle = p / base ** (i2 / dim)
            pe[p, c] = math.sin(angle) if c % 2 == 0 else math.cos(angle)
    return pe
