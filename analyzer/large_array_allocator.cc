#include "analyzer/large_array_allocator.h"

#include <sys/mman.h>

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

}  // namespace ptlint::large_array
