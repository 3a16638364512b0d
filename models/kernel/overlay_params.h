// Cache-line-granular copy-on-write (page overlays, Seshadri et al., ISCA 2015):
// kernel.cow.granularity and kernel.cow.overlay.*. docs/kernel-model.md has the rules.
#pragma once

#include <cstdint>

#include "models/common/params.h"

namespace cowsim {

// page: Linux's copy-on-write, a write to a shared page copies 4 KiB. line: overlay-on-write.
enum class CowGranularity { kPage, kLine };

struct OverlayParams {
  uint32_t threshold = 32;         // lines; above it the overlay becomes a private page
  uint32_t omt_cache_entries = 64; // OMT cache size (4-way)
  uint32_t lookup = 1;             // per access to a page that has an overlay
  uint32_t omt_hit = 2;
  uint32_t omt_miss = 240;
  uint32_t line_write = 240;       // overlay-on-write of one line, besides the OMT access
  uint32_t create = 1000;          // first write: OMT entry allocation in the write fault

  void declare(ParamRegistry& r) {
    r.add("threshold", threshold, "lines",
          "With kernel.cow.granularity=line: an overlay that would hold more lines than this is converted into a "
          "full private 4 KiB copy (the overlay's lines merged in). 64 never converts; 32 (default) converts when "
          "the overlay would need a 4 KiB segment, as large as the page itself",
          1, 64);
    r.add("omt_cache_entries", omt_cache_entries, "entries",
          "Overlay mapping table (OMT) cache at the memory controller, 4-way set associative (a multiple of 4); "
          "ISCA 2015 models a small OMT cache beside the memory controller (64 entries assumed here)",
          4, 1u << 20);
    r.add("lookup", lookup, "cycles",
          "Every access to a 4 KiB page that has an overlay: checking the line's bit in the overlay bit vector "
          "held with the TLB entry (an assumption: one cycle beside the TLB hit)",
          0, 1u << 20);
    r.add("omt_hit", omt_hit, "cycles",
          "An access to a line held in an overlay (or an overlay-on-write) that finds its OMT entry in the OMT cache",
          0, 1u << 20);
    r.add("omt_miss", omt_miss, "cycles",
          "Same, when the OMT entry must be read from memory: one DRAM access (240 = memory.dram.latency default, "
          "80 ns at 3 GHz)",
          0, 1u << 20);
    r.add("line_write", line_write, "cycles",
          "Overlay-on-write of one line: reading the 64-byte line of the shared page before the store merges into "
          "it (one DRAM access, 240 = memory.dram.latency default), besides the OMT access",
          0, 1u << 20);
    r.add("create", create, "cycles",
          "The write fault that gives a page its overlay: allocating and initialising the OMT entry (instead of "
          "allocating and copying a page); an assumption, about a page allocation's cost",
          0, 1u << 20);
  }
};

}  // namespace cowsim
