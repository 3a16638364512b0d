// The SystemC-free Walker behind the TLB hierarchy's PageWalker interface, for machines built
// without modules (fuzz/tiny_machine.cpp, tests); WalkerModule is the same over TLM.
#pragma once

#include "models/tlb/tlb_hierarchy.h"
#include "models/walker/walker.h"

namespace cowsim {

class DirectWalker final : public PageWalker {
 public:
  explicit DirectWalker(Walker& w) : w_(w) {}
  WalkResult walk(Pfn root, VirtAddr va, AccessType type, uint16_t pcid) override { return w_.walk(root, va, type, pcid); }
  void flush_caches(uint16_t pcid) override { w_.flush_caches(pcid); }
  void flush_caches() override { w_.flush_caches(); }
  void invalidate_caches(VirtAddr va, uint16_t pcid) override { w_.invalidate_caches(va, pcid); }
  PhysAddr prefetch_path(Pfn root, VirtAddr va) override { return w_.prefetch_path(root, va); }
  void prefetch_leaf(PhysAddr leaf) override { w_.prefetch_leaf(leaf); }

 private:
  Walker& w_;
};

}  // namespace cowsim
