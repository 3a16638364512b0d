#include "traces/lackey/log_line.h"

namespace cowsim::lackey {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Hex digits at s[i...] up to `stop`; at most 16 of them.
bool hex_until(std::string_view s, size_t& i, char stop, uint64_t& v) {
  v = 0;
  size_t start = i;
  for (; i < s.size() && s[i] != stop; ++i) {
    int d = hex_digit(s[i]);
    if (d < 0 || i - start == 16) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return i > start && i < s.size();
}

bool decimal(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 20) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  return true;
}

// Decimal digits at s[i...] up to `stop` (which must follow), fitting 32 bits.
bool u32_until(std::string_view s, size_t& i, char stop, uint32_t& v) {
  size_t j = s.find(stop, i);
  uint64_t x;
  if (j == std::string_view::npos || !decimal(s.substr(i, j - i), x) || x > UINT32_MAX) return false;
  v = static_cast<uint32_t>(x);
  i = j + 1;
  return true;
}

LogLine unknown(const char* why) {
  LogLine l;
  l.why = why;
  return l;
}

// `I  addr,size`, ` L addr,size`, ...: `i` is where the address starts.
LogLine access(std::string_view s, size_t i, LineKind kind) {
  LogLine l;
  if (!hex_until(s, i, ',', l.addr)) return unknown("bad address in a memory access line");
  uint64_t size;
  if (!decimal(s.substr(i + 1), size) || size == 0 || size > UINT32_MAX)
    return unknown("bad size in a memory access line");
  l.kind = kind;
  l.size = static_cast<uint32_t>(size);
  return l;
}

// "Success(0x4835000)" or "Failure(0x2)", after optional "[tag]"s.
bool parse_result(std::string_view s, bool& ok, uint64_t& value) {
  size_t i = 0;
  for (;;) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && s[i] == '[') {
      size_t j = s.find(']', i);
      if (j == std::string_view::npos) return false;
      i = j + 1;
      continue;
    }
    break;
  }
  s = s.substr(i);
  if (starts_with(s, "Success(0x")) {
    ok = true;
    i = 10;
  } else if (starts_with(s, "Failure(0x")) {
    ok = false;
    i = 10;
  } else {
    return false;
  }
  if (!hex_until(s, i, ')', value)) return false;
  for (++i; i < s.size(); ++i)
    if (s[i] != ' ') return false;
  return true;
}

// "... process P created child C" anywhere in s: C, else 0.
uint32_t announced_child(std::string_view s) {
  constexpr std::string_view kCreated = " created child ";
  size_t at = s.find(kCreated);
  if (at == std::string_view::npos || s.find(": process ") == std::string_view::npos) return 0;
  size_t i = at + kCreated.size(), j = i;
  while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
  uint64_t c;
  if (!decimal(s.substr(i, j - i), c) || c == 0 || c > UINT32_MAX) return 0;
  return static_cast<uint32_t>(c);
}

LogLine syscall(std::string_view s) {
  LogLine l;
  SyscallLine& c = l.sys;
  size_t i = 8;  // after "SYSCALL["
  if (!u32_until(s, i, ',', c.pid) || !u32_until(s, i, ']', c.tid) || i >= s.size() || s[i] != '(')
    return unknown("bad SYSCALL[pid,tid](nr) prefix");
  ++i;
  if (!u32_until(s, i, ')', c.nr) || i >= s.size() || s[i] != ' ') return unknown("bad SYSCALL[pid,tid](nr) prefix");
  std::string_view rest = s.substr(i + 1);
  l.kind = LineKind::kSyscall;

  if (starts_with(rest, "... [async] -->")) {
    c.status = SyscallStatus::kAsyncDone;
    if (!parse_result(rest.substr(15), c.ok, c.value)) return unknown("bad result of an asynchronous system call");
    return l;
  }
  size_t n = 0;
  while (n < rest.size() && rest[n] != ' ' && rest[n] != '(') ++n;
  if (n == 0) return unknown("system call without a name");
  c.name = rest.substr(0, n);
  size_t open = rest.find('(', n);
  size_t arrow = rest.find("-->", n);
  if (open != std::string_view::npos && open < arrow) {
    int depth = 0;
    size_t j = open;
    for (; j < rest.size(); ++j) {
      if (rest[j] == '(') ++depth;
      else if (rest[j] == ')' && --depth == 0) break;
    }
    if (j == rest.size()) return unknown("unbalanced parentheses in system call arguments");
    c.args = rest.substr(open + 1, j - open - 1);
    arrow = rest.find("-->", j);
  }
  if (arrow == std::string_view::npos) {
    c.status = SyscallStatus::kOpen;
    c.child = announced_child(rest);
    return l;
  }
  std::string_view result = rest.substr(arrow + 3);
  size_t k = result.find_first_not_of(' ');
  if (k != std::string_view::npos && starts_with(result.substr(k), "[async] ...")) {
    c.status = SyscallStatus::kAsyncPending;
    return l;
  }
  if (!parse_result(result, c.ok, c.value)) return unknown("bad system call result");
  return l;
}

