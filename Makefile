# Thin wrapper over CMake. `make run` and `make test` are the README's quick start.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps configure build run test bench clean docs tutorial fuzz sanitize

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: configure
	@cmake --build $(BUILD) -j $(JOBS) --target cowsim
	@$(BUILD)/platform/cowsim run --out $(BUILD)/default-run

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The standard benchmark workloads at full size (docs/performance.md); results in $(BUILD)/bench.json.
bench: configure
	@cmake --build $(BUILD) -j $(JOBS) --target cowsim
	@$(BUILD)/platform/cowsim bench --size full -o $(BUILD)/bench.json

clean:
	rm -rf $(BUILD)

# Regenerates the generated parts of docs/ from the code.
docs: build
	@python3 scripts/update-docs.py $(BUILD)/platform/cowsim

# Regenerates docs/tutorial.md from docs/tutorial.md.in by running every command it shows (under a minute).
tutorial: configure
	@cmake --build $(BUILD) -j $(JOBS) --target cowsim
	@python3 scripts/make-tutorial.py $(BUILD)/platform/cowsim

# Fuzzes every input reader (fuzz/, docs/reliability.md) with libFuzzer, ASan and UBSan for
# FUZZ_SECONDS each, in the sanitizer build folder (build-sanitize).
FUZZ_SECONDS ?= 60
fuzz: deps
	@bash scripts/fuzz.sh build-sanitize $(FUZZ_SECONDS)

# The sanitizer suite (ASan, UBSan) and a short run of every fuzzer: what CI runs after `make test`.
sanitize: deps
	@bash scripts/sanitize.sh build-sanitize $(or $(FUZZ_CI_SECONDS),25)
