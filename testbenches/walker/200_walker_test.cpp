// The page-table walker over tables written by hand into PhysicalMemory: PTE reads per level,
// latency, Accessed/Dirty updates, and every fault kind with its x86 error code.
#include <gtest/gtest.h>

#include <vector>

#include "models/memory/physical_memory.h"
#include "models/walker/walker.h"

namespace cowsim {
namespace {

using namespace pte_bits;
constexpr uint64_t kTable = kPresent | kWritable | kUser;  // an upper-level entry allowing everything

// The walker's memory port: a flat latency per access, every access logged.
class FlatPort : public PteMemory {
 public:
  FlatPort(PhysicalMemory& m, uint64_t latency) : mem_(m), latency_(latency) {}
  uint64_t read_pte(PhysAddr pa, Cycles& latency, Level& served_by) override {
    latency += Cycles{latency_};
    served_by = served;
    reads.push_back(pa);
    return mem_.read64(pa);
  }
  void write_pte(PhysAddr pa, uint64_t value, Cycles& latency) override {
    latency += Cycles{latency_};
    writes.push_back(pa);
    EXPECT_TRUE(mem_.write64(pa, value));
  }
  std::vector<PhysAddr> reads, writes;
  Level served = Level::kDram;  // what every read reports as its serving level

 private:
  PhysicalMemory& mem_;
  uint64_t latency_;
};

// Page tables built by hand: table frames are handed out from frame 100 up.
class WalkerTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kLatency = 20, kSetup = 2, kPscLatency = 1;
  WalkerTest() : mem_(params()), port_(mem_, kLatency) {}
  static MemoryParams params() {
    MemoryParams p;
    p.size = 64 << 20;
    return p;
  }
  // Without paging-structure caches unless asked: every walk then reads every level, so the
  // read counts below are exact. With them: the defaults, and a PSC hit costs kPscLatency.
  Walker make_walker(unsigned levels, bool psc = false) {
    WalkerParams p;
    p.levels = levels;
    p.setup_latency = kSetup;
    p.psc_latency = kPscLatency;
    if (!psc)
      for (PscParams* c : {&p.pml5e, &p.pml4e, &p.pdpte, &p.pde}) c->entries = 0;
    return Walker(p, port_);
  }
  Pfn new_table() {
    Pfn pfn{next_++};
    mem_.attach_table(pfn);
    return pfn;
  }
  PhysAddr entry_addr(Pfn table, uint64_t va, unsigned level) {
    return frame_address(table) + 8 * table_index(VirtAddr{va}, level);
  }
  // Maps `va` with a leaf at `leaf_level` holding `leaf` (frame | bits); upper entries get
  // `upper` bits. Returns the leaf entry's physical address.
  PhysAddr map(Pfn root, unsigned levels, uint64_t va, unsigned leaf_level, uint64_t leaf, uint64_t upper = kTable) {
    Pfn table = root;
    for (unsigned level = levels; level > leaf_level; --level) {
      PhysAddr ea = entry_addr(table, va, level);
      uint64_t e = mem_.read64(ea);
      if (!(e & kPresent)) {
        e = frame_address(new_table()).value | upper;
        mem_.write64(ea, e);
      }
      table = Pte::from_raw(e).pfn();
    }
    PhysAddr ea = entry_addr(table, va, leaf_level);
    mem_.write64(ea, leaf);
    return ea;
  }
  uint64_t raw(PhysAddr pa) { return mem_.read64(pa); }
  // The physical addresses of the entries a walk of `va` reads, top level first.
  std::vector<PhysAddr> path(Pfn root, unsigned levels, uint64_t va) {
    std::vector<PhysAddr> out;
    Pfn table = root;
    for (unsigned level = levels; level >= 1; --level) {
      out.push_back(entry_addr(table, va, level));
      uint64_t e = mem_.read64(out.back());
      if (!(e & kPresent) || (e & kHuge)) break;
      table = Pte::from_raw(e).pfn();
    }
    return out;
  }

