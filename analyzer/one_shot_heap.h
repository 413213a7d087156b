// OneShotHeap: a monotonic arena behind the global operator new, for CLI
// runs that read one batch of files, print, and exit.
//
// Reading a 20,000-tensor state dict makes ~200,000 small allocations (names,
// shapes, strides, record names) and frees almost none of them before the
// process exits; glibc's malloc spends ~175 instructions on each (no freed
// chunk to reuse, so every one is carved from the top chunk), 8 % of the
// whole `inspect` run. Once enabled, `new` of up to kMaxObject bytes is a
// pointer bump in a per-thread chunk and `delete` of such a block does
// nothing. The arena is bounded (kCapacity bytes of address space, touched
// only as used): when it is used up, allocation falls back to malloc, so the
// memory a run can waste on never-reused blocks is bounded too.
//
// Only the `ptlint` executable links the replacement operators
// (one_shot_heap.cc); the language server, a long-running process, never
// enables it. Not compiled under AddressSanitizer (its own operators must
// stay to find use-after-free).
#ifndef PTLINT_ANALYZER_ONE_SHOT_HEAP_H_
#define PTLINT_ANALYZER_ONE_SHOT_HEAP_H_

#include <cstddef>

namespace ptlint::one_shot_heap {

inline constexpr size_t kCapacity = size_t{256} << 20;  // address space reserved
inline constexpr size_t kMaxObject = 4096;              // larger requests use malloc

// From now on, small `new`s come from the arena (reserved on first call).
// Returns false (and changes nothing) if the arena cannot be reserved or the
// build has no replacement operators.
bool Enable();
// Small `new`s go to malloc again; blocks already in the arena stay valid
// (their `delete` is still recognised and ignored).
void Disable();
// Whether `p` lies in the arena (tests).
bool Owns(const void* p);
// Bytes handed out from the arena so far (tests).
size_t BytesUsed();

}  // namespace ptlint::one_shot_heap

#endif  // PTLINT_ANALYZER_ONE_SHOT_HEAP_H_
