// A trace file read in large blocks into one reusable buffer: the readers look at the bytes
// in place and never allocate per record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cowsim::trace {

class ByteSource {
 public:
  static constexpr size_t kBlockSize = size_t{1} << 20;

  explicit ByteSource(const std::string& path);  // InputError "PATH: cannot open: <strerror>"
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Makes at least n (<= kBlockSize) bytes available at data(), fewer only at end of file.
  // Returns the number available. Invalidates earlier data() pointers.
  size_t fill(size_t n);
  const char* data() const { return buf_.data() + pos_; }
  size_t available() const { return end_ - pos_; }
  void consume(size_t n) {
    pos_ += n;
    offset_ += n;
  }
  uint64_t offset() const { return offset_; }  // file offset of data()
  bool at_eof() const { return eof_ && pos_ == end_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t offset_ = 0;
  bool eof_ = false;
};

}  // namespace cowsim::trace