  PhysicalMemory mem_;
  FlatPort port_;
  uint64_t next_ = 100;
};

constexpr uint64_t kVa = 0x00007f1234567000;  // indices: PML4 254, PDPT 72, PD 418, PT 359
constexpr uint64_t kData = 0x3000;            // data frame 3: frame | flags

TEST_F(WalkerTest, IndicesOfTheTestAddress) {
  VirtAddr va{kVa};
  EXPECT_EQ(table_index(va, 4), 254u);  // bits 47..39
  EXPECT_EQ(table_index(va, 3), 72u);   // bits 38..30
  EXPECT_EQ(table_index(va, 2), 418u);  // bits 29..21
  EXPECT_EQ(table_index(va, 1), 359u);  // bits 20..12
  EXPECT_EQ(table_index(VirtAddr{uint64_t{0x1ff} << 48}, 5), 511u);  // bits 56..48
}

TEST_F(WalkerTest, Cold4LevelWalkReadsFourEntries) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser);
  WalkResult r = w.walk(root, VirtAddr{kVa + 0x123}, AccessType::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pte_reads, 4u);
  EXPECT_EQ(port_.reads, path(root, 4, kVa));  // PML4E, PDPTE, PDE, PTE, in that order
  // Cold: Accessed is clear everywhere, so each of the 4 entries gets one A write.
  EXPECT_EQ(r.ad_writes, 4u);
  EXPECT_EQ(r.latency, Cycles{kSetup + 4 * kLatency + 4 * kLatency});  // 2 + 80 + 80 = 162
  EXPECT_EQ(r.translation.pfn, Pfn{3});
  EXPECT_EQ(r.translation.page_shift, 12u);
  EXPECT_TRUE(r.translation.writable);
  EXPECT_TRUE(r.translation.user);
  EXPECT_FALSE(r.translation.no_execute);
  EXPECT_FALSE(r.translation.dirty);  // a read does not set D
  // Warm: the same walk again costs reads only.
  WalkResult again = w.walk(root, VirtAddr{kVa}, AccessType::kRead);
  EXPECT_EQ(again.pte_reads, 4u);
  EXPECT_EQ(again.ad_writes, 0u);
  EXPECT_EQ(again.latency, Cycles{kSetup + 4 * kLatency});  // 82
  EXPECT_EQ(w.walks(), 2u);
  EXPECT_EQ(w.pte_reads(), 8u);
}

TEST_F(WalkerTest, Cold5LevelWalkReadsFiveEntries) {
  Walker w = make_walker(5);
  Pfn root = new_table();
  uint64_t va = (uint64_t{3} << 48) | kVa;  // PML5 index 3: needs 57-bit addresses
  map(root, 5, va, 1, kData | kPresent | kUser);
  WalkResult r = w.walk(root, VirtAddr{va}, AccessType::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pte_reads, 5u);
  EXPECT_EQ(port_.reads, path(root, 5, va));
  EXPECT_EQ(port_.reads[0], frame_address(root) + 8 * 3);
  EXPECT_EQ(r.ad_writes, 5u);
  EXPECT_EQ(r.latency, Cycles{kSetup + 10 * kLatency});  // 5 reads + 5 A writes
  EXPECT_EQ(r.translation.pfn, Pfn{3});
}

TEST_F(WalkerTest, AccessedSetAtEveryLevel) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser);
  auto entries = path(root, 4, kVa);
  for (PhysAddr pa : entries) ASSERT_FALSE(raw(pa) & kAccessed);
  ASSERT_TRUE(w.walk(root, VirtAddr{kVa}, AccessType::kRead).ok());
  for (PhysAddr pa : entries) EXPECT_TRUE(raw(pa) & kAccessed) << std::hex << pa.value;
  EXPECT_FALSE(raw(entries[3]) & kDirty);
  // The writes went to exactly those 4 entries, top level first.
  EXPECT_EQ(port_.writes, entries);
}

TEST_F(WalkerTest, DirtySetByTheFirstWriteOnly) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  PhysAddr leaf = map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser);
  ASSERT_TRUE(w.walk(root, VirtAddr{kVa}, AccessType::kRead).ok());  // sets A everywhere
  EXPECT_FALSE(raw(leaf) & kDirty);
  WalkResult w1 = w.walk(root, VirtAddr{kVa}, AccessType::kWrite);
  ASSERT_TRUE(w1.ok());
  EXPECT_EQ(w1.ad_writes, 1u);  // only the leaf, for D
  EXPECT_EQ(w1.latency, Cycles{kSetup + 5 * kLatency});
  EXPECT_TRUE(raw(leaf) & kDirty);
  EXPECT_TRUE(w1.translation.dirty);
  WalkResult w2 = w.walk(root, VirtAddr{kVa}, AccessType::kWrite);
  ASSERT_TRUE(w2.ok());
  EXPECT_EQ(w2.ad_writes, 0u);  // D already set
  EXPECT_EQ(w2.latency, Cycles{kSetup + 4 * kLatency});
}

