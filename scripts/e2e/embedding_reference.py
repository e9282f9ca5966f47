"""The sentence-transformers reference of the test model (Tests/AttentionModelsTests/Fixtures/bert.json)
and the comparison every embeddings client check uses: within 1e-4 elementwise, cosine >= 0.99999.
Standard library only, so that any client's environment can import it."""

import math
import pathlib

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "Tests/AttentionModelsTests/Fixtures/bert.json"


def compare(got, expected, what):
    """Returns the largest difference; fails naming `what` beyond the tolerances."""
    assert len(got) == len(expected), f"{what}: {len(got)} values, expected {len(expected)}"
    worst = max(abs(a - b) for a, b in zip(got, expected))
    dot = sum(a * b for a, b in zip(got, expected))
    cosine = dot / math.sqrt(sum(a * a for a in got) * sum(b * b for b in expected))
    assert worst <= 1e-4 and cosine >= 0.99999, f"{what}: largest difference {worst}, cosine {cosine}"
    return worst
