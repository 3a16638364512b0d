// Strong types for the quantities the model passes around: addresses, page numbers, cycles.
// Each wraps one integer, so mixing a virtual address with a physical one, or a page number
// with a byte address, is a compile error instead of a silent bug.
#pragma once

#include <cstdint>
#include <functional>

namespace cowsim {

constexpr unsigned kPageShift = 12;
constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;       // 4 KiB
constexpr unsigned kHugePageShift = 21;
constexpr uint64_t kHugePageSize = uint64_t{1} << kHugePageShift;  // 2 MiB
constexpr unsigned kGiantPageShift = 30;
constexpr uint64_t kGiantPageSize = uint64_t{1} << kGiantPageShift;  // 1 GiB

// CRTP base: one integer with comparison; arithmetic only where the type allows it.
template <class Derived>
struct StrongU64 {
  uint64_t value = 0;
  constexpr StrongU64() = default;
  constexpr explicit StrongU64(uint64_t v) : value(v) {}
  friend constexpr bool operator==(Derived a, Derived b) { return a.value == b.value; }
  friend constexpr bool operator!=(Derived a, Derived b) { return a.value != b.value; }
  friend constexpr bool operator<(Derived a, Derived b) { return a.value < b.value; }
  friend constexpr bool operator<=(Derived a, Derived b) { return a.value <= b.value; }
  friend constexpr bool operator>(Derived a, Derived b) { return a.value > b.value; }
  friend constexpr bool operator>=(Derived a, Derived b) { return a.value >= b.value; }
};

// A page number: an address shifted right by the page shift.
struct Vpn : StrongU64<Vpn> { using StrongU64::StrongU64; };
struct Pfn : StrongU64<Pfn> { using StrongU64::StrongU64; };

// A byte address in a process's virtual address space.
struct VirtAddr : StrongU64<VirtAddr> {
  using StrongU64::StrongU64;
  constexpr Vpn vpn() const { return Vpn{value >> kPageShift}; }
  constexpr uint64_t page_offset() const { return value & (kPageSize - 1); }
  constexpr VirtAddr operator+(uint64_t d) const { return VirtAddr{value + d}; }
};

// A byte address in simulated physical memory.
struct PhysAddr : StrongU64<PhysAddr> {
  using StrongU64::StrongU64;
  constexpr Pfn pfn() const { return Pfn{value >> kPageShift}; }
  constexpr PhysAddr operator+(uint64_t d) const { return PhysAddr{value + d}; }
};

constexpr PhysAddr frame_address(Pfn pfn) { return PhysAddr{pfn.value << kPageShift}; }
constexpr VirtAddr page_address(Vpn vpn) { return VirtAddr{vpn.value << kPageShift}; }

// Simulated time in core clock cycles. Integer on purpose: it is summed billions of times.
struct Cycles : StrongU64<Cycles> {
  using StrongU64::StrongU64;
  constexpr Cycles operator+(Cycles o) const { return Cycles{value + o.value}; }
  constexpr Cycles operator-(Cycles o) const { return Cycles{value - o.value}; }
  constexpr Cycles operator*(uint64_t k) const { return Cycles{value * k}; }
  Cycles& operator+=(Cycles o) { value += o.value; return *this; }
};

}  // namespace cowsim

template <> struct std::hash<cowsim::Vpn> {
  size_t operator()(cowsim::Vpn v) const noexcept { return std::hash<uint64_t>{}(v.value); }
};
