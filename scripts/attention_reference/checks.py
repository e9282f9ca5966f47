"""Comparing an answer with the reference."""
import numpy as np


def relative_error(got, expected):
    """The largest |got − expected| / max(1, |expected|): relative for large values, absolute near 0."""
    return np.max(np.abs(got - expected) / np.maximum(1, np.abs(expected)))
