#include "analyzer/formats/pickle_graph.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace ptlint {

const char* PickleKindName(PickleKind kind) {
  switch (kind) {
    case PickleKind::kNone: return "none";
    case PickleKind::kBool: return "bool";
    case PickleKind::kInt: return "int";
    case PickleKind::kBigInt: return "bigint";
    case PickleKind::kFloat: return "float";
    case PickleKind::kStr: return "str";
    case PickleKind::kBytes: return "bytes";
    case PickleKind::kTuple: return "tuple";
    case PickleKind::kList: return "list";
    case PickleKind::kDict: return "dict";
    case PickleKind::kSet: return "set";
    case PickleKind::kFrozenSet: return "frozenset";
    case PickleKind::kGlobal: return "global";
    case PickleKind::kCall: return "call";
    case PickleKind::kNewObj: return "newobj";
    case PickleKind::kPersistentId: return "persistent-id";
    case PickleKind::kExtension: return "extension";
  }
  return "?";
}

void PickleArena::NewBlock(size_t words) {
  size_t block = std::max(words, next_words_);
  blocks_.push_back(std::unique_ptr<uint32_t[]>(new uint32_t[block]));
  cur_ = blocks_.back().get();
  left_ = block;
  if (next_words_ < (size_t{1} << 20)) next_words_ *= 2;  // up to 4 MiB blocks
}

PickleText::PickleText(PickleArena& arena, std::string_view s) {
  if (s.empty()) return;
  // Texts are bounded by PickleLimits::max_text_kept (a uint32_t) or are
  // short descriptions; clamp anyway so the length always fits its slot.
  uint32_t n = static_cast<uint32_t>(std::min<size_t>(s.size(), UINT32_MAX - 8));
  char* block = static_cast<char*>(arena.Allocate(sizeof n + n));
  std::memcpy(block, &n, sizeof n);
  std::memcpy(block + sizeof n, s.data(), n);
  p_ = block + sizeof n;
}

NodeList::NodeList(PickleArena& arena, const std::vector<NodeId>& items) {
  if (!items.empty()) Append(arena, items.data(), items.size());
}

NodeId NodeList::at(size_t i) const {
  if (i >= size()) throw std::out_of_range("NodeList::at");
  return p_[i];
}

void NodeList::Append(PickleArena& arena, const NodeId* items, size_t count) {
  if (count == 0) return;
  size_t size = this->size();
  size_t capacity = p_ ? p_[-2] : 0;
  if (count > capacity - size) {
    // Node counts are bounded by PickleLimits::max_nodes and the stack by
    // max_stack, so a list never reaches 2^32 items; saturate regardless.
    size_t want = size == 0 ? count : std::max<size_t>(size + count, 2 * size);
    want = std::min<size_t>(want, UINT32_MAX - 2);
    if (want < size + count) return;  // cannot happen within PickleLimits
    NodeId* block = static_cast<NodeId*>(arena.Allocate((want + 2) * sizeof(NodeId)));
    block[0] = static_cast<NodeId>(want);
    block[1] = static_cast<NodeId>(size);
    if (size > 0) std::memcpy(block + 2, p_, size * sizeof(NodeId));
    p_ = block + 2;
  }
  if (count <= 4) {  // most lists the machine builds (tuples): cheaper than a memcpy call
    for (size_t i = 0; i < count; ++i) p_[size + i] = items[i];
  } else {
    std::memcpy(p_ + size, items, count * sizeof(NodeId));
  }
  p_[-1] = static_cast<NodeId>(size + count);
}

}  // namespace ptlint
