// /proc/PID/smaps and smaps_rollup (sources.md section 4): the exact text layout, Rss/Pss,
// Shared/Private and Clean/Dirty around fork and copy-on-write.
#include "testbenches/kernel/kernel_test_util.h"

#include <sstream>

namespace cowsim::test {
namespace {

using A = AccessType;

constexpr uint64_t kPages = 4;
constexpr uint64_t kLen = kPages * kPageSize;

class Smaps : public KernelTest {
 protected:
  std::string smaps(const Process& p) { return k().smaps(p, names_); }
  // The value of one "Label:   N kB" line of the first VMA with that label.
  uint64_t field(const Process& p, const std::string& label) {
    std::istringstream in(smaps(p));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(label + ":", 0) == 0) return std::stoull(line.substr(label.size() + 1));
    ADD_FAILURE() << "no " << label;
    return 0;
  }
  trace::NameTable names_;
};

TEST_F(Smaps, ExactLinuxLayoutForOneVma) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  write_all(p, kBase, kLen);  // 4 pages: 16 kB, private, dirty, referenced
  // Header as show_vma_header_prefix(): no name, so no padding, but the trailing space.
  // Fields as SEQ_PUT_DEC: the label padded to 16 columns, the value in kB to 8.
  const char* expected =
      "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \n"
      "Size:               1024 kB\n"
      "KernelPageSize:        4 kB\n"
      "MMUPageSize:           4 kB\n"
      "Rss:                  16 kB\n"
      "Pss:                  16 kB\n"
      "Pss_Dirty:            16 kB\n"
      "Shared_Clean:          0 kB\n"
      "Shared_Dirty:          0 kB\n"
      "Private_Clean:         0 kB\n"
      "Private_Dirty:        16 kB\n"
      "Referenced:           16 kB\n"
      "Anonymous:            16 kB\n"
      "KSM:                   0 kB\n"
      "LazyFree:              0 kB\n"
      "AnonHugePages:         0 kB\n"
      "ShmemPmdMapped:        0 kB\n"
      "FilePmdMapped:         0 kB\n"
      "Shared_Hugetlb:        0 kB\n"
      "Private_Hugetlb:       0 kB\n"
      "Swap:                  0 kB\n"
      "SwapPss:               0 kB\n"
      "Locked:                0 kB\n"
      "THPeligible:           0\n"
      "VmFlags: rd wr mr mw me ac \n";
  EXPECT_EQ(smaps(p), expected);
}

TEST_F(Smaps, NamedMappingsArePaddedToColumn73) {
  uint32_t file = names_.intern("/data/file.bin");
  Process& p = start(1);
  k().mmap(p, kBase, kLen, kProtRead, trace::kMapFile, file, 0);
  map_anon(p, kBase + kMiB, kLen, kProtRead | kProtWrite, kMapShared);
  std::string out = smaps(p);
  std::string first = out.substr(0, out.find('\n'));
  // seq_pad(): the prefix is padded to 72 columns, then one space, then the name.
  EXPECT_EQ(first.size(), 73 + std::string("/data/file.bin").size());
  EXPECT_EQ(first.substr(0, 39), "7f0000000000-7f0000004000 r--p 00000000");
  EXPECT_EQ(first.substr(72), " /data/file.bin");
  EXPECT_NE(out.find(std::string(" /dev/zero (deleted)\n")), std::string::npos);
  EXPECT_NE(out.find("7f0000100000-7f0000104000 rw-s "), std::string::npos);
  EXPECT_NE(out.find("VmFlags: rd wr sh mr mw me ms \n"), std::string::npos);  // shared: no "ac"
  EXPECT_NE(out.find("VmFlags: rd mr mw me \n"), std::string::npos);           // read-only file
}

TEST_F(Smaps, VmFlagsInKernelBitOrder) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  k().madvise(p, kBase, kLen, trace::Advice::kDontfork, 0);
  k().madvise(p, kBase, kLen, trace::Advice::kWipeonfork, 0);
  k().madvise(p, kBase, kLen, trace::Advice::kHugepage, 0);
  // dc (VM_DONTCOPY, bit 17), ac (VM_ACCOUNT, 20), wf (VM_WIPEONFORK, 25), hg (VM_HUGEPAGE, 29).
  EXPECT_NE(smaps(p).find("VmFlags: rd wr mr mw me dc ac wf hg \n"), std::string::npos) << smaps(p);
}

TEST_F(Smaps, ZeroPageCountsNowhere) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) touch(p, a, A::kRead);
  SmapsRollup r = k().rollup(p);
  EXPECT_EQ(r.rss, 0u);
  EXPECT_EQ(r.pss_bytes_x4096, 0u);
  EXPECT_EQ(r.referenced, 0u);
  EXPECT_EQ(field(p, "Rss"), 0u);
}

