// Where a physical address lies in DRAM (channel, rank, bank, subarray, row, column) and the
// row-command timing an in-DRAM copy (RowClone, kernel.copy.engine=rowclone) needs. Only the
// rowclone engine and kernel.alloc.policy=same_subarray read them; the cache and stream models
// do not. Declared under memory.dram.map and memory.dram.timing.
#pragma once

#include <cstdint>
#include <string>

#include "models/common/error.h"
#include "models/common/params.h"
#include "models/common/types.h"

namespace cowsim {

// Row-interleaved map, from the least significant bit: column (the byte within a row of a
// rank), channel, bank, rank, row. A 4 KiB page therefore lies in one row of one bank, which
// RowClone needs (Seshadri et al., MICRO 2013, section 5: the OS/controller must map a page to
// a single row). Subarrays are groups of `rows_per_subarray` consecutive rows of a bank.
// Default: 64 GiB (the default memory.size) as 2 channels x 2 ranks x 16 banks x 2^17 rows of
// 8 KiB, i.e. DDR4 16 Gb x8 chips (8 chips x 1 KiB page = 8 KiB row per rank, 128 Ki rows per
// bank, 16 banks in 4 groups; Micron MT40A2G8 data sheet), 512 rows per subarray (the
// RowClone paper's assumption, section 2).
struct DramMapParams {
  uint32_t column_bits = 13;
  uint32_t channel_bits = 1;
  uint32_t bank_bits = 4;
  uint32_t rank_bits = 1;
  uint32_t row_bits = 17;
  uint32_t rows_per_subarray = 512;
  bool subarray_low = false;

  void declare(ParamRegistry& r) {
    r.add("column_bits", column_bits, "bits",
          "Address bits of the byte within one DRAM row of a rank (13 = 8 KiB rows: 8 DDR4 x8 chips of 1 KiB pages); "
          "at least 12, so that a 4 KiB page lies in one row",
          12, 20);
    r.add("channel_bits", channel_bits, "bits", "Address bits selecting the channel, above the column bits", 0, 8);
    r.add("bank_bits", bank_bits, "bits", "Address bits selecting the bank (DDR4: 16 banks = 4 bits), above the channel",
          0, 8);
    r.add("rank_bits", rank_bits, "bits", "Address bits selecting the rank, above the bank", 0, 8);
    r.add("row_bits", row_bits, "bits",
          "Address bits selecting the row in a bank (DDR4 16 Gb x8: 17), the most significant; the map must cover "
          "memory.size",
          1, 30);
    r.add("rows_per_subarray", rows_per_subarray, "rows",
          "Rows sharing one row of sense amplifiers (a subarray; RowClone, MICRO 2013: 512); a power of two", 1,
          1u << 30);
    r.add("subarray_low", subarray_low,
          "Take the subarray number from the address bits right above the rank bits and the row within the "
          "subarray from the top bits, so every subarray is spread over all of memory (an address mapping the "
          "controller may choose; lets kernel.alloc.policy=same_subarray find free rows after a large heap). "
          "false: the row number is one contiguous field and a subarray a contiguous region");
  }
};

// Row-command timing in core cycles (3 GHz: 3 cycles per ns). Default: DDR4-2666 19-19-19, the
// fastest memory a Skylake-SP (the default core) supports: tRCD = tRP = 14.25 ns (43 cycles,
// rounded up), tRAS = 32 ns (96), BL8 burst = 4 clocks of 0.75 ns = 3 ns (9). JEDEC JESD79-4
// speed bins (DDR4-2666T).
struct DramTimingParams {
  uint32_t trcd = 43;
  uint32_t tras = 96;
  uint32_t trp = 43;
  uint32_t tburst = 9;

