"""The project's scripts as one Python package (see scripts/README.md).

Python here runs from the repository root as modules, `python3 -m scripts.<folder>.<name>`,
and imports its shared code by its full name (`from scripts.attention_reference import ...`):
no `sys.path` edits and no PYTHONPATH. The shell wrappers `cd` to the root first.
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The repository root, for paths to openapi.yaml, Tests/…/Fixtures, .build."""
