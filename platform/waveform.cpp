#include "platform/waveform.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include "models/common/error.h"
#include "platform/system.h"

namespace cowsim {

Waveform::Waveform(const std::string& path, System& system) : path_(path), partial_(path + ".partial.vcd"), system_(system) {
  FILE* probe = std::fopen(partial_.c_str(), "w");  // fail before simulating if it cannot be written
  if (!probe) throw InputError(path + ": cannot write the waveform file");
  std::fclose(probe);
  for (const auto& core : system.cores()) core->record_waveform();
}

Waveform::~Waveform() {
  if (!committed_) std::remove(partial_.c_str());
}

namespace {

// VCD identifiers as SystemC writes them: five letters, "aaaaa", "aaaab", ...
std::string vcd_id(size_t n) {
  std::string id(5, 'a');
  for (int i = 4; i >= 0 && n; --i, n /= 26) id[i] = static_cast<char>('a' + n % 26);
  return id;
}

std::string vcd_value(WaveSignal s, uint32_t v, const std::string& id) {
  if (s == WaveSignal::kFault || s == WaveSignal::kShootdown) return (v ? "1" : "0") + id;
  std::string bits;
  do bits.insert(bits.begin(), char('0' + (v & 1))); while (v >>= 1);
  return "b" + bits + " " + id;
}

}  // namespace

void Waveform::commit() {
  constexpr const char* kNames[] = {"state", "pid", "fault", "shootdown"};
  constexpr int kWidths[] = {32, 32, 1, 1};
  const auto& cores = system_.cores();
  struct Change {
    uint64_t cycle;
    size_t signal;  // core * 4 + WaveSignal
    uint32_t value;
  };
  std::vector<Change> all;
  for (size_t c = 0; c < cores.size(); ++c)
    for (const WaveEvent& e : cores[c]->wave()) all.push_back({e.cycle, c * 4 + static_cast<size_t>(e.signal), e.value});
  // In time order; changes at the same cycle keep their recording order, so the last wins.
  std::stable_sort(all.begin(), all.end(), [](const Change& a, const Change& b) { return a.cycle < b.cycle; });

  std::ofstream out(partial_, std::ios::binary | std::ios::trunc);
  out << "$version\n cowsim 0.1.0\n$end\n\n$timescale\n 1 fs\n$end\n\n$scope module SystemC $end\n$scope module system $end\n";
  for (size_t c = 0; c < cores.size(); ++c) {
    out << "$scope module core" << c << " $end\n";
    for (size_t s = 0; s < 4; ++s)
      out << "$var wire " << kWidths[s] << " " << vcd_id(c * 4 + s) << " " << kNames[s]
          << (kWidths[s] > 1 ? " [31:0]" : "") << " $end\n";
    out << "$upscope $end\n";
  }
  out << "$upscope $end\n$upscope $end\n$enddefinitions $end\n\n";
  const uint64_t fs_per_cycle = system_.cycle().value();  // the time resolution is 1 fs
  std::vector<uint32_t> value(cores.size() * 4, 0), pending = value;
  std::vector<bool> touched(value.size(), false);
  size_t i = 0;
  // Values at cycle 0 are the initial dump; after that, each cycle's last value of each
  // signal is written if it differs from the signal's current one (as sc_trace does).
  for (auto& c : all)
    if (c.cycle == 0) value[c.signal] = c.value, ++i;
  out << "$dumpvars\n";
  for (size_t s = 0; s < value.size(); ++s) out << vcd_value(WaveSignal(s % 4), value[s], vcd_id(s)) << "\n";
  out << "$end\n";
  while (i < all.size()) {
    const uint64_t cycle = all[i].cycle;
    std::vector<size_t> order;
    for (; i < all.size() && all[i].cycle == cycle; ++i) {
      if (!touched[all[i].signal]) order.push_back(all[i].signal);
      touched[all[i].signal] = true;
      pending[all[i].signal] = all[i].value;
    }
    bool stamped = false;
    for (size_t s : order) {
      touched[s] = false;
      if (pending[s] == value[s]) continue;
      value[s] = pending[s];
      if (!stamped) out << "\n#" << cycle * fs_per_cycle << "\n";
      stamped = true;
      out << vcd_value(WaveSignal(s % 4), value[s], vcd_id(s)) << "\n";
    }
  }
  out.close();
  if (!out || std::rename(partial_.c_str(), path_.c_str()) != 0) throw InputError(path_ + ": cannot write the waveform file");
  committed_ = true;
}

}  // namespace cowsim