  void declare(ParamRegistry& r) {
    r.add("trcd", trcd, "cycles", "ACTIVATE to column command (tRCD); DDR4-2666 19-19-19: 14.25 ns", 1, 100000);
    r.add("tras", tras, "cycles", "ACTIVATE to PRECHARGE (tRAS): a row fully restored; DDR4-2666: 32 ns", 1, 100000);
    r.add("trp", trp, "cycles", "PRECHARGE to the next ACTIVATE (tRP); DDR4-2666 19-19-19: 14.25 ns", 1, 100000);
    r.add("tburst", tburst, "cycles",
          "One cache line over a bank's data bus (BL8 = 4 DRAM clocks; DDR4-2666: 3 ns); RowClone PSM moves a "
          "line per burst",
          1, 100000);
  }
};

// A decoded address. `subarray` counts globally (channel, rank, bank and subarray index), so
// two rows are in the same subarray exactly when their `subarray` values are equal.
struct DramLocation {
  uint64_t column = 0, channel = 0, bank = 0, rank = 0, row = 0;
  uint64_t bank_id = 0;   // (channel, rank, bank) as one number
  uint64_t subarray = 0;  // (bank_id, row / rows_per_subarray) as one number
};

class DramMap {
 public:
  explicit DramMap(const DramMapParams& p)
      : p_(p), rps_bits_(p.rows_per_subarray ? static_cast<uint32_t>(__builtin_ctz(p.rows_per_subarray)) : 0),
        sa_bits_(p.row_bits > rps_bits_ ? p.row_bits - rps_bits_ : 0),
        low_bits_(p.column_bits + p.channel_bits + p.bank_bits + p.rank_bits) {}

  // InputError naming the key if the map is malformed or covers less than `memory_bytes`.
  void check(uint64_t memory_bytes) const {
    const uint32_t bits = p_.column_bits + p_.channel_bits + p_.bank_bits + p_.rank_bits + p_.row_bits;
    if (p_.rows_per_subarray & (p_.rows_per_subarray - 1))
      throw InputError("memory.dram.map.rows_per_subarray: " + std::to_string(p_.rows_per_subarray) +
                       " is not a power of two");
    if (p_.rows_per_subarray > (uint64_t{1} << p_.row_bits))
      throw InputError("memory.dram.map.rows_per_subarray: " + std::to_string(p_.rows_per_subarray) +
                       " rows exceed the 2^" + std::to_string(p_.row_bits) + " rows of a bank (memory.dram.map.row_bits)");
    if (bits > 62 || (uint64_t{1} << bits) < memory_bytes)
      throw InputError("memory.dram.map.row_bits: the DRAM address map covers 2^" + std::to_string(bits) +
                       " bytes (column + channel + bank + rank + row bits) but memory.size is " +
                       std::to_string(memory_bytes) + " bytes");
  }

  DramLocation locate(PhysAddr pa) const {
    DramLocation l;
    uint64_t a = pa.value;
    auto take = [&a](uint32_t bits) {
      const uint64_t v = a & ((uint64_t{1} << bits) - 1);
      a >>= bits;
      return v;
    };
    l.column = take(p_.column_bits);
    l.channel = take(p_.channel_bits);
    l.bank = take(p_.bank_bits);
    l.rank = take(p_.rank_bits);
    if (p_.subarray_low) {
      const uint64_t index = take(sa_bits_);
      l.row = index * p_.rows_per_subarray + a;  // a: the row within the subarray (the top bits)
    } else {
      l.row = a;
    }
    l.bank_id = (l.channel << (p_.bank_bits + p_.rank_bits)) | (l.rank << p_.bank_bits) | l.bank;
    l.subarray = (l.bank_id << (p_.row_bits + 1)) | (l.row / p_.rows_per_subarray);
    return l;
  }
  DramLocation locate(Pfn pfn) const { return locate(frame_address(pfn)); }

  // The frame at the same column, channel, bank, rank and subarray as `f`, in row `r` of that
  // subarray (0 <= r < rows_per_subarray): where subarray-aware allocation looks.
  Pfn in_subarray_row(Pfn f, uint64_t r) const {
    const uint32_t shift = p_.subarray_low ? low_bits_ + sa_bits_ : low_bits_;
    const uint64_t mask = ((uint64_t{1} << rps_bits_) - 1) << shift;
    const uint64_t a = (frame_address(f).value & ~mask) | (r << shift);
    return Pfn{a >> kPageShift};
  }
  uint64_t row_in_subarray(Pfn f) const { return locate(f).row & (p_.rows_per_subarray - 1); }
  uint32_t rows_per_subarray() const { return p_.rows_per_subarray; }

  // RowClone FPM can copy page `src` to page `dst`: same subarray and same place in the row
  // (the copy moves the sense amplifiers' bits to the same columns of the destination row).
  bool fpm_pair(Pfn src, Pfn dst) const {
    const DramLocation s = locate(src), d = locate(dst);
    return s.subarray == d.subarray && s.column == d.column && s.row != d.row;
  }
  const DramMapParams& params() const { return p_; }

 private:
  DramMapParams p_;
  uint32_t rps_bits_, sa_bits_, low_bits_;
};

}  // namespace cowsim
