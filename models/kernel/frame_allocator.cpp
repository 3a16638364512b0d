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
  next_unused_ = 2;
}

std::optional<Pfn> FrameAllocator::alloc() {
  Pfn pfn;
  if (!free_.empty()) {
    pfn = free_.back();
    free_.pop_back();
  } else if (next_unused_ < frames_) {
    pfn = Pfn{next_unused_++};
  } else {
    return std::nullopt;
  }
  info(pfn) = {1, 0, 0};
  if (++in_use_ > peak_) peak_ = in_use_;
  return pfn;
}

void FrameAllocator::put(Pfn pfn) {
  FrameInfo& f = info(pfn);
  if (f.refcount == 0) throw std::logic_error("frame reference count underflow");
  if (--f.refcount == 0) {
    f = {0, 0, 0};
    free_.push_back(pfn);
    --in_use_;
  }
}

}  // namespace cowsim
