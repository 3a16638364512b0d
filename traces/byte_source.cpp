#include "traces/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "models/common/error.h"

namespace cowsim::trace {

ByteSource::ByteSource(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  const bool known = ::fstat(fd_, &st) == 0;
  // A directory opens fine but fails on read; say so up front.
  if (known && S_ISDIR(st.st_mode)) {
    ::close(fd_);
    throw InputError(path + ": cannot open: " + std::strerror(EISDIR));
  }
  // A small file gets a buffer its size (a run opens the trace once per process, and zeroing
  // 1 MiB each time dominated small runs and fuzzing); fill() grows it if the file grows.
  const bool sized = known && S_ISREG(st.st_mode) && st.st_size >= 0 && uint64_t(st.st_size) < kBlockSize;
  buf_.resize(sized ? size_t(st.st_size) + 1 : kBlockSize);
}

ByteSource::~ByteSource() {
  if (fd_ >= 0) ::close(fd_);
}

size_t ByteSource::fill(size_t n) {
  if (n > kBlockSize) throw std::logic_error("ByteSource::fill: request larger than the buffer");
  if (n > buf_.size()) buf_.resize(std::max(n, std::min(kBlockSize, 2 * buf_.size())));
  if (end_ - pos_ >= n || eof_) return end_ - pos_;
  if (pos_ != 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  while (end_ < n && !eof_) {
    const ssize_t got = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw InputError(path_ + ": read error: " + std::strerror(errno));
    }
    if (got == 0) eof_ = true;
    end_ += static_cast<size_t>(got);
  }
  return end_ - pos_;
}

}  // namespace cowsim::trace
