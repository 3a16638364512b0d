// The x86-64 Linux system-call numbers and flag bits the Lackey importer interprets.
// Valgrind prints the number in `SYSCALL[pid,tid](NR)`; names vary (`sys_fork` for vfork).
#pragma once

#include <cstdint>

namespace cowsim::lackey::sys {

enum Number : uint32_t {
  kRead = 0, kOpen = 2, kClose = 3, kMmap = 9, kMprotect = 10, kMunmap = 11, kBrk = 12,
  kMremap = 25, kMadvise = 28, kDup = 32, kDup2 = 33, kClone = 56, kFork = 57, kVfork = 58,
  kExecve = 59, kExit = 60, kWait4 = 61, kCreat = 85, kExitGroup = 231, kOpenat = 257,
  kDup3 = 292, kMemfdCreate = 319, kExecveat = 322,
};

// mmap(2) flags and protection.
constexpr uint64_t kMapShared = 0x01, kMapSharedValidate = 0x03, kMapAnonymous = 0x20;
constexpr uint64_t kMapHugetlb = 0x40000, kMapHugeShift = 26, kMapHugeMask = 0x3f;
constexpr uint64_t kProtRead = 1, kProtWrite = 2, kProtExec = 4;

// clone(2) flags (Valgrind prints them in hex without 0x).
constexpr uint64_t kCloneVm = 0x100, kCloneVfork = 0x4000, kCloneThread = 0x10000;

// madvise(2) advice values that change what the model does.
constexpr uint64_t kMadvDontneed = 4, kMadvDontfork = 10, kMadvDofork = 11, kMadvHugepage = 14,
                   kMadvNohugepage = 15, kMadvWipeonfork = 18, kMadvKeeponfork = 19;

constexpr uint64_t kMremapMaymove = 1, kMremapFixed = 2;

}  // namespace cowsim::lackey::sys
