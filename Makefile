# binance_algo: `make demo` and `make test` are the two commands in README.md.
CARGO  ?= cargo
CC     ?= cc
STRICT  = -std=c99 -Wall -Wextra -Werror -pedantic
OUT     = target/release
LIB     = $(OUT)/libbinance_algo.so
SONAME  = libbinance_algo.so.$(shell sed -n 's/^version = "\([0-9]*\)\..*/\1/p' Cargo.toml | head -n 1)
PKG_VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The version the last `make build` built, for `make install` to check.
BUILT   = $(OUT)/built-version
LINK    = -Iinclude -L$(OUT) -lbinance_algo -Wl,-rpath,'$$ORIGIN'
WITH_SIM = scripts/with-sim.sh

# The simulator's state for the C tests: open ids and scripted faults
# (tests/c/test_cancel.c relies on each of them).
C_SIM_FLAGS = --quiet --open-ids 14511,3001,3003-3007,1000-1079,2010,2020,9007199254740993,9223372036854775807 \
  --open-client-ids c-1 \
  --fault 4290=429:30 --fault 4180=418:120 --fault 4040=404html --fault 5000=500 \
  --fault 5030=503 --fault 5020=502html --fault 2000=html200 --fault 2010=truncated \
  --fault 2020=short --fault 2030=huge --fault 6000=close --fault 7000=slow:10000
# tests/c/threads.c: 8 threads of 60 ids each, every sixth by clientAlgoId t<T>-<I>.
THREADS_SIM_FLAGS = --quiet --open-ids 1-480 --open-client-ids \
  $(shell for t in 0 1 2 3 4 5 6 7; do for i in $$(seq 4 6 59); do printf 't%d-%d,' $$t $$i; done; done | sed 's/,$$//')

.PHONY: all build demo test lint rust-test c-test c-test-asan c-test-valgrind quickstart-test symbols soak tsan header clean

all: build

# One release build serves the library, the simulator, the demo and the tests.
build:
	$(CARGO) build --release --locked
	ln -sf libbinance_algo.so $(OUT)/$(SONAME)
	scripts/localize-staticlib.sh $(OUT)/libbinance_algo.a
	echo $(PKG_VERSION) >$(BUILT)

$(OUT)/cancel: examples/cancel.c include/binance_algo.h build
	$(CC) $(STRICT) examples/cancel.c $(LINK) -o $@

$(OUT)/c-tests: tests/c/test_cancel.c tests/c/check.h include/binance_algo.h build
	$(CC) $(STRICT) -pthread tests/c/test_cancel.c $(LINK) -o $@

# C11 for its atomics.
$(OUT)/threads: tests/c/threads.c tests/c/check.h include/binance_algo.h build
	$(CC) $(subst c99,c11,$(STRICT)) -pthread tests/c/threads.c $(LINK) -o $@

$(OUT)/c-tests-asan: tests/c/test_cancel.c tests/c/check.h include/binance_algo.h build
	$(CC) $(STRICT) -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	  -pthread tests/c/test_cancel.c $(LINK) -o $@
	nm $@ | grep -q __asan_init

$(OUT)/quickstart: examples/quickstart.c include/binance_algo.h build
	$(CC) $(STRICT) examples/quickstart.c $(LINK) -o $@

$(OUT)/soak: tests/c/soak.c include/binance_algo.h build
	$(CC) $(STRICT) tests/c/soak.c $(LINK) -o $@

demo: $(OUT)/cancel
	@echo "== cancelling algo order 14511 on the bundled simulator, through the C ABI"
	$(WITH_SIM) --open-ids 14511,3001,3002 -- sh -c '$(OUT)/cancel 14511 && \
	  echo "== the same order again: the exchange answers -20124" && \
	  { $(OUT)/cancel 14511; test $$? -eq 1; } && \
	  echo "== the same from C++ (bindings/cpp) and Python (bindings/python)" && \
	  $(OUT)/cancel_cpp 3001 && python3 examples/cancel.py 3002'

# Binding and packaging tests add themselves here (mk/*.mk).
EXTRA_TESTS =
-include mk/*.mk

test: lint rust-test c-test c-test-asan c-test-valgrind quickstart-test symbols $(EXTRA_TESTS)

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

# Includes tests/header.rs: the committed header must match a fresh one.
rust-test:
	$(CARGO) test --release --locked

c-test: $(OUT)/c-tests $(OUT)/threads
	$(WITH_SIM) $(C_SIM_FLAGS) -- $(OUT)/c-tests
	$(WITH_SIM) $(THREADS_SIM_FLAGS) -- $(OUT)/threads

# The same tests under AddressSanitizer + UBSan (leak checking included) ...
c-test-asan: $(OUT)/c-tests-asan
	$(WITH_SIM) $(C_SIM_FLAGS) -- $(OUT)/c-tests-asan

# ... and under valgrind, on the build without ASan: no errors, no definite leaks.
c-test-valgrind: $(OUT)/c-tests
	$(WITH_SIM) $(C_SIM_FLAGS) -- valgrind -q --error-exitcode=99 --leak-check=full \
	  --errors-for-leak-kinds=definite --show-leak-kinds=definite $(OUT)/c-tests

# The README's quick start, as written, cancels an open order.
quickstart-test: $(OUT)/quickstart
	$(WITH_SIM) --quiet --open-ids 14511 -- $(OUT)/quickstart

# Not part of `make test`: 100,000 cancels with RSS sampled (SOAK_N to change).
SOAK_N ?= 100000
soak: $(OUT)/soak
	$(WITH_SIM) --quiet --open-ids 1-$(SOAK_N) -- $(OUT)/soak $(SOAK_N)

# Not part of `make test` (nightly Rust with rust-src): the library under
# ThreadSanitizer, eight threads on one client (`build` makes the simulator).
tsan: build
	scripts/tsan.sh $(THREADS_SIM_FLAGS)

symbols: build
	scripts/check-symbols.sh $(LIB) $(SONAME) $(OUT)/libbinance_algo.a

# Regenerates the committed include/binance_algo.h from src/ffi.
header:
	BINANCE_ALGO_WRITE_HEADER=1 $(CARGO) build --release --locked

clean:
	$(CARGO) clean