TEST_F(WalkerTest, ColdWriteSetsAAndDInOneLeafWrite) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  PhysAddr leaf = map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser);
  WalkResult r = w.walk(root, VirtAddr{kVa}, AccessType::kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.ad_writes, 4u);  // 3 upper A bits + 1 locked update of the leaf setting A and D
  EXPECT_EQ(raw(leaf) & (kAccessed | kDirty), kAccessed | kDirty);
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kWrite).ad_writes, 0u);
}

TEST_F(WalkerTest, NotPresentErrorCodes) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData);  // leaf with P = 0
  struct Case { AccessType type; uint32_t code; };
  // P = 0 (not present), U always (user-mode access), W for writes, I/D for fetches.
  for (Case c : {Case{AccessType::kRead, pf_error::kUser}, Case{AccessType::kWrite, pf_error::kUser | pf_error::kWrite},
                 Case{AccessType::kFetch, pf_error::kUser | pf_error::kFetch}}) {
    WalkResult r = w.walk(root, VirtAddr{kVa + 8}, c.type);
    EXPECT_EQ(r.fault.kind, FaultKind::kNotPresent);
    EXPECT_EQ(r.fault.error_code, c.code);
    EXPECT_EQ(r.fault.addr, VirtAddr{kVa + 8});
    EXPECT_EQ(r.fault.access, c.type);
    EXPECT_EQ(r.pte_reads, 4u);
    EXPECT_EQ(w.faults_with_error_code(c.code), 1u);
  }
  static_assert((pf_error::kUser | pf_error::kFetch) == 0x14, "I/D is bit 4, U bit 2");
  StatSink s;
  w.report(s);
  // Only the codes that occurred are listed, by their hex value.
  EXPECT_EQ(s.json()["faults_by_error_code"], (nlohmann::json{{"0x04", 1}, {"0x06", 1}, {"0x14", 1}}));
}

TEST_F(WalkerTest, ProtectionFaultErrorCodeHasPresentAndWrite) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kUser);  // read-only
  w.walk(root, VirtAddr{kVa}, AccessType::kWrite);
  w.walk(root, VirtAddr{kVa}, AccessType::kWrite);
  EXPECT_EQ(w.faults_with_error_code(pf_error::kPresent | pf_error::kWrite | pf_error::kUser), 2u);  // 0x07: CoW
}

TEST_F(WalkerTest, PteReadsCountedByTableLevelAndByWhereTheyHit) {
  Walker w = make_walker(4, true);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser);
  port_.served = Level::kDram;
  w.walk(root, VirtAddr{kVa}, AccessType::kRead);  // cold: all four levels from DRAM
  port_.served = Level::kL2;
  w.walk(root, VirtAddr{kVa}, AccessType::kRead);  // PDE cache hit: only the PTE, from L2
  EXPECT_EQ(w.pte_reads(1, Level::kDram), 1u);
  EXPECT_EQ(w.pte_reads(1, Level::kL2), 1u);
  for (unsigned level = 2; level <= 4; ++level) {
    EXPECT_EQ(w.pte_reads(level, Level::kDram), 1u) << level;
    EXPECT_EQ(w.pte_reads(level, Level::kL2), 0u) << level;
  }
  StatSink s;
  w.report(s);
  EXPECT_EQ(s.json()["pte_reads_served_by"]["pte"], (nlohmann::json{{"l1d", 0}, {"l2", 1}, {"llc", 0}, {"dram", 1}}));
  EXPECT_EQ(s.json()["pte_reads_served_by"]["pml4e"]["dram"], 1);
}

