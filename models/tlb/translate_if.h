// SystemC interfaces of the translation path: core -> TLB -> walker, and kernel -> TLB.
#pragma once

#include <systemc>

#include "models/tlb/tlb_control.h"
#include "models/tlb/tlb_hierarchy.h"
#include "models/tlb/translator.h"
#include "models/walker/walk_result.h"

namespace cowsim {

// What the core asks of its MMU for every access.
class TranslateIf : public virtual sc_core::sc_interface, public Translator {};

// What the TLB asks of the page walker on a miss.
class WalkIf : public virtual sc_core::sc_interface, public PageWalker {};

// TLB maintenance the kernel performs on a core's TLB.
class TlbControlIf : public virtual sc_core::sc_interface, public TlbControl {};

}  // namespace cowsim
