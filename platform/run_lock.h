// One run at a time per --out folder: a run takes an exclusive lock on DIR/.cowsim-lock
// before it simulates and keeps it until its results are in place, so a second run into the
// same folder fails at once with a clear error instead of interleaving its files. The lock is
// flock(2): the kernel drops it when the process ends, however it ends (kill -9 included),
// so a stale lock file never blocks later runs.
#pragma once

#include <string>

namespace cowsim {

class RunLock {
 public:
  explicit RunLock(const std::string& dir);  // creates DIR if needed; InputError if taken
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cowsim