TEST_F(Smaps, RightAfterForkBothSidesAreSharedDirty) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  write_all(p, kBase, kLen);
  k().fork(p, 2, false, 0, Cycles{0});
  Process& ch = *k().process(2);
  for (const Process* q : {&p, &ch}) {
    SmapsRollup r = k().rollup(*q);
    EXPECT_EQ(r.rss, kLen);
    EXPECT_EQ(r.shared_dirty, kLen);  // written before fork: dirty on both sides, not clean
    EXPECT_EQ(r.shared_clean, 0u);
    EXPECT_EQ(r.private_dirty, 0u);
    EXPECT_EQ(r.pss_bytes_x4096, kLen / 2 * 4096);  // each page mapped twice: half each
    EXPECT_EQ(field(*q, "Pss"), 8u);                // 16 kB / 2
    EXPECT_EQ(field(*q, "Shared_Dirty"), 16u);
  }
  EXPECT_EQ(k().rollup(p).referenced, kLen);
  EXPECT_EQ(k().rollup(ch).referenced, 0u);  // the child's PTEs start without Accessed
}

TEST_F(Smaps, AfterACopyBothSidesCountThePageAsPrivateDirty) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  write_all(p, kBase, kLen);
  k().fork(p, 2, false, 0, Cycles{0});
  Process& ch = *k().process(2);
  touch(ch, kBase, A::kWrite);  // the child copies page 0
  for (const Process* q : {&p, &ch}) {
    SmapsRollup r = k().rollup(*q);
    EXPECT_EQ(r.private_dirty, kPageSize);       // page 0: the copy, and the original (mapcount 1)
    EXPECT_EQ(r.shared_dirty, 3 * kPageSize);    // pages 1..3 still shared
    // Pss: 4096 for the private page + 3 x 2048 for the shared ones = 10240 bytes = 10 kB.
    EXPECT_EQ(r.pss_bytes_x4096, (kPageSize + 3 * kPageSize / 2) * 4096);
    EXPECT_EQ(field(*q, "Pss"), 10u);
  }
  // Redis's copy-on-write size: the child's Private_Dirty.
  EXPECT_EQ(field(ch, "Private_Dirty"), 4u);
}

TEST_F(Smaps, AfterTheChildExitsTheParentIsPrivateDirtyAgain) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  write_all(p, kBase, kLen);
  k().fork(p, 2, false, 0, Cycles{0});
  k().exit(*k().process(2), "exit", Cycles{0});
  SmapsRollup r = k().rollup(p);
  EXPECT_EQ(r.private_dirty, kLen);  // though its PTEs are still read-only
  EXPECT_EQ(r.shared_dirty, 0u);
  EXPECT_EQ(r.pss_bytes_x4096, kLen * 4096);
}

TEST_F(Smaps, PssOfAPageMappedByThreeProcesses) {
  Process& p = start(1);
  map_anon(p, kBase, kPageSize);
  touch(p, kBase, A::kWrite);
  k().fork(p, 2, false, 0, Cycles{0});
  k().fork(p, 3, false, 0, Cycles{0});
  // 4096 / 3 = 1365.33 bytes each, kept exact in units of 1/4096 byte: 4096 * 4096 / 3.
  EXPECT_EQ(k().rollup(p).pss_bytes_x4096, kPageSize * 4096 / 3);
  EXPECT_EQ(info(frame(p, kBase)).mapcount, 3u);
  EXPECT_EQ(field(p, "Pss"), 1u);  // 1365 bytes shows as 1 kB
}

TEST_F(Smaps, SharedMappingWrittenByOneIsDirtyForBoth) {
  Process& p = start(1);
  map_anon(p, kBase, kLen, kProtRead | kProtWrite, kMapShared);
  touch(p, kBase, A::kWrite);
  k().fork(p, 2, false, 0, Cycles{0});
  Process& ch = *k().process(2);
  touch(ch, kBase, A::kRead);
  // One page, two mappings (plus the page cache's reference): shared, Pss 2 kB each.
  EXPECT_EQ(k().rollup(p).shared_dirty, kPageSize);
  EXPECT_EQ(k().rollup(p).pss_bytes_x4096, kPageSize / 2 * 4096);
  // The write fault marked the page itself dirty (fault_dirty_shared_page), so the reader
  // counts it dirty too.
  EXPECT_EQ(k().rollup(ch).shared_dirty, kPageSize);
  EXPECT_EQ(k().rollup(ch).shared_clean, 0u);
}

TEST_F(Smaps, SplitVmasAreShownSeparately) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  write_all(p, kBase, kLen);
  k().madvise(p, kBase + kPageSize, kPageSize, trace::Advice::kDontfork, 0);
  std::string out = smaps(p);
  EXPECT_NE(out.find("7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \nSize:                  4 kB\n"), std::string::npos);
  EXPECT_NE(out.find("7f0000001000-7f0000002000 rw-p 00000000 00:00 0 \n"), std::string::npos);
  EXPECT_NE(out.find("7f0000002000-7f0000004000 rw-p 00000000 00:00 0 \nSize:                  8 kB\n"), std::string::npos);
  EXPECT_NE(out.find("VmFlags: rd wr mr mw me dc ac \n"), std::string::npos);
}

TEST_F(Smaps, RollupOfAnExitedProcessIsFrozen) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  write_all(p, kBase, kLen);
  k().exit(p, "exit", Cycles{0});
  EXPECT_EQ(k().rollup(p).rss, kLen);  // as of the exit
  EXPECT_EQ(smaps(p), "");             // no address space any more
}

}  // namespace
}  // namespace cowsim::test