// "==PID== text", "--PID-- text", "**PID** text".
LogLine commentary(std::string_view s) {
  const char mark = s[0];
  size_t i = 2;
  LogLine l;
  uint64_t pid;
  size_t j = s.find(mark, i);
  if (j == std::string_view::npos || j + 1 >= s.size() || s[j + 1] != mark || !decimal(s.substr(i, j - i), pid) ||
      pid > UINT32_MAX)
    return unknown("unrecognised line");
  l.kind = LineKind::kCommentary;
  l.vg_pid = static_cast<uint32_t>(pid);
  l.text = s.substr(j + 2);
  if (!l.text.empty() && l.text[0] == ' ') l.text.remove_prefix(1);
  return l;
}

}  // namespace

LogLine parse_line(std::string_view s) {
  if (s.size() >= 4) {
    // The memory lines come first: they are nearly all of a log.
    if (s[0] == 'I' && s[1] == ' ' && s[2] == ' ') return access(s, 3, LineKind::kFetch);
    if (s[0] == ' ' && s[2] == ' ') {
      switch (s[1]) {
        case 'L': return access(s, 3, LineKind::kLoad);
        case 'S': return access(s, 3, LineKind::kStore);
        case 'M': return access(s, 3, LineKind::kModify);
        default: break;
      }
    }
    if (starts_with(s, "SYSCALL[")) return syscall(s);
    if (starts_with(s, " --> ")) {
      LogLine l;
      l.kind = LineKind::kResult;
      if (!parse_result(s.substr(5), l.sys.ok, l.sys.value)) return unknown("bad system call result");
      return l;
    }
    if ((s[0] == '=' || s[0] == '-' || s[0] == '*') && s[1] == s[0]) return commentary(s);
  }
  return unknown("unrecognised line");
}

size_t split_args(std::string_view args, std::string_view* out, size_t max) {
  size_t n = 0, start = 0;
  int depth = 0;
  auto push = [&](size_t end) {
    std::string_view a = args.substr(start, end - start);
    while (!a.empty() && a.front() == ' ') a.remove_prefix(1);
    while (!a.empty() && a.back() == ' ') a.remove_suffix(1);
    if (n < max) out[n] = a;
    ++n;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == '(') ++depth;
    else if (args[i] == ')') --depth;
    else if (args[i] == ',' && depth == 0) {
      push(i);
      start = i + 1;
    }
  }
  if (args.find_first_not_of(' ') != std::string_view::npos || n > 0) push(args.size());
  return n < max ? n : max;
}

bool parse_arg(std::string_view a, uint64_t& v) {
  if (starts_with(a, "0x")) {
    size_t paren = a.find('(');
    std::string_view digits = a.substr(2, paren == std::string_view::npos ? std::string_view::npos : paren - 2);
    return parse_hex_arg(digits, v);
  }
  if (!a.empty() && a[0] == '-') {
    if (!decimal(a.substr(1), v)) return false;
    v = ~v + 1;
    return true;
  }
  return decimal(a, v);
}

bool parse_hex_arg(std::string_view a, uint64_t& v) {
  if (a.empty() || a.size() > 16) return false;
  v = 0;
  for (char ch : a) {
    int d = hex_digit(ch);
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return true;
}

std::string_view arg_string(std::string_view a) {
  size_t open = a.find('(');
  if (open == std::string_view::npos || a.back() != ')') return {};
  return a.substr(open + 1, a.size() - open - 2);
}

}  // namespace cowsim::lackey
