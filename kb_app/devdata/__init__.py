"""Generated data: the demo seed and the benchmark seed."""
