# The benchmark of issue 7 (bench/run.sh). Not part of `make test`: it takes
# minutes, wants a quiet machine, and may install libcurl's headers.
# Knobs pass through the environment or the command line, e.g.
# `make bench BENCH_N_HTTP=50000 BENCH_N_TLS=20000` (see bench/run.sh).
.PHONY: bench bench-profile

# Tables on the terminal and in bench/results/latest.md.
bench: build
	bench/run.sh

# perf, strace and callgrind of the library's per-call loop, into target/bench/profile/.
bench-profile: build
	bench/run.sh profile
