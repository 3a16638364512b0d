#!/usr/bin/env bash
# `make sanitize` (and CI, .ci/run): one clang-14 build with AddressSanitizer (leaks included)
# and UndefinedBehaviorSanitizer, used twice:
#  1. the sanitizer suite: the SystemC-free unit tests (every model block, the trace and Lackey
#     readers) and the whole-run platform tests that are quick (run, CLI, configuration,
#     limits, invariants), each a ctest of the sanitized cowsim; docs/reliability.md says why these;
#  2. a short run of every fuzzer (FUZZ_SECONDS each, default 25) over its seeds and corpus.
#   scripts/sanitize.sh [BUILD_DIR] [FUZZ_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-sanitize}
seconds=${2:-25}
start=$(date +%s)
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link -fno-omit-frame-pointer -g -O1"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DCOWSIM_FUZZ=ON \
    -DBUILD_TESTING=ON -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) >/dev/null
fi
tests=(common_test memory_test memory_hierarchy_test tlb_test walker_test kernel_test core_test traces_test lackey_test
       platform_run_test platform_cli_test platform_config_test platform_limits_test platform_invariants_test)
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target cowsim "${tests[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Exactly the tests of the executables built above: the others are not built, so ctest lists
# them as *_NOT_BUILT (or not at all); the tutorial check is a Release-build concern, and the
# invariant-exit test needs its test tool (cowsim-corrupting), built only by `make test`.
(cd "$build" && ctest -j "${JOBS:-$(nproc)}" --output-on-failure -E '_NOT_BUILT$|^Tutorial\.|Validation|^Platform\.InvariantViolationExitsOne$')
echo "sanitizer suite: $(( $(date +%s) - start )) s"
bash scripts/fuzz.sh "$build" "$seconds"
echo "sanitize total: $(( $(date +%s) - start )) s"
