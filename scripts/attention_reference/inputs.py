"""Seeded inputs for the fixtures and the end-to-end checks: the same seed gives the same
numbers on every machine (NumPy's PCG64), so generated files and requests are reproducible."""
import numpy as np


class Draw:
    """Standard normals from `np.random.default_rng(seed)`.

    `draw(*shape, scale=1.0)` scales them, rounds them to `decimals` when given (short JSON
    text whose parse is the very number the reference used), passes them through float32
    when `float32` (what a float32 engine sees is then exact) and returns them as `dtype`.
    `draw.normal32` draws in float32 directly (another stream, the Keras/JAX fixtures'), and
    `draw.bools` gives random masks; `draw.rng` is the generator itself.
    """

    def __init__(self, seed, *, decimals=None, float32=True, dtype=np.float64):
        self.rng = np.random.default_rng(seed)
        self.decimals = decimals
        self.float32 = float32
        self.dtype = dtype

    def __call__(self, *shape, scale=1.0):
        x = self.rng.standard_normal(shape) * scale
        if self.decimals is not None:
            x = np.round(x, self.decimals)
        if self.float32:
            x = x.astype(np.float32)
        return x.astype(self.dtype)

    def normal32(self, *shape, scale=1.0):
        """Normals drawn in float32 (scaled in float32), as float64."""
        x = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)
        return x.astype(np.float64)

    def bools(self, *shape, p=0.7):
        """True with probability p."""
        return self.rng.random(shape) < p
