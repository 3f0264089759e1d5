# wasync — `make demo` runs the demo, `make test` runs every test suite.
# Both install what they need first (make deps).

NODE      ?= node
CLI       := $(NODE) js/cli/cli.mjs
CC_NATIVE ?= gcc
BUILD     := build

CORE_SRCS   := $(wildcard src/*.c)
HOST_C      := $(wildcard wasm/host/*.c)
WASM_BACKEND := wasm/backend/asyncify.c wasm/backend/stack.c wasm/backend/cmain.c wasm/backend/sp.S $(HOST_C)
NATIVE_SRCS := $(CORE_SRCS) src/native/backend.c src/native/host.c
HEADERS     := $(wildcard src/*.h src/native/*.h wasm/backend/*.h wasm/host/*.h)
HOST_JS     := $(wildcard wasm/host/js/*.js wasm/host/js/*.json wasm/backend/*.js wasm/backend/*.json)
# The build tool: every file of it shapes a build (js/cli/cache.mjs, runtimeInputs).
CLI_JS      := $(wildcard js/cli/*.mjs)
TEST_SRCS   := $(wildcard tests/c/*.c)
TEST_LIST   := $(BUILD)/gen/test-list.h

# emscripten+binaryen build wasm; chromium, firefox-esr and WebKitGTK
# (WebKitWebDriver and MiniBrowser, on an xvfb display; the driver's package
# is webkit2gtk-driver in bookworm, webkitgtk-webdriver from WebKitGTK 2.46
# on, whichever apt knows) run the browser tests; clang and
# its runtime (libFuzzer; libclang-rt-dev is Debian's name for the default
# clang's, whatever its version) build the fuzz target; nginx-light serves
# the README page test with its stock mime.types; cmake builds the CMake
# project of the build-system test.
APT_PACKAGES := emscripten binaryen chromium firefox-esr xvfb clang libclang-rt-dev nginx-light cmake

# wasync adds no warning flags to user code; our own tests ask for them.
WASM_TEST_CFLAGS := -std=c11 -Wall -Wextra -Werror

NATIVE_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -O1 -Isrc -I$(BUILD)/gen \
                 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all deps npm-deps lib demo test test-c test-matrix bench clean native wasm web serve fuzz

all: lib

# ---- set-up -------------------------------------------------------------------
# Debian packages (emscripten, binaryen, the browsers) and npm packages from the
# lockfile; each step is skipped when already done.
deps: $(BUILD)/.deps-apt npm-deps

# Checked again whenever this Makefile (and so APT_PACKAGES) changes.
$(BUILD)/.deps-apt: Makefile
	@mkdir -p $(BUILD)
	@if ! command -v emcc >/dev/null || ! command -v wasm-opt >/dev/null || ! command -v chromium >/dev/null || ! command -v cmake >/dev/null || \
	    ! command -v firefox-esr >/dev/null || ! command -v WebKitWebDriver >/dev/null || ! command -v Xvfb >/dev/null || \
	    ! command -v clang >/dev/null || ! dpkg -s libclang-rt-dev >/dev/null 2>&1 || ! [ -x /usr/sbin/nginx ]; then \
	  echo "make deps: installing $(APT_PACKAGES) and WebKitGTK's WebDriver with apt-get"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  WEBDRIVER=$$(apt-cache madison webkitgtk-webdriver | grep -q . && echo webkitgtk-webdriver || echo webkit2gtk-driver) && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) $$WEBDRIVER >/dev/null; \
	fi
	@touch $@

# npm ci when the lockfile's content differs from what node_modules was
# installed from (its sha256, kept in node_modules/.wasync-lock): by content,
# not mtime, so that a fresh checkout or git worktree sharing node_modules
# does not wipe and reinstall it.
npm-deps:
	@sum=$$(sha256sum package-lock.json | cut -c1-64); \
	if [ "$$(cat node_modules/.wasync-lock 2>/dev/null)" != "$$sum" ]; then \
	  npm ci --no-audit --no-fund --loglevel=error && echo "$$sum" > node_modules/.wasync-lock; \
	fi

# ---- builds -------------------------------------------------------------------
lib: deps
	@$(CLI) lib >/dev/null

$(TEST_LIST): $(TEST_SRCS)
	@mkdir -p $(dir $@)
	@{ echo '#define WA_TEST_LIST(T, D) \'; \
	   grep -h -E '^TEST_(IMPL|DEATH)\(' $(TEST_SRCS) | \
	   sed -E 's/^TEST_IMPL\(([a-z0-9_]+)\).*/  T(\1) \\/; s/^TEST_DEATH\((.*)\) *\{.*/  D(\1) \\/'; \
	   echo ''; } > $@

$(BUILD)/native/tests: $(NATIVE_SRCS) $(HEADERS) $(TEST_SRCS) $(TEST_LIST)
	@mkdir -p $(dir $@)
	$(CC_NATIVE) $(NATIVE_CFLAGS) -D_GNU_SOURCE $(NATIVE_SRCS) $(TEST_SRCS) -o $@

$(BUILD)/wasm/tests.mjs: $(CORE_SRCS) $(WASM_BACKEND) $(HEADERS) $(TEST_SRCS) $(TEST_LIST) $(HOST_JS) $(CLI_JS) | deps
	$(CLI) build $(TEST_SRCS) -I$(BUILD)/gen $(WASM_TEST_CFLAGS) -o $@

# The same tests as a debug build: -O0 user code, per-function stack checks.
$(BUILD)/wasm-debug/tests.mjs: $(CORE_SRCS) $(WASM_BACKEND) $(HEADERS) $(TEST_SRCS) $(TEST_LIST) $(HOST_JS) $(CLI_JS) | deps
	$(CLI) build --debug $(TEST_SRCS) -I$(BUILD)/gen $(WASM_TEST_CFLAGS) -o $@

# The same tests on the JSPI backend (run where the engine has JSPI: Node 24+).
$(BUILD)/wasm-jspi/tests.mjs: $(CORE_SRCS) wasm/backend/jspi.c wasm/backend/stack.c wasm/backend/cmain.c wasm/backend/sp.S $(HOST_C) $(HEADERS) $(TEST_SRCS) $(TEST_LIST) $(HOST_JS) $(CLI_JS) | deps
	$(CLI) build --backend=jspi $(TEST_SRCS) -I$(BUILD)/gen $(WASM_TEST_CFLAGS) -o $@

# libFuzzer target over scripts of task/channel/group/timeout/cancel ops and
# misuse. `make fuzz` runs it for FUZZ_SECONDS (default 300); `make test` for
# 30 s unless FUZZ_SECONDS is given.
FUZZ_SECONDS ?= 300
$(BUILD)/fuzz/fuzz_sched: $(NATIVE_SRCS) $(HEADERS) tests/fuzz/fuzz_sched.c | deps
	@mkdir -p $(dir $@)
	clang -std=c11 -Wall -Wextra -Werror -g -O1 -Isrc -D_GNU_SOURCE -DWA_NATIVE_NO_MAIN \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  $(NATIVE_SRCS) tests/fuzz/fuzz_sched.c -o $@

# The hostile HTTP fuzzer (tests/js/hostile.test.mjs): HTTP_FUZZ_COUNT requests
# from a new seed each run (HTTP_FUZZ_SEED=N repeats one). The JS-side fuzzer
# (tests/js/jsfuzz.mjs): random seed unless JSFUZZ_SEED is set.
HTTP_FUZZ_COUNT ?= 3000
HTTP_FUZZ_SEED  ?= $(shell date +%s)
JSFUZZ_ROUNDS   ?= 100000
fuzz: $(BUILD)/fuzz/fuzz_sched
	$(NODE) tests/run-fuzz.mjs $(FUZZ_SECONDS)
	WASYNC_HTTP_FUZZ_COUNT=$(HTTP_FUZZ_COUNT) WASYNC_HTTP_FUZZ_SEED=$(HTTP_FUZZ_SEED) \
	  NODE_OPTIONS=--experimental-vm-modules $(NODE) node_modules/jest/bin/jest.js tests/js/hostile.test.mjs -t 'fuzzer' 
	$(NODE) tests/js/jsfuzz.mjs --rounds $(JSFUZZ_ROUNDS) --seconds $(FUZZ_SECONDS)

native: $(BUILD)/native/tests $(BUILD)/fuzz/fuzz_sched
wasm: $(BUILD)/wasm/tests.mjs $(BUILD)/wasm-debug/tests.mjs $(BUILD)/wasm-jspi/tests.mjs

# ---- tests ----------------------------------------------------------------------
test-c: native wasm
	$(NODE) tests/run-c.mjs

test: deps native wasm web
	@# FUZZ_SECONDS bounds the libFuzzer run (default 30).
	$(NODE) tests/run-all.mjs

# The whole suite again on Debian sid's toolchain (emcc 6, Node 24, npm 12,
# Chromium) in a debootstrap folder under build/, then the Jest suites under
# Node 26. DIST=trixie for Emscripten 3.1.69 (tests/matrix/run.sh).
DIST ?= sid
test-matrix:
	DIST=$(DIST) bash tests/matrix/run.sh

# ---- demo -----------------------------------------------------------------------
$(BUILD)/demo/demo.mjs: examples/demo.c $(CORE_SRCS) $(WASM_BACKEND) $(HEADERS) $(HOST_JS) | deps
	$(CLI) build examples/demo.c -o $@

# examples/demo.mjs starts a local HTTP server and runs the demo against it.
demo: deps $(BUILD)/demo/demo.mjs
	$(NODE) examples/demo.mjs $(BUILD)/demo/demo.mjs

bench: deps
	$(NODE) bench/run.mjs

clean:
	rm -rf $(BUILD)

# ---- browser demos ----------------------------------------------------------------
# web/<demo>/*.c and its page -> build/web/<demo>/ (only what changed is rebuilt).
web: deps
	$(NODE) web/build.mjs

# Serves build/web on http://127.0.0.1:8080/ (PORT=... to change).
serve: web
	$(NODE) web/serve.mjs $(BUILD)/web $${PORT:-8080}
