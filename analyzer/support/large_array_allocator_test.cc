#include "analyzer/support/large_array_allocator.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(LargeArrayAllocator, SmallAndLargeBlocksHoldTheirValuesThroughGrowth) {
  std::vector<uint32_t, LargeArrayAllocator<uint32_t>> v;
  // Crosses the 1 MiB threshold: the first blocks come from operator new,
  // the later ones from mappings; every growth copies the elements over.
  for (uint32_t i = 0; i < 3'000'000; ++i) v.push_back(i * 7u);
  for (uint32_t i = 0; i < v.size(); i += 4099) ASSERT_EQ(v[i], i * 7u);
  EXPECT_EQ(v.back(), 2'999'999u * 7u);
  v.clear();
  v.shrink_to_fit();
  EXPECT_EQ(v.capacity(), 0u);
}

TEST(LargeArrayAllocator, LargeBlocksAreZeroedAndAlignedForHugePages) {
  LargeArrayAllocator<uint64_t> alloc;
  const size_t n = (size_t{3} << 20) / sizeof(uint64_t) + 5;  // 3 MiB and a bit
  uint64_t* p = alloc.allocate(n);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (size_t{2} << 20), 0u);
  for (size_t i = 0; i < n; i += 512) ASSERT_EQ(p[i], 0u);
  p[n - 1] = 42;  // the whole requested range is writable
  EXPECT_EQ(p[n - 1], 42u);
  alloc.deallocate(p, n);
}

TEST(LargeArrayAllocator, AbsurdCountsThrowInsteadOfWrapping) {
  LargeArrayAllocator<uint64_t> alloc;
  EXPECT_THROW(alloc.allocate(SIZE_MAX / 4), std::bad_array_new_length);
}

}  // namespace
}  // namespace ptlint
