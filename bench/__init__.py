"""CareLoop benchmarks: `make bench` (see bench/README.md). They print figures; they never fail."""
