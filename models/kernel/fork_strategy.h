// How fork duplicates the page tables of an address space and reconciles parent and child
// afterwards (kernel.fork.strategy). `linux` is copy_page_range as Linux does it; the
// alternatives from the literature (docs/kernel-model.md) plug in here.
#pragma once

#include <cstdint>
#include <memory>

#include "models/kernel/cost.h"
#include "models/kernel/kernel_params.h"

namespace cowsim {

class Kernel;
struct AddressSpace;
struct ForkRecord;
struct Vma;

class ForkStrategy {
 public:
  virtual ~ForkStrategy() = default;
  // Duplicates the page tables of the parent's VMA `v` (of `src`) into `dst` during dup_mmap.
  // Counts what it copies in `rec`, page-table pages it allocates in `tables`, charges deposits
  // to `c`; false if memory ran out (fork then fails with ENOMEM).
  virtual bool copy_page_range(Kernel& k, AddressSpace& dst, AddressSpace& src, const Vma& v, ForkRecord& rec,
                               uint32_t& tables, Cost& c) = 0;
};

// Linux: every entry copied at fork, private writable pages write-protected in both.
class LinuxForkStrategy final : public ForkStrategy {
 public:
  bool copy_page_range(Kernel& k, AddressSpace& dst, AddressSpace& src, const Vma& v, ForkRecord& rec,
                       uint32_t& tables, Cost& c) override;
};

// odf and async: PTE tables shared at fork, copied later (shared_tables.cpp).
std::unique_ptr<ForkStrategy> make_shared_table_strategy();

std::unique_ptr<ForkStrategy> make_fork_strategy(ForkStrategyKind kind);

}  // namespace cowsim
