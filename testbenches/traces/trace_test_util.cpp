#include "testbenches/traces/trace_test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cowsim::trace {

void PrintTo(const Record& r, std::ostream* os) {
  *os << "{op=" << op_name(r.op) << " pid=" << r.pid << " addr=0x" << std::hex << r.addr
      << " len=0x" << r.len << " stride=0x" << r.stride << std::dec << " size=" << r.size
      << " prot=" << int{r.prot} << " flags=" << int{r.flags}
      << " advice=" << static_cast<int>(r.advice) << " name=" << r.name << "}";
}

}  // namespace cowsim::trace

namespace cowsim::trace::test {

ScratchDir::ScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/cowsim-trace-test-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
}

ScratchDir::~ScratchDir() {
  if (DIR* d = opendir(dir_.c_str())) {
    while (const dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") unlink(path(name).c_str());
    }
    closedir(d);
  }
  rmdir(dir_.c_str());
}

std::string ScratchDir::write(const std::string& name, const std::string& bytes) const {
  const std::string p = path(name);
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << bytes;
  if (!f) throw std::runtime_error("cannot write " + p);
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::vector<Record> read_all(const std::string& path, NameTable& names) {
  auto stream = open_trace(path, names);
  std::vector<Record> records;
  Record r;
  while (stream->next(r)) records.push_back(r);
  return records;
}

std::string encode(const std::vector<Record>& records, const NameTable& names, Encoding e) {
  std::ostringstream out;
  auto writer = make_writer(out, e);
  for (const Record& r : records) writer->write(r, names);
  writer->finish();
  return out.str();
}

std::vector<Record> parse_text(const std::string& body, NameTable& names) {
  ScratchDir dir;
  return read_all(dir.write("t.cwt", "cowsim-trace 1\n" + body), names);
}

std::string example_dir() { return std::string(COWSIM_SOURCE_DIR) + "/traces/examples"; }

std::vector<std::string> example_traces() {
  std::vector<std::string> paths;
  if (DIR* d = opendir(example_dir().c_str())) {
    while (const dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".cwt") == 0)
        paths.push_back(example_dir() + "/" + name);
    }
    closedir(d);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace cowsim::trace::test
