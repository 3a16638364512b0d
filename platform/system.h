// The top sc_module: a whole simulated machine assembled from a SimConfig.
//
//   core[i] --mmu--> tlb[i] --walker--> walker[i] ==mem (TLM)==> caches[i] ==mem (TLM)==> memory
//                                       walker[i] --direct--> caches[i] (PTE accesses go this way)
//   core[i] --data--> caches[i]          caches[*] share one LLC unless memory.llc.shared = false
//   core[i] ==fault (TLM)==> kernel;  core[i] --os--> kernel;  kernel --tlbs[i]--> tlb[i]
#pragma once

#include <memory>
#include <vector>

#include <systemc>

#include "models/core/core.h"
#include "models/kernel/kernel.h"
#include "models/kernel/kernel_module.h"
#include "models/memory/caches.h"
#include "models/memory/dram_channels.h"
#include "models/memory/memory.h"
#include "models/memory/physical_memory.h"
#include "models/tlb/tlb_module.h"
#include "models/walker/walker_module.h"
#include "platform/sim_config.h"

namespace cowsim {

class System : public sc_core::sc_module {
 public:
  System(sc_core::sc_module_name name, const SimConfig& cfg, trace::NameTable& names, Core::StreamFactory streams,
         bool strict);
  const char* kind() const override { return "cowsim::System"; }

  sc_core::sc_time cycle() const { return cycle_; }
  Kernel& kernel() { return kernel_; }
  const PhysicalMemory& physical_memory() const { return phys_; }
  const Kernel& kernel() const { return kernel_; }
  const KernelModule& kernel_module() const { return kernel_module_; }
  KernelModule& kernel_module() { return kernel_module_; }
  const std::vector<std::unique_ptr<Core>>& cores() const { return cores_; }
  const std::vector<std::unique_ptr<TlbModule>>& tlbs() const { return tlbs_; }
  const std::vector<std::unique_ptr<WalkerModule>>& walkers() const { return walkers_; }
  void report(StatSink& s) const;  // cores.*, kernel.*, dram.* with contention, spans.* when the trace has spans
  const SpanStats& spans() const { return spans_; }
  // Where `roi begin` / `roi end` records go (platform/marks.h); before the simulation starts.
  void on_mark(MarkHook hook) { marks_ = std::move(hook); }
  void rethrow_errors() const;     // an exception a core thread stopped on

 private:
  sc_core::sc_time cycle_;
  PhysicalMemory phys_;
  Kernel kernel_;
  Memory memory_;
  KernelModule kernel_module_;
  SpanStats spans_;
  MarkHook marks_;
  std::unique_ptr<Cache> llc_;  // the shared LLC, when there is one
  std::unique_ptr<DramChannels> channels_;  // memory.dram.contention: the channels all cores share
  std::vector<std::unique_ptr<Core>> cores_;
  std::vector<std::unique_ptr<TlbModule>> tlbs_;
  std::vector<std::unique_ptr<WalkerModule>> walkers_;
  std::vector<std::unique_ptr<CachesModule>> caches_;
};

// The kernel's parameters with the page zero/copy costs derived from the memory model.
KernelParams kernel_params(const SimConfig& cfg);

// The duration of one core cycle on SystemC's time axis (resolution 1 fs).
sc_core::sc_time cycle_time(uint32_t frequency_mhz);

}  // namespace cowsim
