#include "models/kernel/copy_engine.h"

#include <stdexcept>
#include <string>

namespace cowsim {

namespace {
[[noreturn]] void bad_size(uint64_t bytes) {
  throw std::logic_error("copy engine: no page of " + std::to_string(bytes) + " bytes");
}
}  // namespace

void CpuNtCopyEngine::copy(Pfn, Pfn, uint64_t bytes, unsigned, Cost& c) {
  if (bytes == kPageSize) return c.add(Step::kCopy, cost_.page_copy);
  if (bytes == kHugePageSize) return c.add(Step::kCopy, cost_.huge_copy);
  if (bytes == kGiantPageSize) return c.add(Step::kCopy, cost_.giant_copy);
  bad_size(bytes);
}

void CpuNtCopyEngine::zero(Pfn, uint64_t bytes, unsigned, Cost& c) {
  if (bytes == kPageSize) return c.add(Step::kZero, cost_.page_zero);
  if (bytes == kHugePageSize) return c.add(Step::kZero, cost_.huge_zero);
  if (bytes == kGiantPageSize) return c.add(Step::kZero, cost_.giant_zero);
  bad_size(bytes);
}

std::unique_ptr<CopyEngine> make_copy_engine(CopyEngineKind kind, const KernelCosts& cost) {
  switch (kind) {
    case CopyEngineKind::kCpuNt: return std::make_unique<CpuNtCopyEngine>(cost);
  }
  throw std::logic_error("unknown copy engine");
}

}  // namespace cowsim
