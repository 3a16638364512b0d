#include "platform/system.h"

namespace cowsim {

KernelParams kernel_params(const SimConfig& cfg) {
  KernelParams k = cfg.kernel;
  k.cost.derive_from(cfg.memory.caches.dram);  // page zeroing and copying cost what DRAM says
  k.dram = cfg.memory.caches.dram;             // copy engines: bandwidth, address map, row timing
  return k;
}

sc_core::sc_time cycle_time(uint32_t frequency_mhz) {
  // Integer femtoseconds per cycle (333333 fs at 3 GHz): cycle counts map to SystemC time
  // exactly, and stay exact for hours of simulated time.
  return sc_core::sc_time::from_value(1'000'000'000ull / frequency_mhz);
}

System::System(sc_core::sc_module_name name, const SimConfig& cfg, trace::NameTable& names,
               Core::StreamFactory streams, bool strict)
    : sc_module(name),
      cycle_(cycle_time(cfg.core.frequency_mhz)),
      phys_(cfg.memory),
      kernel_(kernel_params(cfg), phys_, cfg.walker.levels, cfg.cores, strict, cfg.tlb.pcid),
      memory_("memory", phys_),
      kernel_module_("kernel", kernel_, names, cycle_),
      spans_(names) {
  if (cfg.memory.caches.llc_shared)
    llc_ = std::make_unique<Cache>("llc", cfg.memory.caches.llc, cfg.seed ^ 0x5EED11C0ull, phys_.frame_count() << kPageShift);
  for (unsigned i = 0; i < cfg.cores; ++i) {
    std::string n = std::to_string(i);
    cores_.push_back(std::make_unique<Core>(("core" + n).c_str(), i, cfg.core, cfg.quantum, cfg.kernel.timeslice,
                                            cycle_, streams));
    cores_.back()->record_spans(&spans_);
    cores_.back()->record_marks(&marks_);
    tlbs_.push_back(std::make_unique<TlbModule>(("tlb" + n).c_str(), cfg.tlb, cfg.walker.count, cfg.seed + 64 * i));
    walkers_.push_back(std::make_unique<WalkerModule>(("walker" + n).c_str(), cfg.walker, cycle_, cfg.seed + 64 * i + 48));
    caches_.push_back(std::make_unique<CachesModule>(("caches" + n).c_str(), cfg.memory.caches, cycle_,
                                                      cfg.seed + 64 * i + 56, phys_, llc_.get()));
  }
  // One core cannot contend with itself (DramChannels never queues a core behind its own
  // requests): the channels exist only with two or more, so single-core runs pay nothing.
  if (cfg.memory.caches.dram.contention && cfg.cores > 1) {
    const DramParams& d = cfg.memory.caches.dram;
    channels_ = std::make_unique<DramChannels>(d.map, d.channel_bandwidth, cfg.core.frequency_mhz, cfg.cores);
    kernel_.attach_channels(channels_.get());
  }
  for (unsigned i = 0; i < cfg.cores; ++i) {
    if (channels_)
      caches_[i]->hierarchy().attach_channels(channels_.get(), TimeRef{&cores_[i]->clock().base, &cores_[i]->clock().offset}, i);
    cores_[i]->mmu.bind(tlbs_[i]->cpu);
    cores_[i]->os.bind(kernel_module_.os);
    cores_[i]->fault.bind(kernel_module_.fault);
    tlbs_[i]->walker.bind(walkers_[i]->tlb);
    cores_[i]->data.bind(caches_[i]->cpu);
    walkers_[i]->mem.bind(caches_[i]->walk);
    walkers_[i]->direct.bind(caches_[i]->pte);  // the path walks take: plain calls, no TLM payload
    caches_[i]->mem.bind(memory_.bus);
    kernel_module_.tlbs.bind(tlbs_[i]->control);
    kernel_.attach_caches(i, &caches_[i]->hierarchy());
  }
}

void System::report(StatSink& s) const {
  {
    StatSink::Scope c(s, "cores");
    for (size_t i = 0; i < cores_.size(); ++i) {
      StatSink::Scope n(s, std::to_string(i));
      cores_[i]->report(s);
      s.counter("walks", walkers_[i]->logic().walks(), "walks", "Page-table walks on this core");
      {
        StatSink::Scope t(s, "tlb");
        tlbs_[i]->report(s);
      }
      {
        StatSink::Scope w(s, "walker");
        walkers_[i]->logic().report(s);
      }
      StatSink::Scope m(s, "caches");
      caches_[i]->hierarchy().report(s);
    }
  }
  if (llc_) {
    StatSink::Scope l(s, "llc");
    llc_->report(s);
  }
  if (channels_) {
    StatSink::Scope d(s, "dram");
    channels_->report(s);
  }
  {
    StatSink::Scope k(s, "kernel");
    kernel_.report(s);
  }
  if (!spans_.empty()) spans_.report(s);
}

void System::rethrow_errors() const {
  for (const auto& c : cores_)
    if (c->error()) std::rethrow_exception(c->error());
}

}  // namespace cowsim