TEST_F(WalkerTest, MissingUpperTableStopsTheWalkEarly) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kUser);
  uint64_t other = kVa ^ (uint64_t{1} << 30);  // same PML4E, a PDPTE that is empty
  WalkResult r = w.walk(root, VirtAddr{other}, AccessType::kRead);
  EXPECT_EQ(r.fault.kind, FaultKind::kNotPresent);
  EXPECT_EQ(r.pte_reads, 2u);  // PML4E (present), PDPTE (not present)
  EXPECT_EQ(r.ad_writes, 1u);  // the PML4E it used got A
  EXPECT_EQ(r.latency, Cycles{kSetup + 3 * kLatency});
  WalkResult empty = w.walk(root, VirtAddr{0x1000}, AccessType::kRead);  // PML4E 0 is empty
  EXPECT_EQ(empty.pte_reads, 1u);
  EXPECT_EQ(empty.latency, Cycles{kSetup + kLatency});
}

TEST_F(WalkerTest, WriteToReadOnlyIsWriteProtect) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  PhysAddr leaf = map(root, 4, kVa, 1, kData | kPresent | kUser);  // W = 0 at the leaf
  WalkResult r = w.walk(root, VirtAddr{kVa}, AccessType::kWrite);
  EXPECT_EQ(r.fault.kind, FaultKind::kWriteProtect);
  EXPECT_EQ(r.fault.error_code, pf_error::kPresent | pf_error::kWrite | pf_error::kUser);  // 7
  EXPECT_FALSE(raw(leaf) & (kAccessed | kDirty));  // a faulting access does not mark the leaf
  // Reads are fine.
  EXPECT_TRUE(w.walk(root, VirtAddr{kVa}, AccessType::kRead).ok());
}

TEST_F(WalkerTest, ReadOnlyUpperLevelWriteProtectsEverythingBelow) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  // Upper levels without W, leaf with W: the effective permission is the AND of all levels.
  map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser, kPresent | kUser);
  WalkResult r = w.walk(root, VirtAddr{kVa}, AccessType::kWrite);
  EXPECT_EQ(r.fault.kind, FaultKind::kWriteProtect);
  WalkResult rd = w.walk(root, VirtAddr{kVa}, AccessType::kRead);
  ASSERT_TRUE(rd.ok());
  EXPECT_FALSE(rd.translation.writable);
}

TEST_F(WalkerTest, FetchFromNoExecuteIsNoExecute) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser | kNoExecute);
  WalkResult r = w.walk(root, VirtAddr{kVa}, AccessType::kFetch);
  EXPECT_EQ(r.fault.kind, FaultKind::kNoExecute);
  EXPECT_EQ(r.fault.error_code, pf_error::kPresent | pf_error::kUser | pf_error::kFetch);  // 0x15
  WalkResult rd = w.walk(root, VirtAddr{kVa}, AccessType::kRead);
  ASSERT_TRUE(rd.ok());
  EXPECT_TRUE(rd.translation.no_execute);
  // NX in an upper level applies to everything below it.
  Pfn root2 = new_table();
  map(root2, 4, kVa, 1, kData | kPresent | kUser, kTable | kNoExecute);
  EXPECT_EQ(w.walk(root2, VirtAddr{kVa}, AccessType::kFetch).fault.kind, FaultKind::kNoExecute);
  Pfn root3 = new_table();
  map(root3, 4, kVa, 1, kData | kPresent | kUser);
  EXPECT_TRUE(w.walk(root3, VirtAddr{kVa}, AccessType::kFetch).ok());
}

TEST_F(WalkerTest, SupervisorPageIsUserSupervisor) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kWritable);  // U = 0
  WalkResult r = w.walk(root, VirtAddr{kVa}, AccessType::kRead);
  EXPECT_EQ(r.fault.kind, FaultKind::kUserSupervisor);
  EXPECT_EQ(r.fault.error_code, pf_error::kPresent | pf_error::kUser);  // 5
  WalkResult wr = w.walk(root, VirtAddr{kVa}, AccessType::kWrite);
  EXPECT_EQ(wr.fault.kind, FaultKind::kUserSupervisor);
  EXPECT_EQ(wr.fault.error_code, pf_error::kPresent | pf_error::kUser | pf_error::kWrite);  // 7
}

TEST_F(WalkerTest, PsBitInPml4IsReserved) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  mem_.write64(entry_addr(root, kVa, 4), 0x40000000 | kPresent | kWritable | kUser | kHuge);
  WalkResult r = w.walk(root, VirtAddr{kVa}, AccessType::kRead);
  EXPECT_EQ(r.fault.kind, FaultKind::kReservedBit);
  EXPECT_EQ(r.fault.error_code, pf_error::kPresent | pf_error::kUser | pf_error::kReserved);  // 0xd
  EXPECT_EQ(r.pte_reads, 1u);
  // The same bits without P: not present comes first (reserved bits only count in present entries).
  mem_.write64(entry_addr(root, kVa, 4), 0x40000000 | kHuge);
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kRead).fault.kind, FaultKind::kNotPresent);
}

