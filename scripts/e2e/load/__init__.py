"""The load, overload and fault test of scripts/e2e/load.sh: python3 -m scripts.e2e.load.run."""
