"""mailbot's benchmarks: run with ``python -m bench [TOPIC...] [--quick]``."""
