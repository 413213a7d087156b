// Benchmark: index a whole Python package (pre-scan, or parse + extract for
// the files the pre-scan refuses), then re-analyse one edited file
// incrementally. INDEX_BENCH_MATERIALIZE=1 also builds every deferred tree. Built by bench/index_bench.sh (no CMake
// target of its own).
//
//   index_bench ROOT [EDIT_FILE] [ITERATIONS]
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "analyzer/python/module_index.h"

using Clock = std::chrono::steady_clock;

static double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of this process: on a shared machine wall time includes waiting
// for a core; CPU time is what "MB/s on one core" means.
// Resident set size now (not the peak): what an idle LSP holds.
static double CurrentRssMb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long pages = 0, resident = 0;
  int got = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return got == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1048576.0) : 0;
}

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
  const double peak_after_index = usage.ru_maxrss / 1024.0;
  const double idle_after_index = CurrentRssMb();
  ptlint::ModuleIndex::Stats st = index.stats();
  double mb = index.total_bytes() / 1e6;
  std::printf("index: %zu files, %.1f MB, %zu classes (%zu nn.Module), %zu functions\n", index.files().size(), mb,
              classes, modules, functions);
  std::printf("index: wall %.0f ms (%.1f MB/s), CPU %.0f ms (%.1f MB/s); classify all: %.0f ms; peak RSS %.0f MB; "
              "%zu problems\n",
              ms, mb / (ms / 1000.0), cpu_ms, mb / (cpu_ms / 1000.0), classify_ms, peak_after_index,
              problems.size());
  std::printf("index: %zu of %zu files pre-scanned (trees deferred), %.1f MB parsed at index time; idle RSS %.0f MB\n",
              st.prescanned, st.files, st.parsed_bytes / 1e6, idle_after_index);
  if (std::getenv("INDEX_BENCH_MATERIALIZE") != nullptr) {
    // What an eager index paid: every tree built.
    double c = CpuMs();
    index.MaterializeAll();
    double all_ms = CpuMs() - c;
    getrusage(RUSAGE_SELF, &usage);
    st = index.stats();
    std::printf("materialise all: CPU %.0f ms; %zu prescan/tree mismatches; peak RSS %.0f MB\n", all_ms,
                st.mismatches, usage.ru_maxrss / 1024.0);
  }

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
