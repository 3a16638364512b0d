#include "platform/bench/child_process.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "models/common/error.h"

namespace cowsim::bench {

namespace {

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

ChildResult run_in_child(const std::function<nlohmann::json()>& work) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);  // the child must not write the parent's buffered output again
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    nlohmann::json out;
    try {
      out = {{"ok", work()}};
    } catch (const InputError& e) {
      out = {{"input_error", e.what()}};
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
    }
    write_all(fds[1], out.dump());
    ::close(fds[1]);
    std::fflush(nullptr);
    ::_exit(0);  // no destructors: the SystemC kernel of this child is simply dropped
  }
  ::close(fds[1]);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  struct rusage ru {};
  while (::wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR) throw std::runtime_error(std::string("wait4: ") + std::strerror(errno));
  if (WIFSIGNALED(status))
    throw std::runtime_error("benchmark child process killed by signal " + std::to_string(WTERMSIG(status)));
  nlohmann::json out = nlohmann::json::parse(text, nullptr, false);
  if (out.is_discarded() || !out.is_object()) throw std::runtime_error("benchmark child process sent no result");
  if (out.contains("input_error")) throw InputError(out["input_error"].get<std::string>());
  if (out.contains("error")) throw std::runtime_error(out["error"].get<std::string>());
  return {out["ok"], static_cast<uint64_t>(ru.ru_maxrss) * 1024,  // ru_maxrss is in KiB on Linux
          static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6,
          static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6};
}

}  // namespace cowsim::bench
