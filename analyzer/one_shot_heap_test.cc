#include "analyzer/one_shot_heap.h"

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ptlint::one_shot_heap {
namespace {

// One test: the arena is process-wide, and enabling it is for good.
TEST(OneShotHeap, SmallNewsComeFromTheArenaAndLargeOnesFromMalloc) {
  auto before = std::make_unique<int>(1);  // allocated before Enable: malloc
  if (!Enable()) GTEST_SKIP() << "built without the replacement operators (sanitizer build)";
  EXPECT_FALSE(Owns(before.get()));

  size_t used = BytesUsed();
  auto small = std::make_unique<std::string>(100, 'x');  // the object and its buffer
  EXPECT_TRUE(Owns(small.get()));
  EXPECT_TRUE(Owns(small->data()));
  EXPECT_GE(BytesUsed(), used + 100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.get()) % __STDCPP_DEFAULT_NEW_ALIGNMENT__, 0u);

  std::vector<char> large(kMaxObject + 1, 'y');
  EXPECT_FALSE(Owns(large.data()));

  // Zero-byte requests get distinct blocks, as the standard requires.
  void* a = ::operator new(0);
  void* b = ::operator new(0);
  EXPECT_NE(a, b);
  ::operator delete(a);
  ::operator delete(b);

  // Every thread bumps in its own chunk; blocks never overlap.
  std::vector<std::vector<std::unique_ptr<uint64_t>>> per_thread(2);
  std::vector<std::thread> threads;
  for (auto& blocks : per_thread) {
    threads.emplace_back([&blocks] {
      for (uint64_t i = 0; i < 10000; ++i) blocks.push_back(std::make_unique<uint64_t>(i));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& blocks : per_thread) {
    for (uint64_t i = 0; i < blocks.size(); ++i) {
      ASSERT_TRUE(Owns(blocks[i].get()));
      ASSERT_EQ(*blocks[i], i);
    }
  }

  // Disabled: new goes to malloc again; arena blocks are still released
  // (ignored) safely by delete.
  Disable();
  auto after = std::make_unique<int>(2);
  EXPECT_FALSE(Owns(after.get()));
  small.reset();
  EXPECT_EQ(*after, 2);
}

TEST(OneShotHeap, UsedUpArenaFallsBackToMalloc) {
  if (!Enable()) GTEST_SKIP() << "built without the replacement operators (sanitizer build)";
  // Fill the arena in kMaxObject blocks (address space only: the pages are
  // touched just by the bookkeeping of this vector, which is malloc'd).
  std::vector<void*> blocks;
  blocks.reserve(kCapacity / kMaxObject + 16);
  void* p = nullptr;
  do {
    p = ::operator new(kMaxObject);
    blocks.push_back(p);
  } while (Owns(p) && blocks.size() < kCapacity / kMaxObject + 16);
  EXPECT_FALSE(Owns(blocks.back())) << "the arena never ran out";
  EXPECT_LE(BytesUsed(), kCapacity);
  Disable();
  for (void* b : blocks) ::operator delete(b);
}

}  // namespace
}  // namespace ptlint::one_shot_heap
