// LargeArrayAllocator: a std::allocator replacement for the few arrays that
// grow to megabytes while reading one checkpoint (the pickle graph's nodes,
// the interpreter's per-node tables).
//
// Why: reading a 20,000-tensor state dict touches ~60 MB of fresh memory,
// and on a 4 KiB-page kernel each first touch is a page fault (~2.5 us in a
// VM): that was a third of `ptlint inspect`'s time. Blocks of 1 MiB and more
// are mapped directly, aligned to 2 MiB and marked MADV_HUGEPAGE, so a kernel
// with transparent huge pages in "madvise" mode (Debian's default) backs
// them with 2 MiB pages: one fault instead of 512. Where huge pages are off,
// the advice is ignored and the block behaves like any anonymous mapping.
// Smaller blocks go to operator new as usual.
#ifndef PTLINT_ANALYZER_SUPPORT_LARGE_ARRAY_ALLOCATOR_H_
#define PTLINT_ANALYZER_SUPPORT_LARGE_ARRAY_ALLOCATOR_H_

#include <cstddef>
#include <new>

namespace ptlint {

namespace large_array {
// Returns `bytes` (>= kThreshold) of zero-filled memory aligned to 2 MiB, or
// throws std::bad_alloc like operator new.
void* Map(size_t bytes);
void Unmap(void* p, size_t bytes);
constexpr size_t kThreshold = size_t{1} << 20;

// For a one-shot command (`ptlint inspect`, `ptlint check`): grows the malloc
// heap by 64 MiB up front (address space only), keeps medium blocks (up to
// 32 MiB: tensor tables, zip directories) in it instead of fresh mappings,
// never hands it back mid-run, and marks it MADV_HUGEPAGE, so the strings
// and tables of a big checkpoint fault in 2 MiB at a time too. Not for the
// language server, whose heap should shrink after a big file.
void ConfigureHeapForOneShotRun();
}  // namespace large_array

template <class T>
struct LargeArrayAllocator {
  using value_type = T;

  LargeArrayAllocator() noexcept = default;
  template <class U>
  LargeArrayAllocator(const LargeArrayAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    size_t bytes = n * sizeof(T);
    if (bytes >= large_array::kThreshold) return static_cast<T*>(large_array::Map(bytes));
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, size_t n) noexcept {
    size_t bytes = n * sizeof(T);
    if (bytes >= large_array::kThreshold) {
      large_array::Unmap(p, bytes);
    } else {
      ::operator delete(p);
    }
  }

  template <class U>
  bool operator==(const LargeArrayAllocator<U>&) const noexcept { return true; }
};

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_LARGE_ARRAY_ALLOCATOR_H_
