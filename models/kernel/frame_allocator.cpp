#include "models/kernel/frame_allocator.h"

#include <new>
#include <stdexcept>

namespace cowsim {

FrameAllocator::FrameAllocator(uint64_t frames)
    : frames_(frames), info_(static_cast<FrameInfo*>(std::calloc(frames, sizeof(FrameInfo)))) {
  if (!info_) throw std::bad_alloc();
  // Frame 0 is never handed out (a zero PFN in a PTE is a bug we want to see); frame 1 is the
  // shared zero page, pinned forever.
  info(Pfn{0}).refcount = 1;
  info(zero_page()) = {1, 0, frame_flags::kZero};
  // The huge zero page: the first 2 MiB-aligned block, pinned; frames 2..511 stay free.
  huge_zero_ = Pfn{512};
  for (uint64_t i = 0; i < 512; ++i)
    info(Pfn{512 + i}) = {i ? 0u : 1u, 0, uint16_t(frame_flags::kZero | (i ? frame_flags::kTail : frame_flags::kHead))};
  for (uint64_t f = 511; f >= 2; --f) free_.push_back(Pfn{f});
  next_unused_ = 1024;
}

std::optional<Pfn> FrameAllocator::alloc_giant() {
  constexpr uint64_t kFrames = uint64_t{1} << (kGiantPageShift - kPageShift);
  Pfn head;
  if (!free_giant_.empty()) {
    head = free_giant_.back();
    free_giant_.pop_back();
  } else {
    skip_carved();
    uint64_t start = (next_unused_ + kFrames - 1) & ~(kFrames - 1);
    // Not over a block alloc_exact carved (same_subarray only).
    for (auto it = carved_.lower_bound(start); it != carved_.end() && it->first < start + kFrames;
         it = carved_.lower_bound(start))
      start += kFrames;
    if (start + kFrames > frames_) return std::nullopt;
    // The 2 MiB blocks skipped to reach the alignment stay available.
    for (uint64_t b = start; b > next_unused_; b -= 512)
      if (!carved_.count(b - 512)) free_huge_.push_back(Pfn{b - 512});
    head = Pfn{start};
    next_unused_ = start + kFrames;
  }
  info(head) = {1, 0, frame_flags::kGiant};
  in_use_ += kFrames;
  if (in_use_ > peak_) peak_ = in_use_;
  return head;
}

std::optional<Pfn> FrameAllocator::alloc_huge() {
  Pfn head;
  if (!free_huge_.empty()) {
    head = free_huge_.back();
    free_huge_.pop_back();
  } else if (skip_carved(), next_unused_ + 512 <= frames_) {
    head = Pfn{next_unused_};  // always 512-aligned: only whole blocks leave the bump region
    next_unused_ += 512;
  } else {
    return std::nullopt;
  }
  info(head) = {1, 0, frame_flags::kHead};
  for (uint64_t i = 1; i < 512; ++i) info(Pfn{head.value + i}) = {0, 0, frame_flags::kTail};
  in_use_ += 512;
  if (in_use_ > peak_) peak_ = in_use_;
  return head;
}

std::optional<Pfn> FrameAllocator::alloc() {
  Pfn pfn;
  if (free_.empty()) {
    // Carve a whole block into 4 KiB frames, so the bump region stays 2 MiB aligned.
    Pfn block;
    skip_carved();
    if (next_unused_ + 512 <= frames_) {
      block = Pfn{next_unused_};
      next_unused_ += 512;
    } else if (!free_huge_.empty()) {
      block = free_huge_.back();
      free_huge_.pop_back();
    } else {
      return std::nullopt;
    }
    for (uint64_t f = block.value + 511; f > block.value; --f) free_.push_back(Pfn{f});
    free_.push_back(block);
  }
  pfn = free_.back();
  free_.pop_back();
  info(pfn) = {1, 0, 0};
  if (++in_use_ > peak_) peak_ = in_use_;
  return pfn;
}

std::optional<Pfn> FrameAllocator::alloc_exact(Pfn f) {
  const uint64_t block = f.value & ~uint64_t{511};
  if (block + 512 > frames_) return std::nullopt;
  auto it = carved_.find(block);
  if (it == carved_.end()) {
    if (block < next_unused_) return std::nullopt;  // may be in use: only never-used blocks are carved
    it = carved_.emplace(block, std::bitset<512>().set()).first;
  }
  if (!it->second.test(f.value - block)) return std::nullopt;  // handed out before
  it->second.reset(f.value - block);
  info(f) = {1, 0, 0};
  if (++in_use_ > peak_) peak_ = in_use_;
  return f;
}

Pfn FrameAllocator::take_free(size_t i) {
  const Pfn pfn = free_[i];
  free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
  info(pfn) = {1, 0, 0};
  if (++in_use_ > peak_) peak_ = in_use_;
  return pfn;
}

void FrameAllocator::put(Pfn pfn) {
  FrameInfo& f = info(pfn);
  if (f.refcount == 0) throw std::logic_error("frame reference count underflow");
  if (--f.refcount == 0) {
    if (f.flags & frame_flags::kGiant) {
      f = {0, 0, 0};
      free_giant_.push_back(pfn);
      in_use_ -= uint64_t{1} << (kGiantPageShift - kPageShift);
      return;
    }
    if (f.flags & frame_flags::kHead) {
      for (uint64_t i = 0; i < 512; ++i) info(Pfn{pfn.value + i}) = {0, 0, 0};
      free_huge_.push_back(pfn);
      in_use_ -= 512;
      return;
    }
    f = {0, 0, 0};
    free_.push_back(pfn);
    --in_use_;
  }
}

}  // namespace cowsim