TEST_F(WalkerTest, PsBitInPml5IsReserved) {
  Walker w = make_walker(5);
  Pfn root = new_table();
  mem_.write64(entry_addr(root, kVa, 5), 0x40000000 | kPresent | kUser | kHuge);
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kRead).fault.kind, FaultKind::kReservedBit);
}

TEST_F(WalkerTest, TwoMegabyteLeafCoversAllSubpages) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  uint64_t base_va = 0x40000000;  // 1 GiB: 2 MiB aligned
  uint64_t base_pfn = 2048;       // frame 2048 = 8 MiB: 2 MiB aligned
  map(root, 4, base_va, 2, frame_address(Pfn{base_pfn}).value | kPresent | kWritable | kUser | kHuge);
  for (uint64_t i = 0; i < 512; ++i) {
    WalkResult r = w.walk(root, VirtAddr{base_va + i * kPageSize + 0x10}, AccessType::kRead);
    ASSERT_TRUE(r.ok()) << i;
    ASSERT_EQ(r.pte_reads, 3u);  // PML4E, PDPTE, PDE (the leaf)
    ASSERT_EQ(r.translation.pfn, Pfn{base_pfn + i}) << i;
    ASSERT_EQ(r.translation.page_shift, 21u);
  }
  // The next 2 MiB is not mapped.
  EXPECT_EQ(w.walk(root, VirtAddr{base_va + kHugePageSize}, AccessType::kRead).fault.kind, FaultKind::kNotPresent);
}

TEST_F(WalkerTest, OneGigabyteLeaf) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  uint64_t base_va = uint64_t{5} << 30;
  map(root, 4, base_va, 3, (uint64_t{1} << 30) | kPresent | kUser | kHuge);  // frame 262144
  WalkResult r = w.walk(root, VirtAddr{base_va + 0x12345678}, AccessType::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pte_reads, 2u);
  EXPECT_EQ(r.translation.page_shift, 30u);
  EXPECT_EQ(r.translation.pfn, Pfn{262144 + (0x12345678 >> 12)});
}

TEST_F(WalkerTest, NonCanonicalAddresses) {
  Walker w4 = make_walker(4);
  Pfn root = new_table();
  // 4 levels: user space ends at 2^47; no PTE is read beyond it.
  WalkResult r = w4.walk(root, VirtAddr{uint64_t{1} << 47}, AccessType::kRead);
  EXPECT_EQ(r.fault.kind, FaultKind::kNonCanonical);
  EXPECT_EQ(r.pte_reads, 0u);
  EXPECT_EQ(r.latency, Cycles{kSetup});
  EXPECT_EQ(w4.walk(root, VirtAddr{(uint64_t{1} << 47) - 1}, AccessType::kRead).fault.kind, FaultKind::kNotPresent);
  // 5 levels: 2^47 is an ordinary (unmapped) address, 2^56 is outside.
  Walker w5 = make_walker(5);
  EXPECT_EQ(w5.walk(root, VirtAddr{uint64_t{1} << 47}, AccessType::kRead).fault.kind, FaultKind::kNotPresent);
  EXPECT_EQ(w5.walk(root, VirtAddr{uint64_t{1} << 56}, AccessType::kRead).fault.kind, FaultKind::kNonCanonical);
  EXPECT_EQ(user_address_limit(4), uint64_t{1} << 47);
  EXPECT_EQ(user_address_limit(5), uint64_t{1} << 56);
}

