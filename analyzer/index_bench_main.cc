// Benchmark: index a whole Python package (parse + extract), then re-analyse
// one edited file incrementally. Built by bench/index_bench.sh (no CMake
// target of its own).
//
//   index_bench ROOT [EDIT_FILE] [ITERATIONS]
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "analyzer/module_index.h"

using Clock = std::chrono::steady_clock;

static double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of this process: on a shared machine wall time includes waiting
// for a core; CPU time is what "MB/s on one core" means.
static double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: index_bench ROOT [EDIT_FILE] [ITERATIONS]\n");
    return 2;
  }
  std::string root = argv[1];
  std::vector<ptlint::Error> problems;
  auto t0 = Clock::now();
  double cpu0 = CpuMs();
  ptlint::ModuleIndex index = ptlint::ModuleIndex::Build({root}, ptlint::DiscoveryOptions{}, &problems);
  double ms = Ms(Clock::now() - t0);
  double cpu_ms = CpuMs() - cpu0;
  size_t classes = 0, functions = 0;
  for (const auto& f : index.files()) {
    classes += f->classes.size();
    functions += f->functions.size();
  }
  // Classify every class too (inheritance resolution across files).
  auto t1 = Clock::now();
  size_t modules = 0;
  for (const auto* c : index.AllClasses()) modules += index.Classify(*c).kind == ptlint::ModuleKind::kModule;
  double classify_ms = Ms(Clock::now() - t1);
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  double mb = index.total_bytes() / 1e6;
  std::printf("index: %zu files, %.1f MB, %zu classes (%zu nn.Module), %zu functions\n", index.files().size(), mb,
              classes, modules, functions);
  std::printf("index: wall %.0f ms (%.1f MB/s), CPU %.0f ms (%.1f MB/s); classify all: %.0f ms; peak RSS %.0f MB; "
              "%zu problems\n",
              ms, mb / (ms / 1000.0), cpu_ms, mb / (cpu_ms / 1000.0), classify_ms, usage.ru_maxrss / 1024.0,
              problems.size());

  if (argc < 3) return 0;
  std::string path = argv[2];
  const ptlint::IndexedFile* file = index.FindFile(path);
  if (!file) {
    std::fprintf(stderr, "%s is not in the index\n", path.c_str());
    return 1;
  }
  int iterations = argc > 3 ? std::atoi(argv[3]) : 200;
  std::string text = file->parsed.source;
  size_t lines = std::count(text.begin(), text.end(), '\n');
  // Edit the middle of the file: insert then delete a comment line,
  // alternating, so each update is a real change.
  size_t mid = text.find('\n', text.size() / 2) + 1;
  uint32_t row = static_cast<uint32_t>(std::count(text.begin(), text.begin() + mid, '\n'));
  const std::string insert = "# ptlint bench edit\n";
  std::vector<double> times;
  for (int i = 0; i < iterations; ++i) {
    const bool add = i % 2 == 0;
    std::string next = text;
    TSInputEdit edit{};
    edit.start_byte = static_cast<uint32_t>(mid);
    edit.start_point = {row, 0};
    if (add) {
      next.insert(mid, insert);
      edit.old_end_byte = edit.start_byte;
      edit.new_end_byte = static_cast<uint32_t>(mid + insert.size());
      edit.old_end_point = {row, 0};
      edit.new_end_point = {row + 1, 0};
    } else {
      next.erase(mid, insert.size());
      edit.old_end_byte = static_cast<uint32_t>(mid + insert.size());
      edit.new_end_byte = edit.start_byte;
      edit.old_end_point = {row + 1, 0};
      edit.new_end_point = {row, 0};
    }
    double c = CpuMs();
    auto update = index.UpdateFile(path, edit, next);
    times.push_back(CpuMs() - c);
    if (!update.ok()) {
      std::fprintf(stderr, "update failed: %s\n", update.error().message.c_str());
      return 1;
    }
    text = std::move(next);
  }
  std::sort(times.begin(), times.end());
  std::printf("incremental (CPU time): %s (%zu lines, %zu bytes): median %.2f ms, p90 %.2f ms, max %.2f ms over %d edits\n",
              path.c_str(), lines, text.size(), times[times.size() / 2], times[times.size() * 9 / 10], times.back(),
              iterations);
  return 0;
}
