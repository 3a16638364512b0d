// What the importer knows about one process's address space at a point in its log: the
// mappings its imported system calls made (plus the pages it found mapped before the log
// starts), the pages those calls ever changed, its program break and open files. A child
// starts with a copy of its parent's state at the fork.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "traces/lackey/range_map.h"

namespace cowsim::lackey {

constexpr uint64_t kPageShift = 12;
constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;
// Linux's default vm.mmap_min_addr: nothing is ever mapped below it, so an access there is a
// real fault (a null-pointer dereference) and no mapping is made up for it.
constexpr uint64_t kMinMapPage = 0x10000 >> kPageShift;

inline uint64_t page_of(uint64_t addr) { return addr >> kPageShift; }
// Pages needed to hold `len` bytes, without overflowing.
inline uint64_t pages_for(uint64_t len) { return len / kPageSize + (len % kPageSize != 0); }

struct Mapping {
  uint8_t prot = 0;      // trace::Prot bits
  uint8_t flags = 0;     // trace::MapFlags
  uint32_t name = 0;     // trace::NameTable id when flags has kMapFile
  bool synthesised = false;  // made up by the importer, not by an imported system call
  friend bool operator==(const Mapping& a, const Mapping& b) {
    return a.prot == b.prot && a.flags == b.flags && a.name == b.name && a.synthesised == b.synthesised;
  }
};

struct Touched {
  friend bool operator==(const Touched&, const Touched&) { return true; }
};

struct ProcessState {
  RangeMap<Mapping> mapped;   // pages the importer knows to be mapped, by page number
  RangeMap<Touched> touched;  // pages an imported mmap/munmap/mremap/brk ever changed
  uint64_t brk = 0;           // the program break; 0 until the first brk call tells it
  std::map<uint64_t, std::string> files;  // open file descriptors: fd -> path
  uint32_t image = 0;         // the program image: a root's, or the one an exec started
  std::vector<uint32_t> children;  // forked and not yet waited for
};

}  // namespace cowsim::lackey
