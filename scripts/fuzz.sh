#!/usr/bin/env bash
# `make fuzz`: builds the harnesses of fuzz/ with clang-14, libFuzzer, ASan and UBSan in their
# own build folder (shared with `make sanitize`, configured the same way), then runs each for
# FUZZ_SECONDS (docs/reliability.md).
#   scripts/fuzz.sh [BUILD_DIR] [SECONDS] [HARNESS...]
# The growing corpus is kept in BUILD_DIR/corpus/NAME (seeded from fuzz/seeds/NAME); crashes
# land in BUILD_DIR/crashes/NAME/. Exit 1 if any harness found a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-sanitize}
seconds=${2:-60}
shift $(( $# > 2 ? 2 : $# ))
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(text_trace binary_trace lackey config scenario simulate sweep_spec)
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link -fno-omit-frame-pointer -g -O1"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DCOWSIM_FUZZ=ON \
    -DBUILD_TESTING=ON -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) >/dev/null
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("${h}_fuzzer"); done
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "${targets[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for h in "${harnesses[@]}"; do
  corpus="$build/corpus/$h" crashes="$build/crashes/$h"
  mkdir -p "$corpus" "$crashes"
  dict=()
  case $h in
    text_trace|binary_trace|simulate) dict=(-dict=fuzz/trace.dict) ;;
    lackey) dict=(-dict=fuzz/lackey.dict) ;;
    sweep_spec) dict=(-dict=fuzz/sweep_spec.dict) ;;
  esac
  echo "== $h: ${seconds}s"
  if ! "$build/fuzz/${h}_fuzzer" "$corpus" "fuzz/seeds/$h" "${dict[@]}" -max_total_time="$seconds" \
      -rss_limit_mb=2048 -max_len=16384 -timeout=20 -print_final_stats=1 -artifact_prefix="$crashes/" \
      >"$build/$h.log" 2>&1; then
    echo "$h: CRASH, see $build/$h.log and $crashes/"
    failed=1
  fi
  grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb" "$build/$h.log" | sed "s/^/  /" || true
done
exit $failed
