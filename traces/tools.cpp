// The `cowsim trace convert|dump|stat` subcommands, as library functions.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <ostream>
#include <vector>

#include "models/common/error.h"
#include "traces/trace_io.h"

namespace cowsim::trace {

void convert_trace(const std::string& in, const std::string& out) {
  const Encoding encoding = encoding_for_path(out);  // before anything is created
  NameTable names;
  auto reader = open_trace(in, names);
  const std::string tmp = out + ".tmp";
  std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
  if (!file) throw InputError(tmp + ": cannot create: " + std::strerror(errno));
  try {
    auto writer = make_writer(file, encoding);
    Record r;
    while (reader->next(r)) writer->write(r, names);
    writer->finish();
    file.close();
    if (!file) throw InputError(tmp + ": write error: " + std::strerror(errno));
    if (std::rename(tmp.c_str(), out.c_str()) != 0)
      throw InputError(out + ": cannot rename " + tmp + " to it: " + std::strerror(errno));
  } catch (...) {
    const bool write_failed = !file;
    if (file.is_open()) file.close();
    std::remove(tmp.c_str());
    if (write_failed) throw InputError(tmp + ": write error (disk full?)");
    throw;
  }
}

void dump_trace(const std::string& in, std::ostream& out) {
  NameTable names;
  auto reader = open_trace(in, names);
  auto writer = make_writer(out, Encoding::kText);
  Record r;
  while (reader->next(r)) writer->write(r, names);
  writer->finish();
}

namespace {

// Access counts of huge ranges can exceed 64 bits when summed, so they are kept in 128.
using Count128 = unsigned __int128;

std::string to_string(Count128 v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return s;
}

struct ProcessCounts {
  uint64_t ops[static_cast<size_t>(Op::kCount)] = {};
  uint64_t records = 0;
  Count128 accesses = 0;

  void add(const ProcessCounts& o) {
    for (size_t i = 0; i < std::size(ops); ++i) ops[i] += o.ops[i];
    records += o.records;
    accesses += o.accesses;
  }
};

}  // namespace

void stat_trace(const std::string& in, std::ostream& out) {
  NameTable names;
  auto reader = open_trace(in, names);
  std::map<uint32_t, ProcessCounts> per_pid;
  Record r;
  while (reader->next(r)) {
    ProcessCounts& c = per_pid[r.pid];
    ++c.ops[static_cast<size_t>(r.op)];
    ++c.records;
    c.accesses += r.accesses();
  }
  ProcessCounts total;
  for (const auto& [pid, c] : per_pid) total.add(c);

  // Columns: pid, each op that occurs in the trace, records, accesses (ranges expanded).
  std::vector<std::string> header = {"pid"};
  std::vector<size_t> op_columns;
  for (size_t i = 0; i < std::size(total.ops); ++i) {
    if (total.ops[i] == 0) continue;
    op_columns.push_back(i);
    header.push_back(op_name(static_cast<Op>(i)));
  }
  header.push_back("records");
  header.push_back("accesses");
  std::vector<std::vector<std::string>> rows = {header};
  auto row = [&](const std::string& label, const ProcessCounts& c) {
    std::vector<std::string> cells = {label};
    for (size_t i : op_columns) cells.push_back(std::to_string(c.ops[i]));
    cells.push_back(std::to_string(c.records));
    cells.push_back(to_string(c.accesses));
    rows.push_back(std::move(cells));
  };
  for (const auto& [pid, c] : per_pid) row(std::to_string(pid), c);
  row("total", total);

  std::vector<size_t> width(header.size(), 0);
  for (const auto& cells : rows)
    for (size_t i = 0; i < cells.size(); ++i) width[i] = std::max(width[i], cells[i].size());
  out << in << ": " << total.records << (total.records == 1 ? " record, " : " records, ")
      << per_pid.size() << (per_pid.size() == 1 ? " process\n" : " processes\n");
  for (const auto& cells : rows) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      const std::string pad(width[i] - cells[i].size(), ' ');
      // Labels left-aligned, numbers right-aligned.
      line += i == 0 ? cells[i] + pad : "  " + pad + cells[i];
    }
    out << line << '\n';
  }
}

}  // namespace cowsim::trace
