// Builds binary traces byte by byte, independently of the writer, so the tests check the
// layout against the specification rather than against the code under test.
#pragma once

#include <cstdint>
#include <string>

namespace cowsim::trace::test {

class BinaryBuilder {
 public:
  // The 16-byte header: magic, version, flags.
  BinaryBuilder& header(uint32_t version = 1, uint32_t flags = 0) {
    s_.append("\x89" "CWB\r\n\x1a\n", 8);
    u32(version);
    u32(flags);
    return *this;
  }
  // [u8 op][u8 a][u16 b][u32 pid][u64 x]
  BinaryBuilder& slot(uint8_t op, uint8_t a, uint16_t b, uint32_t pid, uint64_t x) {
    s_ += static_cast<char>(op);
    s_ += static_cast<char>(a);
    u16(b);
    u32(pid);
    u64(x);
    return *this;
  }
  // [u64 y][u64 z]
  BinaryBuilder& slot2(uint64_t y, uint64_t z) {
    u64(y);
    u64(z);
    return *this;
  }
  // String definition (op 0x01) with zero padding to whole slots.
  BinaryBuilder& str(uint32_t id, const std::string& text) {
    slot(0x01, 0, static_cast<uint16_t>(text.size()), id, 0);
    s_ += text;
    s_.append((16 - text.size() % 16) % 16, '\0');
    return *this;
  }
  BinaryBuilder& end() { return slot(0x02, 0, 0, 0, 0); }
  BinaryBuilder& raw(const std::string& bytes) {
    s_ += bytes;
    return *this;
  }
  const std::string& bytes() const { return s_; }
  size_t size() const { return s_.size(); }

 private:
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  std::string s_;
};

}  // namespace cowsim::trace::test
