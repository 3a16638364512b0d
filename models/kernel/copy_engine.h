// How the kernel copies or zeroes a page (Linux's copy_mc_user_highpage / clear_user_highpage,
// copy_user_large_folio / folio_zero_user): the one place where page copy and zero cycles are
// charged, for 4 KiB, 2 MiB (THP) and 1 GiB (hugetlb) pages alike. Selected by
// kernel.copy.engine; docs/kernel-model.md lists the engines.
#pragma once

#include <cstdint>
#include <memory>

#include "models/common/types.h"
#include "models/kernel/cost.h"
#include "models/kernel/kernel_params.h"

namespace cowsim {

class CopyEngine {
 public:
  virtual ~CopyEngine() = default;
  // Copies `bytes` (a whole 4 KiB, 2 MiB or 1 GiB page) from frame `src` to frame `dst` for a
  // fault or system call taken on `core`, adding the cycles to `c`.
  virtual void copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) = 0;
  // Zeroes `bytes` at frame `dst`.
  virtual void zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) = 0;
};

// cpu_nt: the faulting core streams the page with non-temporal stores (Linux's clear_page_erms /
// copy_page on x86-64), so the cost is the DRAM stream time of KernelCosts (derive_from).
class CpuNtCopyEngine final : public CopyEngine {
 public:
  explicit CpuNtCopyEngine(const KernelCosts& cost) : cost_(cost) {}
  void copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;
  void zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;

 private:
  const KernelCosts& cost_;
};

std::unique_ptr<CopyEngine> make_copy_engine(CopyEngineKind kind, const KernelCosts& cost);

}  // namespace cowsim
