// Parameters of the page copy/zero engines (models/kernel/copy_engine.h), declared under
// kernel.copy, kernel.zero and kernel.alloc. docs/kernel-model.md explains the engines.
#pragma once

#include <cstdint>

#include "models/common/params.h"

namespace cowsim {

// How pages are copied and zeroed (models/kernel/copy_engine.h).
enum class CopyEngineKind { kCpuNt, kCpu, kDma, kRowClone };
// kernel.zero.engine: `copy` = whatever kernel.copy.engine is, else an engine of its own.
enum class ZeroEngineKind { kCopy, kCpuNt, kCpu, kDma, kRowClone };
enum class DmaWait { kPoll, kSleep };
enum class AllocPolicy { kDefault, kSameSubarray };

struct CopyEngineParams {
  CopyEngineKind engine = CopyEngineKind::kCpuNt;
  ZeroEngineKind zero_engine = ZeroEngineKind::kCopy;
  AllocPolicy alloc_policy = AllocPolicy::kDefault;
  uint32_t cpu_mlp = 10;
  uint32_t dma_setup = 1500;
  double dma_bandwidth = 4.0;
  DmaWait dma_wait = DmaWait::kPoll;
  uint32_t invalidate_line = 4;
  uint32_t same_subarray_scan = 4096;

  // Called in scope "kernel".
  void declare(ParamRegistry& r) {
    {
      ParamRegistry::Scope s(r, "copy");
      r.add_enum("engine", engine,
                 "How pages (4 KiB, 2 MiB, 1 GiB) are copied and zeroed: cpu_nt (the faulting core streams them "
                 "with non-temporal stores at DRAM bandwidth, kernel.cost.page_copy and relatives), cpu (loads and "
                 "stores through the core's L1D/L2/LLC), dma (an on-chip copy engine), rowclone (in-DRAM copy, "
                 "Seshadri et al. MICRO 2013: FPM within a subarray, PSM between banks, cpu_nt otherwise)",
                 {"cpu_nt", "cpu", "dma", "rowclone"});
      r.add("cpu_mlp", cpu_mlp, "lines",
            "cpu engine: cache-line accesses of a copy in flight at once (Skylake-SP: 10 L1D fill buffers; Intel "
            "optimization manual); a copy costs the sum of its lines' latencies over this, at least its DRAM bytes "
            "over memory.dram.bandwidth",
            1, 1024);
      r.add("dma_setup", dma_setup, "cycles",
            "dma engine: writing the descriptor, ringing the doorbell (an uncached MMIO write) and reading the "
            "completion record, per copy or zero. 1500 = 0.5 us: an assumption of this model, not a measurement",
            0, 1u << 30);
      r.add("dma_bandwidth", dma_bandwidth, "bytes/cycle",
            "dma engine: bytes of DRAM traffic per core cycle (a copy moves 2x its size); 4.0 = the default "
            "memory.dram.bandwidth, since the engine copies through the same DRAM",
            0.01, 4096.0);
      r.add_enum("dma_wait", dma_wait,
                 "dma engine: the faulting core polls the completion record (poll) or sleeps and is woken "
                 "(sleep: two context switches, kernel.cost.context_switch, on top of the transfer)",
                 {"poll", "sleep"});
      r.add("invalidate_line", invalidate_line, "cycles",
            "dma and rowclone engines: invalidating one cached destination line (a tag write; Skylake-SP L1D "
            "latency)",
            0, 1u << 20);
    }
    {
      ParamRegistry::Scope s(r, "zero");
      r.add_enum("engine", zero_engine,
                 "How pages are zeroed: copy (the kernel.copy.engine), or one of its engines; rowclone zeroes with "
                 "FPM from a reserved zero row of the destination's subarray",
                 {"copy", "cpu_nt", "cpu", "dma", "rowclone"});
    }
    {
      ParamRegistry::Scope s(r, "alloc");
      r.add_enum("policy", alloc_policy,
                 "Where a copy-on-write fault's new 4 KiB frame comes from: default (the next free frame) or "
                 "same_subarray (a free frame in the source's DRAM subarray at the same place in the row, "
                 "memory.dram.map, so RowClone FPM can copy it; the next free frame if none is found)",
                 {"default", "same_subarray"});
      r.add("same_subarray_scan", same_subarray_scan, "frames",
            "same_subarray: free frames examined per allocation before giving up (bounds the search)", 1, 1u << 30);
    }
  }
};

}  // namespace cowsim
