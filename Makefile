# wasync — `make demo` runs the demo, `make test` runs every test suite.
# Both install what they need first (make deps).

NODE      ?= node
CLI       := $(NODE) js/cli.mjs
CC_NATIVE ?= gcc
BUILD     := build

CORE_SRCS   := $(filter-out src/host_native.c,$(wildcard src/*.c))
NATIVE_SRCS := $(CORE_SRCS) src/backend/native.c src/host_native.c
HEADERS     := $(wildcard src/*.h)
TEST_SRCS   := $(wildcard tests/c/*.c)
TEST_LIST   := $(BUILD)/gen/test-list.h

NATIVE_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -O1 -Isrc -I$(BUILD)/gen \
                 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all deps lib demo test test-c bench clean native wasm

all: lib

# ---- set-up -------------------------------------------------------------------
# Debian packages (emscripten, binaryen, chromium) and npm packages from the
# lockfile; each step is skipped when already done.
deps: $(BUILD)/.deps-apt node_modules/.package-lock.json

$(BUILD)/.deps-apt:
	@mkdir -p $(BUILD)
	@if ! command -v emcc >/dev/null || ! command -v wasm-opt >/dev/null || ! command -v chromium >/dev/null; then \
	  echo "make deps: installing emscripten binaryen chromium with apt-get"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq emscripten binaryen chromium >/dev/null; \
	fi
	@touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

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

$(BUILD)/wasm/tests.mjs: $(CORE_SRCS) src/backend/asyncify.c $(HEADERS) $(TEST_SRCS) $(TEST_LIST) wasm/library_wasync.js js/build.mjs js/wrap.mjs | deps
	$(CLI) build $(TEST_SRCS) -I$(BUILD)/gen -o $@

native: $(BUILD)/native/tests
wasm: $(BUILD)/wasm/tests.mjs

# ---- tests ----------------------------------------------------------------------
test-c: native wasm
	$(NODE) tests/run-c.mjs

test: deps native wasm
	$(NODE) tests/run-all.mjs

# ---- demo -----------------------------------------------------------------------
$(BUILD)/demo/demo.mjs: examples/demo.c $(CORE_SRCS) src/backend/asyncify.c $(HEADERS) wasm/library_wasync.js | deps
	$(CLI) build examples/demo.c -o $@

demo: deps $(BUILD)/demo/demo.mjs
	$(NODE) $(BUILD)/demo/demo.mjs

bench: deps
	$(NODE) bench/run.mjs

clean:
	rm -rf $(BUILD)
