// Parameters of the data-cache hierarchy (L1D, L2, LLC) and of DRAM. Defaults model one
// Intel Skylake-SP core at 3 GHz; each description names its source. The caller declares
// them under `memory.`, so the paths are memory.l1d.size, memory.dram.bandwidth, ...
#pragma once

#include <cmath>

#include <cstdint>
#include <string>

#include "models/common/params.h"
#include "models/common/replacement.h"
#include "models/memory/dram_map.h"

namespace cowsim {

// One set-associative cache level. Sets = size / (ways * line) must be a power of two; the
// Cache constructor checks the geometry (the registry only checks each value's range).
struct CacheLevelParams {
  uint64_t size = 32 * 1024;
  uint32_t ways = 8;
  uint32_t line = 64;
  uint32_t latency = 4;
  ReplacementKind policy = ReplacementKind::kLru;

  // `what` names the level in the descriptions, `source` says where the defaults come from.
  void declare(ParamRegistry& r, const std::string& what, const std::string& source) {
    r.add("size", size, "bytes",
          ("Capacity of the " + what + "; size / (ways x line) sets, a power of two (" + source + ")").c_str(),
          64, uint64_t{1} << 40);
    r.add("ways", ways, "ways", ("Associativity of the " + what).c_str(), 1, 65536);
    r.add("line", line, "bytes", ("Line size of the " + what + "; a power of two").c_str(), 8, 4096);
    r.add("latency", latency, "cycles",
          ("Load-to-use latency of an access that hits in the " + what + ", not added to the levels above (" + source +
           ")").c_str(),
          0, 100000);
    r.add_enum("policy", policy, ("Replacement policy of the " + what + "; plru needs power-of-two ways").c_str(),
               replacement_names());
  }
};

struct DramParams {
  uint32_t latency = 240;
  double bandwidth = 4.0;
  bool contention = true;            // shared channels (models/memory/dram_channels.h)
  uint32_t channel_bandwidth = 21333;  // MB/s per channel
  DramMapParams map;        // read by the rowclone copy engine and same_subarray allocation only
  DramTimingParams timing;  // likewise

  void declare(ParamRegistry& r) {
    r.add("latency", latency, "cycles",
          "Load-to-use latency of an access that misses every cache level; 240 = 80 ns at 3 GHz, typical "
          "local-DRAM latency of a Skylake-SP server",
          0, 1000000);
    r.add("bandwidth", bandwidth, "bytes/cycle",
          "DRAM bandwidth one core gets for page zeroing and copying, in bytes of traffic per core cycle "
          "(a copy moves 2x its size: read + write). 4.0 = 12 GB/s at 3 GHz, i.e. a 6 GB/s memcpy: "
          "docs/sources.md (numbers), memcpy 4 KiB from DRAM 0.7-0.9 us, VM memcpy ~6 GB/s",
          0.01, 4096.0);
    r.add("contention", contention,
          "Cores share the memory channels (memory.dram.map.channel_bits of them): page copies, zeroing and line "
          "misses queue first come, first served at channel_bandwidth, and the wait is reported as its own fault "
          "step (dram_wait). false: every transfer costs its fixed time, as if it had DRAM to itself");
    r.add("channel_bandwidth", channel_bandwidth, "MB/s",
          "Peak bandwidth of one memory channel, shared by all cores; converted to bytes per cycle at "
          "core.frequency_mhz (21333 MB/s = 7.11 bytes/cycle at 3 GHz). DDR4-2666: 2666.67 MT/s x 8-byte bus = "
          "21,333 MB/s (JEDEC JESD79-4 speed bins)",
          1, 10000000);
    {
      ParamRegistry::Scope s(r, "map");
      map.declare(r);
    }
    {
      ParamRegistry::Scope s(r, "timing");
      timing.declare(r);
    }
  }
};

// Cycles to stream `moved` bytes through DRAM (zeroing moves a page once, copying twice):
// one DRAM latency, then the bytes at the configured bandwidth.
inline Cycles dram_stream_cycles(const DramParams& d, uint64_t moved) {
  if (moved == 0) return Cycles{0};
  return Cycles{d.latency + static_cast<uint64_t>(std::ceil(static_cast<double>(moved) / d.bandwidth))};
}

struct MemoryHierarchyParams {
  // Skylake-SP: L1D 32 KiB 8-way 4 cycles; L2 1 MiB 16-way 14 cycles (Intel 64 and IA-32
  // Architectures Optimization Reference Manual, Skylake Server cache parameters; AnandTech's
  // Skylake-SP review measures 4 and 11-13 cycles); LLC 1.375 MiB per core 11-way
  // non-inclusive, 77 cycles measured (AnandTech): here 8 slices = 11 MiB, 16384 sets.
  // Tree-PLRU for L1D/L2 (power-of-two ways, the usual description of Intel's L1/L2);
  // LRU for the 11-way LLC, where tree-PLRU is impossible.
  CacheLevelParams l1d{32 * 1024, 8, 64, 4, ReplacementKind::kTreePlru};
  CacheLevelParams l2{1024 * 1024, 16, 64, 14, ReplacementKind::kTreePlru};
  CacheLevelParams llc{11 * 1024 * 1024, 11, 64, 77, ReplacementKind::kLru};
  bool llc_shared = true;
  DramParams dram;

  void declare(ParamRegistry& r) {
    {
      ParamRegistry::Scope s(r, "l1d");
      l1d.declare(r, "L1 data cache", "Skylake-SP: 32 KiB, 8-way, 4 cycles; Intel optimization manual");
    }
    {
      ParamRegistry::Scope s(r, "l2");
      l2.declare(r, "L2 cache", "Skylake-SP: 1 MiB, 16-way, 14 cycles; Intel optimization manual");
    }
    {
      ParamRegistry::Scope s(r, "llc");
      llc.declare(r, "last-level cache",
                  "Skylake-SP: 1.375 MiB/core, 11-way, 77 cycles (AnandTech Skylake-SP review); default 8 cores = "
                  "11 MiB");
      r.add("shared", llc_shared,
            "One LLC shared by every core (as on Skylake-SP, Ice Lake-SP and within a Zen 3 CCD): walks and data of "
            "one core warm or evict lines for the others. false: a private LLC of this size per core");
    }
    {
      ParamRegistry::Scope s(r, "dram");
      dram.declare(r);
    }
  }
};

}  // namespace cowsim
