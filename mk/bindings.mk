# Bindings (bindings/c, bindings/cpp, bindings/python) and packaging (make
# install). Included by the Makefile; uses its OUT, LIB, SONAME, STRICT, LINK,
# WITH_SIM and CC. Every test here joins `make test` through EXTRA_TESTS.

CXXSTRICT = -std=c++17 -Wall -Wextra -Werror -pedantic
PYTHON   ?= python3
# As c-test-valgrind: no memory errors, no definite leaks.
MEMCHECK  = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite

# Simulator state for tests/cpp/test_cancel.cpp: open ids and scripted faults.
CPP_SIM_FLAGS = --quiet --open-ids 14511,3001,1000-1079,9007199254740993,9223372036854775807 \
  --open-client-ids cpp-order-1,cpp-order-2 \
  --fault 4290=429:30 --fault 4180=418:120 --fault 5000=500 --fault 7000=slow:10000

EXTRA_TESTS += dl-test cpp-test py-test install-test snippet-test

.PHONY: dl-test cpp-test py-test install-test snippet-test install install-strip uninstall

# --- bindings/c: the dlopen loader ------------------------------------------
DL_SRC = bindings/c/binance_algo_dl.c bindings/c/binance_algo_dl.h include/binance_algo.h
# Not linked with libbinance_algo: it loads it, by soname through $ORIGIN or by path.
DL_LINK = -Iinclude -Ibindings/c bindings/c/binance_algo_dl.c -ldl -Wl,-rpath,'$$ORIGIN'

$(OUT)/dl-tests: tests/c/test_dl.c tests/c/test_dl_types.c $(DL_SRC) build
	$(CC) $(STRICT) -Iinclude -Ibindings/c -fsyntax-only tests/c/test_dl_types.c
	$(CXX) -x c++ $(CXXSTRICT) -Iinclude -Ibindings/c -fsyntax-only tests/c/test_dl_types.c
	$(CC) $(STRICT) tests/c/test_dl.c $(DL_LINK) -o $@

$(OUT)/cancel_dl: examples/cancel_dl.c $(DL_SRC) build
	$(CC) $(STRICT) examples/cancel_dl.c $(DL_LINK) -o $@

# Stand-ins exporting binance_version only: major 99, and the right major.
$(OUT)/libfake_v99.so: tests/c/fake_binance_algo.c include/binance_algo.h build
	$(CC) $(STRICT) -Iinclude -shared -fPIC -DFAKE_MAJOR=99 $< -o $@
$(OUT)/libfake_missing.so: tests/c/fake_binance_algo.c include/binance_algo.h build
	$(CC) $(STRICT) -Iinclude -shared -fPIC $< -o $@

DL_TEST_ARGS = $(LIB) $(OUT)/libfake_v99.so $(OUT)/libfake_missing.so include/binance_algo.h
dl-test: $(OUT)/dl-tests $(OUT)/cancel_dl $(OUT)/libfake_v99.so $(OUT)/libfake_missing.so
	$(WITH_SIM) --quiet --open-ids 14511,3001 -- $(OUT)/dl-tests $(DL_TEST_ARGS)
	$(WITH_SIM) --quiet --open-ids 14511,3001 -- $(MEMCHECK) --keep-debuginfo=yes \
	  --suppressions=tests/c/dlclose.supp $(OUT)/dl-tests $(DL_TEST_ARGS)
	scripts/cancels-twice.sh $(OUT)/cancel_dl

# --- bindings/cpp: the header-only C++17 wrapper ------------------------------
CPP_SRC = bindings/cpp/binance_algo.hpp include/binance_algo.h

$(OUT)/cpp-tests: tests/cpp/test_cancel.cpp $(CPP_SRC) build
	$(CXX) -x c++ $(CXXSTRICT) -Iinclude -fsyntax-only bindings/cpp/binance_algo.hpp
	$(CXX) $(CXXSTRICT) -pthread -Ibindings/cpp tests/cpp/test_cancel.cpp $(LINK) -o $@

# Statuses and log kinds of a later version, loaded under UBSan's enum check.
$(OUT)/cpp-enum-range: tests/cpp/test_enum_range.cpp $(CPP_SRC) build
	$(CXX) $(CXXSTRICT) -fsanitize=undefined -fno-sanitize-recover=all -Ibindings/cpp $< $(LINK) -o $@

$(OUT)/cancel_cpp: examples/cancel.cpp $(CPP_SRC) build
	$(CXX) $(CXXSTRICT) -Ibindings/cpp examples/cancel.cpp $(LINK) -o $@

# `make demo` builds the C++ example too (running it is the Makefile's to add).
demo: $(OUT)/cancel_cpp

cpp-test: $(OUT)/cpp-tests $(OUT)/cpp-enum-range $(OUT)/cancel_cpp
	$(OUT)/cpp-enum-range
	$(WITH_SIM) $(CPP_SIM_FLAGS) -- $(OUT)/cpp-tests
	$(WITH_SIM) $(CPP_SIM_FLAGS) -- $(MEMCHECK) $(OUT)/cpp-tests
	scripts/cancels-twice.sh $(OUT)/cancel_cpp

