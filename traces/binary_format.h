// Byte layout of the binary encoding (.cwb), shared by its reader and writer. The op codes
// and advice codes are the file format's own numbering (docs/trace-format.md, "Binary
// encoding"), deliberately independent of the enums in record.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <iterator>

#include "traces/record.h"

namespace cowsim::trace::binary {

// PNG-style: a high-bit byte catches 7-bit channels, CR LF catches CRLF->LF conversion,
// ^Z stops DOS `type`, and the final LF catches LF->CRLF conversion.
constexpr char kMagic[8] = {'\x89', 'C', 'W', 'B', '\r', '\n', '\x1a', '\n'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 16;
constexpr size_t kSlotSize = 16;
constexpr uint64_t kNoString = UINT64_MAX;  // mmap z of an anonymous mapping

enum Code : uint8_t {
  kString = 0x01,  // pid = string id, b = length, then ceil(length/16) slots of bytes
  kEnd = 0x02,     // last slot of every file; all other bytes zero
  kMmap = 0x10, kMunmap = 0x11, kMprotect = 0x12, kMadvise = 0x13,
  kRead = 0x20, kWrite = 0x21, kFetch = 0x22,                 // single access
  kReadRange = 0x24, kWriteRange = 0x25, kFetchRange = 0x26,  // range of accesses
  kCompute = 0x30,
  kFork = 0x40, kVfork = 0x41, kExec = 0x42, kExit = 0x43, kWait = 0x44,
  kCpu = 0x50,
  kPost = 0x60, kAwait = 0x61, kSnapshot = 0x62,
  kRoiBegin = 0x63, kRoiEnd = 0x64,
  kSpanBegin = 0x70, kSpanEnd = 0x71,  // a = SpanArrival, x = string id, y = ns
};

// Which slot fields an op uses; every other field is reserved and must be zero.
enum Uses : uint8_t { kUseA = 1, kUseB = 2, kUseX = 4, kUseY = 8, kUseZ = 16 };

struct OpSpec {
  Code code;
  Op op;
  bool range;
  uint8_t slots;  // 1, or 2 when y and z are used
  uint8_t uses;
};

constexpr OpSpec kOpSpecs[] = {
    {kMmap, Op::kMmap, false, 2, kUseA | kUseB | kUseX | kUseY | kUseZ},
    {kMunmap, Op::kMunmap, false, 2, kUseX | kUseY},
    {kMprotect, Op::kMprotect, false, 2, kUseA | kUseX | kUseY},
    {kMadvise, Op::kMadvise, false, 2, kUseA | kUseX | kUseY},
    {kRead, Op::kRead, false, 1, kUseB | kUseX},
    {kWrite, Op::kWrite, false, 1, kUseB | kUseX},
    {kFetch, Op::kFetch, false, 1, kUseB | kUseX},
    {kReadRange, Op::kRead, true, 2, kUseB | kUseX | kUseY | kUseZ},
    {kWriteRange, Op::kWrite, true, 2, kUseB | kUseX | kUseY | kUseZ},
    {kFetchRange, Op::kFetch, true, 2, kUseB | kUseX | kUseY | kUseZ},
    {kCompute, Op::kCompute, false, 1, kUseX},
    {kFork, Op::kFork, false, 1, kUseX},
    {kVfork, Op::kVfork, false, 1, kUseX},
    {kExec, Op::kExec, false, 1, 0},
    {kExit, Op::kExit, false, 1, 0},
    {kWait, Op::kWait, false, 1, kUseX},
    {kCpu, Op::kCpu, false, 1, kUseX},
    {kPost, Op::kPost, false, 1, kUseX},
    {kAwait, Op::kAwait, false, 1, kUseX},
    {kSnapshot, Op::kSnapshot, false, 1, kUseX},
    {kSpanBegin, Op::kSpanBegin, false, 2, kUseA | kUseX | kUseY},
    {kSpanEnd, Op::kSpanEnd, false, 1, kUseX},
    {kRoiBegin, Op::kRoiBegin, false, 1, kUseX},
    {kRoiEnd, Op::kRoiEnd, false, 1, kUseX},
};

// madvise advice as stored in slot field a.
constexpr Advice kAdviceByCode[] = {Advice::kDontfork,   Advice::kDofork,   Advice::kWipeonfork,
                                    Advice::kKeeponfork, Advice::kHugepage, Advice::kNohugepage,
                                    Advice::kDontneed};
constexpr uint8_t advice_code(Advice a) {
  for (uint8_t c = 0; c < std::size(kAdviceByCode); ++c)
    if (kAdviceByCode[c] == a) return c;
  return UINT8_MAX;
}

// prot (field a) and mmap flags (field b) are bit sets the format defines as these values.
static_assert(kProtRead == 1 && kProtWrite == 2 && kProtExec == 4);
static_assert(kMapShared == 1 && kMapFile == 2 && kMapHuge1G == 4);

// Little-endian loads and stores; memcpy keeps them alignment-safe and compiles to one move.
template <class T>
inline T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  if constexpr (sizeof v == 2) v = __builtin_bswap16(v);
  if constexpr (sizeof v == 4) v = __builtin_bswap32(v);
  if constexpr (sizeof v == 8) v = __builtin_bswap64(v);
#endif
  return v;
}

template <class T>
inline void store(char* p, T v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  if constexpr (sizeof v == 2) v = __builtin_bswap16(v);
  if constexpr (sizeof v == 4) v = __builtin_bswap32(v);
  if constexpr (sizeof v == 8) v = __builtin_bswap64(v);
#endif
  std::memcpy(p, &v, sizeof v);
}

// One 16-byte slot, decoded: [u8 op][u8 a][u16 b][u32 pid][u64 x], or [u64 y][u64 z].
struct Slot {
  uint8_t op = 0;
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t pid = 0;
  uint64_t x = 0;
};

inline Slot load_slot(const char* p) {
  return Slot{static_cast<uint8_t>(p[0]), static_cast<uint8_t>(p[1]), load<uint16_t>(p + 2),
              load<uint32_t>(p + 4), load<uint64_t>(p + 8)};
}

inline void store_slot(char* p, const Slot& s) {
  p[0] = static_cast<char>(s.op);
  p[1] = static_cast<char>(s.a);
  store<uint16_t>(p + 2, s.b);
  store<uint32_t>(p + 4, s.pid);
  store<uint64_t>(p + 8, s.x);
}

}  // namespace cowsim::trace::binary
