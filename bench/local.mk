# Benchmarks: `make bench` builds and runs them; never part of `make check`.
