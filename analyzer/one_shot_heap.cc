#include "analyzer/one_shot_heap.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define PTLINT_ONE_SHOT_HEAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PTLINT_ONE_SHOT_HEAP 0
#endif
#endif
#ifndef PTLINT_ONE_SHOT_HEAP
#define PTLINT_ONE_SHOT_HEAP 1
#endif

namespace ptlint::one_shot_heap {
namespace {

// Threads take the arena in chunks, so the common `new` touches only
// thread-local state; an atomic add per chunk keeps threads apart.
constexpr size_t kChunk = size_t{1} << 20;
constexpr size_t kAlign = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
constexpr size_t kHugePage = size_t{2} << 20;

// Set once by the first Enable() (before the command starts threads) and
// never unmapped: blocks stay valid for the life of the process.
char* g_base = nullptr;
char* g_end = nullptr;
std::atomic<size_t> g_handed{0};  // bytes of the arena handed out in chunks
std::atomic<bool> g_enabled{false};

thread_local char* t_cur = nullptr;
thread_local char* t_end = nullptr;

bool Reserve() {
  if (g_base != nullptr) return true;
  // Over-map by a huge page and start at a 2 MiB boundary: the kernel backs
  // only aligned 2 MiB ranges with huge pages, and a huge-page fault zeroes
  // 2 MiB at once instead of taking 512 faults.
  size_t span = kCapacity + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return false;
  uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(aligned), kCapacity, MADV_HUGEPAGE);  // advice only
#endif
  g_base = reinterpret_cast<char*>(aligned);
  g_end = g_base + kCapacity;
  return true;
}

// A block of `bytes` (a multiple of kAlign) from this thread's chunk, or
// nullptr when the arena is used up.
void* Bump(size_t bytes) {
  if (static_cast<size_t>(t_end - t_cur) < bytes) {
    // Used up: no more adds, so the counter cannot run away.
    if (g_handed.load(std::memory_order_relaxed) >= kCapacity) return nullptr;
    size_t offset = g_handed.fetch_add(kChunk, std::memory_order_relaxed);
    if (offset >= kCapacity || kCapacity - offset < kChunk) return nullptr;
    t_cur = g_base + offset;
    t_end = t_cur + kChunk;
  }
  void* p = t_cur;
  t_cur += bytes;
  return p;
}

}  // namespace

bool Enable() {
  if (!PTLINT_ONE_SHOT_HEAP || !Reserve()) return false;
  g_enabled.store(true, std::memory_order_relaxed);
  return true;
}

void Disable() { g_enabled.store(false, std::memory_order_relaxed); }

bool Owns(const void* p) {
  const char* c = static_cast<const char*>(p);
  return g_base != nullptr && c >= g_base && c < g_end;
}

size_t BytesUsed() {
  if (g_base == nullptr) return 0;
  // Whole chunks handed to threads, less what this thread has not used yet.
  size_t handed = g_handed.load(std::memory_order_relaxed);
  if (handed > kCapacity) handed = kCapacity;
  return handed - static_cast<size_t>(t_end - t_cur);
}

}  // namespace ptlint::one_shot_heap

#if PTLINT_ONE_SHOT_HEAP
// The replaceable global allocation functions ([new.delete.single]). The
// array, nothrow and sized forms of the standard library call these two;
// the aligned forms keep their own allocation (never from the arena).
void* operator new(size_t bytes) {
  using namespace ptlint::one_shot_heap;
  if (g_enabled.load(std::memory_order_relaxed) && bytes <= kMaxObject) {
    size_t rounded = bytes == 0 ? kAlign : (bytes + kAlign - 1) & ~(kAlign - 1);
    if (void* p = Bump(rounded)) return p;
  }
  for (;;) {
    if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void operator delete(void* p) noexcept {
  if (ptlint::one_shot_heap::Owns(p)) return;  // arena blocks live until exit
  std::free(p);
}

void operator delete(void* p, size_t) noexcept { operator delete(p); }
#endif
