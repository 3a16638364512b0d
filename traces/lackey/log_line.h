// One line of a Valgrind Lackey log (`--tool=lackey --trace-mem=yes --trace-syscalls=yes`),
// classified and decoded in place. The line kinds, as Valgrind 3.19 prints them:
//
//   I  0401ab70,3                      instruction fetch: address (hex), size
//    L 1fff000628,8                    load
//    S 1fff000620,8                    store
//    M 04033e06,1                      modify: a load then a store at the same address
//   SYSCALL[3395,1](9) sys_mmap ( 0x0, 8192, 3, 34, 4294967295, 0 ) --> [pre-success] Success(0x4835000)
//   SYSCALL[3395,1](61) sys_wait4 ( 3396, 0x0, 0, 0x0 ) --> [async] ...      result comes later:
//   SYSCALL[3395,1](61) ... [async] --> Success(0xd44)
//   SYSCALL[3395,1](56) sys_clone ( 1200011, 0x0, 0x0, 0x4a29a10, 0x0 )   clone(fork): process 3395 created child 3396
//    --> [pre-success] Success(0xd44)  the result of the line above, on a line of its own
//   ==3395== Parent PID: 3383          Valgrind's commentary (also --PID-- and **PID**)
#pragma once

#include <cstdint>
#include <string_view>

namespace cowsim::lackey {

enum class LineKind : uint8_t {
  kFetch, kLoad, kStore, kModify,  // `addr`, `size`
  kSyscall,                        // `sys`
  kResult,                         // ` --> ...`: `sys.ok`, `sys.value`
  kCommentary,                     // `vg_pid`, `text` (after "==PID== ")
  kUnknown,                        // `why`
};

enum class SyscallStatus : uint8_t {
  kDone,          // result on this line
  kAsyncPending,  // `--> [async] ...`: a later `... [async] -->` line of the same thread has it
  kAsyncDone,     // `... [async] --> RESULT`: completes the pending call of this thread
  kOpen,          // no `-->`: the result is the next ` --> ` line (or, for execve, never)
};

struct SyscallLine {
  uint32_t pid = 0, tid = 0, nr = 0;
  std::string_view name;  // "sys_mmap", "exit_group", "unimplemented", ... (empty for kAsyncDone)
  std::string_view args;  // the text between the parentheses
  SyscallStatus status = SyscallStatus::kDone;
  bool ok = false;        // Success (true) or Failure (false), when a result is present
  uint64_t value = 0;     // Success's value or Failure's errno
  uint32_t child = 0;     // "process P created child C": C
};

struct LogLine {
  LineKind kind = LineKind::kUnknown;
  uint64_t addr = 0;
  uint32_t size = 0;
  SyscallLine sys;
  uint32_t vg_pid = 0;
  std::string_view text;
  const char* why = nullptr;
};

// Classifies `line` (without its newline). Views point into `line`.
LogLine parse_line(std::string_view line);

// The comma-separated arguments of a system call (commas inside parentheses, as in
// `0x4034bb0(/usr/lib/x.so)`, do not split). At most `max` are stored; returns the count.
size_t split_args(std::string_view args, std::string_view* out, size_t max);

// An argument as Valgrind prints it: 0x-hex, or decimal with an optional minus sign (as a
// two's-complement 64-bit value). False if it is neither.
bool parse_arg(std::string_view arg, uint64_t& value);
// clone's flags, printed in hex without 0x.
bool parse_hex_arg(std::string_view arg, uint64_t& value);
// The string Valgrind shows after a pointer argument: `0x4034bb0(/etc/ld.so.cache)`.
std::string_view arg_string(std::string_view arg);

}  // namespace cowsim::lackey