TEST_F(WalkerTest, ReportCountsFaultKinds) {
  Walker w = make_walker(4);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kUser);
  w.walk(root, VirtAddr{kVa}, AccessType::kRead);               // ok: 4 reads
  w.walk(root, VirtAddr{kVa}, AccessType::kWrite);              // write protect: 4 reads
  w.walk(root, VirtAddr{kVa + kPageSize}, AccessType::kRead);   // not present: 4 reads
  w.walk(root, VirtAddr{uint64_t{1} << 47}, AccessType::kRead); // non-canonical: 0 reads
  StatSink s;
  w.report(s);
  const auto& j = s.json();
  EXPECT_EQ(j["walks"], 4);
  EXPECT_EQ(j["pte_reads"], 12);
  EXPECT_EQ(j["ad_writes"], 4);  // the first walk's A bits only
  EXPECT_EQ(j["faults"], 3);
  EXPECT_EQ(j["fault_kinds"]["write_protect"], 1);
  EXPECT_EQ(j["fault_kinds"]["not_present"], 1);
  EXPECT_EQ(j["fault_kinds"]["non_canonical"], 1);
  EXPECT_EQ(j["fault_kinds"]["no_execute"], 0);
  EXPECT_EQ(j["latency"]["count"], 4);
  // Latencies: 2 + 8*20 = 162, 2 + 4*20 = 82 (twice), 2: sorted 2 82 82 162.
  EXPECT_EQ(j["latency"]["max"], 162);
  EXPECT_EQ(j["latency"]["p50"], 82);
}

// ---- paging-structure caches (SDM 4.10.3): defaults PDE 32, PDPTE 4, PML4E 2 entries

TEST_F(WalkerTest, PdeCacheHitReadsOnlyThePte) {
  Walker w = make_walker(4, true);
  Pfn root = new_table();
  PhysAddr leaf = map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser);
  ASSERT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kRead).pte_reads, 4u);  // cold: fills the caches
  port_.reads.clear();
  WalkResult r = w.walk(root, VirtAddr{kVa}, AccessType::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pte_reads, 1u);  // the PDE cache gives the page table: only the PTE is read
  EXPECT_EQ(port_.reads, std::vector<PhysAddr>{leaf});
  EXPECT_EQ(r.latency, Cycles{kSetup + kPscLatency + kLatency});  // 2 + 1 + 20
  EXPECT_EQ(r.translation.pfn, Pfn{3});
  StatSink s;
  w.report(s);
  EXPECT_EQ(s.json()["psc"]["pde"]["hits"], 1);
  EXPECT_EQ(s.json()["pte_reads_by_level"]["pte"], 2);
  EXPECT_EQ(s.json()["pte_reads_by_level"]["pml4e"], 1);
}

TEST_F(WalkerTest, PdpteCacheHitForAnotherTwoMegabytes) {
  Walker w = make_walker(4, true);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kUser);
  uint64_t next = kVa + kHugePageSize;  // same PDPTE and PD, another PDE
  map(root, 4, next, 1, 0x4000 | kPresent | kUser);
  w.walk(root, VirtAddr{kVa}, AccessType::kRead);
  WalkResult r = w.walk(root, VirtAddr{next}, AccessType::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pte_reads, 2u);  // PDE miss, PDPTE hit: read the PDE and the PTE
  EXPECT_EQ(r.translation.pfn, Pfn{4});
}

TEST_F(WalkerTest, PagingStructureCachesAreTaggedAndFlushedByPcid) {
  Walker w = make_walker(4, true);
  Pfn root = new_table();
  map(root, 4, kVa, 1, kData | kPresent | kUser);
  w.walk(root, VirtAddr{kVa}, AccessType::kRead, 7);
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kRead, 8).pte_reads, 4u);  // another context
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kRead, 7).pte_reads, 1u);
  w.flush_caches(7);
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kRead, 7).pte_reads, 4u);
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kRead, 8).pte_reads, 1u);  // 8 was kept
  w.flush_caches();
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kRead, 8).pte_reads, 4u);
}

TEST_F(WalkerTest, CachedPermissionsStillApply) {
  Walker w = make_walker(4, true);
  Pfn root = new_table();
  // Read-only, no-execute upper levels; a writable leaf.
  map(root, 4, kVa, 1, kData | kPresent | kWritable | kUser, kPresent | kUser | kNoExecute);
  ASSERT_TRUE(w.walk(root, VirtAddr{kVa}, AccessType::kRead).ok());
  WalkResult r = w.walk(root, VirtAddr{kVa}, AccessType::kWrite);  // through the PDE cache
  EXPECT_EQ(r.pte_reads, 1u);
  EXPECT_EQ(r.fault.kind, FaultKind::kWriteProtect);
  EXPECT_EQ(w.walk(root, VirtAddr{kVa}, AccessType::kFetch).fault.kind, FaultKind::kNoExecute);
}

}  // namespace
}  // namespace cowsim