# --- bindings/python: ctypes; the tests start their own simulator -------------
# (tests/python/conftest.py) and run examples/cancel.py.
py-test: build
	PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m pytest -q -p no:cacheprovider tests/python

# --- make install [PREFIX=/usr/local] [LIBDIR=] [INCLUDEDIR=] [DESTDIR=] -------
PREFIX ?= /usr/local
# Absolute, as GNU's libdir and includedir: lib64 or lib/x86_64-linux-gnu layouts.
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
INSTALL_LIB = $(DESTDIR)$(LIBDIR)
INSTALL_INCLUDE = $(DESTDIR)$(INCLUDEDIR)
INSTALL_CMAKE = $(INSTALL_LIB)/cmake/binance_algo
# The templates name the final paths, never DESTDIR: the .pc file through
# ${prefix} where it can, the CMake package relative to its own place.
FILL = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(PKG_VERSION)|g' \
  -e 's|@MAJOR@|$(patsubst libbinance_algo.so.%,%,$(SONAME))|g' \
  -e 's|@PC_LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|g' \
  -e 's|@PC_INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|g' \
  -e 's|@CMAKE_TO_INCLUDEDIR@|$(shell realpath -m --relative-to=$(LIBDIR)/cmake/binance_algo $(INCLUDEDIR))|g'

# What install and uninstall write, relative to the prefix's lib/ and include/.
INSTALLED_LIB = libbinance_algo.so.$(PKG_VERSION) $(SONAME) libbinance_algo.so libbinance_algo.a \
  pkgconfig/binance_algo.pc cmake/binance_algo/binance_algoConfig.cmake \
  cmake/binance_algo/binance_algoConfigVersion.cmake
INSTALLED_INCLUDE = binance_algo.h binance_algo.hpp

# Paths go unquoted through the recipes below: refuse a space up front
# rather than scatter files.
no_space_in_prefix = @case '$(DESTDIR)$(PREFIX)$(LIBDIR)$(INCLUDEDIR)' in *' '*) \
  echo "make $@: PREFIX, LIBDIR, INCLUDEDIR and DESTDIR may not contain spaces" >&2; exit 2;; esac

# Built only when missing: `make build` as yourself, then `sudo make install`,
# needs no cargo on root's PATH and writes nothing as root into target/.
$(LIB):
	$(MAKE) build

# A build of another version (made before a pull) would go in under this
# version's name, with its own soname inside; cargo's archive is not the one
# make build localizes (a later plain cargo build puts it back). Refused
# rather than rebuilt.
install: $(LIB)
	$(no_space_in_prefix)
	@if [ "$$(cat $(BUILT) 2>/dev/null)" != "$(PKG_VERSION)" ]; then echo "make install: $(OUT) holds no" \
	  "make build of version $(PKG_VERSION) (built before the last pull?): run make build first" >&2; exit 2; fi
	@if [ "$$(ar t $(OUT)/libbinance_algo.a | wc -l)" -ne 1 ]; then echo "make install:" \
	  "$(OUT)/libbinance_algo.a is cargo's, not localized: run make build first" >&2; exit 2; fi
	install -d $(INSTALL_LIB)/pkgconfig $(INSTALL_CMAKE) $(INSTALL_INCLUDE)
	install -m 755 $(LIB) $(INSTALL_LIB)/libbinance_algo.so.$(PKG_VERSION)
	ln -sf libbinance_algo.so.$(PKG_VERSION) $(INSTALL_LIB)/$(SONAME)
	ln -sf $(SONAME) $(INSTALL_LIB)/libbinance_algo.so
	install -m 644 $(OUT)/libbinance_algo.a $(INSTALL_LIB)/libbinance_algo.a
	install -m 644 include/binance_algo.h bindings/cpp/binance_algo.hpp $(INSTALL_INCLUDE)/
	$(FILL) packaging/binance_algo.pc.in >$(INSTALL_LIB)/pkgconfig/binance_algo.pc
	$(FILL) packaging/binance_algoConfig.cmake.in >$(INSTALL_CMAKE)/binance_algoConfig.cmake
	$(FILL) packaging/binance_algoConfigVersion.cmake.in >$(INSTALL_CMAKE)/binance_algoConfigVersion.cmake
	chmod 644 $(INSTALL_LIB)/pkgconfig/binance_algo.pc $(INSTALL_CMAKE)/binance_algoConfig.cmake \
	  $(INSTALL_CMAKE)/binance_algoConfigVersion.cmake # as install -m 644, whatever the umask

# As install, without the debug information: the shared library 19 MB -> 3 MB.
install-strip: install
	strip --strip-unneeded $(INSTALL_LIB)/libbinance_algo.so.$(PKG_VERSION)
	strip --strip-debug $(INSTALL_LIB)/libbinance_algo.a

uninstall:
	$(no_space_in_prefix)
	rm -f $(addprefix $(INSTALL_LIB)/,$(INSTALLED_LIB)) $(addprefix $(INSTALL_INCLUDE)/,$(INSTALLED_INCLUDE))
	-rmdir $(INSTALL_CMAKE) 2>/dev/null

install-test: build
	MAKE="$(MAKE)" scripts/test-install.sh

# The code blocks of bindings/README.md are taken from files tested above.
snippet-test:
	$(PYTHON) scripts/check-snippets.py README.md bindings/README.md
