// A TLM extension the walker attaches to its PTE transactions: the caches write into it the
// level that served the line, so walks can count PTE reads by where they hit.
#pragma once

#include <tlm>

#include "models/memory/level.h"

namespace cowsim {

struct ServedByExtension : tlm::tlm_extension<ServedByExtension> {
  Level where = Level::kDram;
  tlm::tlm_extension_base* clone() const override { return new ServedByExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { where = static_cast<const ServedByExtension&>(e).where; }
};

}  // namespace cowsim
