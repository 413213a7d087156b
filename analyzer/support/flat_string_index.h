// FlatStringIndex: string_view -> uint32_t, open addressing, one array.
//
// For per-tensor lookups while reading a checkpoint (storage keys, record
// names): a node-based std::unordered_map allocates once per entry, and a
// 20,000-tensor state dict has 20,000 of them. Keys are views: the caller
// keeps the bytes alive (they live in the pickle arena or the Checkpoint).
#ifndef PTLINT_ANALYZER_SUPPORT_FLAT_STRING_INDEX_H_
#define PTLINT_ANALYZER_SUPPORT_FLAT_STRING_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace ptlint {

class FlatStringIndex {
 public:
  // Room for `n` entries without rehashing.
  void Reserve(size_t n) {
    size_t buckets = 16;
    while (buckets < 2 * n) buckets *= 2;
    if (buckets > slots_.size()) Rehash(buckets);
  }
  // The value stored under `key`, inserting `value` first if absent;
  // .second tells whether it was inserted. Values must be < UINT32_MAX and
  // keys shorter than 4 GiB.
  std::pair<uint32_t, bool> Emplace(std::string_view key, uint32_t value) {
    if (2 * (count_ + 1) > slots_.size()) Rehash(slots_.empty() ? 16 : 2 * slots_.size());
    size_t i = Find(key);
    if (slots_[i].value != kEmpty) return {slots_[i].value, false};
    slots_[i] = Slot{key.data(), static_cast<uint32_t>(key.size()), value};
    ++count_;
    return {value, true};
  }
  const uint32_t* Get(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    size_t i = Find(key);
    return slots_[i].value != kEmpty ? &slots_[i].value : nullptr;
  }
  bool Contains(std::string_view key) const { return Get(key) != nullptr; }
  size_t size() const { return count_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {  // 16 bytes
    const char* data = nullptr;
    uint32_t size = 0;
    uint32_t value = kEmpty;
    std::string_view key() const { return std::string_view(data, size); }
  };
  // The slot holding `key`, or the empty slot where it would go.
  size_t Find(std::string_view key) const {
    size_t mask = slots_.size() - 1;
    size_t i = std::hash<std::string_view>()(key) & mask;
    while (slots_[i].value != kEmpty && slots_[i].key() != key) i = (i + 1) & mask;
    return i;
  }
  void Rehash(size_t buckets) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(buckets, Slot{});
    for (const Slot& s : old) {
      if (s.value != kEmpty) slots_[Find(s.key())] = s;
    }
  }

  std::vector<Slot> slots_;
  size_t count_ = 0;
};

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_FLAT_STRING_INDEX_H_
