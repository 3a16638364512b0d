// kernel.copy.engine and its DRAM map from the command line: bad values are errors naming the
// key (exit 2, nothing written), and a whole scenario runs through each engine.
#include <filesystem>

#include <gtest/gtest.h>

#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

namespace fs = std::filesystem;

TEST(CopyEngineCli, UnknownEngineNamesTheKeyAndTheChoices) {
  const std::string out = temp_dir();
  CliResult r = cli("run --scenario drill-write --param heap=1M --set kernel.copy.engine=blitter --out " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("kernel.copy.engine"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rowclone"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/stats.json"));
}

TEST(CopyEngineCli, AnAddressMapThatDoesNotCoverMemoryIsAnError) {
  const std::string out = temp_dir();
  // 13 + 1 + 4 + 1 + 10 bits = 512 MiB, memory.size 64 GiB.
  CliResult r = cli("run --scenario drill-write --param heap=1M --set kernel.copy.engine=rowclone "
                    "--set memory.dram.map.row_bits=10 --out " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("memory.dram.map.row_bits"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/stats.json"));
}

// drill-write of 1 MiB: 256 CoW copies. With same_subarray every copy finds a frame in the
// source's subarray (the heap fills a small part of the first 256 MiB subarray region), so all
// 256 are FPM: 256 x 235 cycles of copy, plus the write-back of any of the parent's dirty lines
// still cached (L + 64 x lines / 4 each time some are found).
TEST(CopyEngineCli, DrillWriteWithRowCloneAndSameSubarrayIsAllFpm) {
  const std::string out = temp_dir();
  CliResult r = cli("run --scenario drill-write --param heap=1M --set kernel.copy.engine=rowclone "
                    "--set kernel.alloc.policy=same_subarray --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json s = stable_stats(out + "/stats.json");
  EXPECT_EQ(at(s, "kernel.faults.cow_copy.latency.count"), 256u);
  EXPECT_EQ(at(s, "kernel.copy_engine.rowclone.fpm.pages"), 256u);
  EXPECT_EQ(at(s, "kernel.copy_engine.rowclone.fpm.cycles"), 256u * 235);
  EXPECT_EQ(at(s, "kernel.alloc.same_subarray_hits"), 256u);
  EXPECT_EQ(at(s, "kernel.copy_engine.rowclone.psm.pages") + at(s, "kernel.copy_engine.rowclone.cpu.pages"), 0u);
}

// The cpu engine's loads and stores show up under the `kernel` requester of the faulting
// core's caches: at least one L1D access per line copied (64 reads + 64 writes per page).
TEST(CopyEngineCli, CpuEngineTrafficIsTheKernelRequesters) {
  const std::string out = temp_dir();
  CliResult r = cli("run --scenario drill-write --param heap=1M --set kernel.copy.engine=cpu --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json s = stable_stats(out + "/stats.json");
  uint64_t kernel_l1 = 0;
  for (const auto& [core, c] : s["cores"].items())
    kernel_l1 += c["caches"]["l1d"]["kernel"]["hits"].get<uint64_t>() + c["caches"]["l1d"]["kernel"]["misses"].get<uint64_t>();
  // 256 CoW copies x 128 accesses, plus the parent's 256 zero fills x 64 writes.
  EXPECT_EQ(kernel_l1, 256u * 128 + 256u * 64);
  EXPECT_EQ(at(s, "kernel.copy_engine.cpu.copies"), 256u);
}

}  // namespace
}  // namespace cowsim::test
