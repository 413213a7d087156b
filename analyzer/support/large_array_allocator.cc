#include "analyzer/support/large_array_allocator.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

#include <cstdint>

namespace ptlint::large_array {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t RoundUp(size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

}  // namespace

void* Map(size_t bytes) {
  size_t size = RoundUp(bytes);
  if (size < bytes) throw std::bad_alloc();
  // Over-map by one huge page, then trim to a 2 MiB-aligned window: the
  // kernel only uses huge pages for aligned 2 MiB ranges.
  size_t span = size + kHugePage;
  if (span < size) throw std::bad_alloc();
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  uintptr_t end = aligned + size;
  uintptr_t raw_end = start + span;
  if (raw_end > end) munmap(reinterpret_cast<void*>(end), raw_end - end);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);  // advice only
#endif
  return reinterpret_cast<void*>(aligned);
}

void Unmap(void* p, size_t bytes) {
  if (p != nullptr) munmap(p, RoundUp(bytes));
}

void ConfigureHeapForOneShotRun() {
  constexpr size_t kPad = size_t{64} << 20;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, static_cast<int>(kPad));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kPad));
  // Make the heap grow now, then advise the whole new range.
  uintptr_t before = reinterpret_cast<uintptr_t>(sbrk(0));
  void* probe = std::malloc(size_t{16} << 20);
  // (A store the compiler must keep: an unused malloc/free pair is elided.)
  if (probe != nullptr) static_cast<volatile char*>(probe)[0] = 0;
  uintptr_t after = reinterpret_cast<uintptr_t>(sbrk(0));
  std::free(probe);
  uintptr_t lo = (before + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
  uintptr_t hi = after & ~(uintptr_t{kHugePage} - 1);
#ifdef MADV_HUGEPAGE
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#endif
}

}  // namespace ptlint::large_array
