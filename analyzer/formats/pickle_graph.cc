#include "analyzer/formats/pickle_graph.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

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

std::string PickleGraphDifference(const PickleGraph& a, const PickleGraph& b) {
  auto lists = [](const NodeList& x, const NodeList& y) {
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
  };
  auto bits = [](double x) {
    uint64_t u;
    std::memcpy(&u, &x, sizeof u);
    return u;
  };
  if (a.nodes.size() != b.nodes.size()) {
    return "node counts differ: " + std::to_string(a.nodes.size()) + " and " +
           std::to_string(b.nodes.size());
  }
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const PickleNode& x = a.nodes[i];
    const PickleNode& y = b.nodes[i];
    const char* field = nullptr;
    if (x.kind != y.kind) field = "kind";
    else if (x.opcode != y.opcode) field = "opcode";
    else if (x.truncated != y.truncated) field = "truncated";
    else if (x.dynamic != y.dynamic) field = "dynamic";
    else if (x.callee != y.callee) field = "callee";
    else if (x.args != y.args) field = "args";
    else if (x.kwargs != y.kwargs) field = "kwargs";
    else if (x.offset != y.offset) field = "offset";
    else if (x.int_value != y.int_value) field = "int_value";
    else if (bits(x.float_value) != bits(y.float_value)) field = "float_value";
    else if (x.size != y.size) field = "size";
    else if (!(x.text == y.text)) field = "text";
    else if (!(x.name == y.name)) field = "name";
    else if (!lists(x.items, y.items)) field = "items";
    else if (!lists(x.builds, y.builds)) field = "builds";
    else if (!lists(x.appended, y.appended)) field = "appended";
    else if (!lists(x.set_items, y.set_items)) field = "set_items";
    if (field) {
      return "node " + std::to_string(i) + " (offset " + std::to_string(x.offset) + ") differs in " +
             field;
    }
  }
  if (a.root != b.root) return "roots differ";
  if (a.globals.size() != b.globals.size()) return "global counts differ";
  for (size_t i = 0; i < a.globals.size(); ++i) {
    const GlobalRef& x = a.globals[i];
    const GlobalRef& y = b.globals[i];
    if (x.module != y.module || x.name != y.name || x.offset != y.offset || x.opcode != y.opcode ||
        x.dynamic != y.dynamic || x.truncated != y.truncated || x.node != y.node) {
      return "global " + std::to_string(i) + " differs";
    }
  }
  if (a.anomalies.size() != b.anomalies.size()) return "anomaly counts differ";
  for (size_t i = 0; i < a.anomalies.size(); ++i) {
    const PickleAnomaly& x = a.anomalies[i];
    const PickleAnomaly& y = b.anomalies[i];
    if (x.code != y.code || x.message != y.message || x.offset != y.offset) {
      return "anomaly " + std::to_string(i) + " differs: " + x.code + " / " + y.code;
    }
  }
  if (a.protocol != b.protocol) return "protocols differ";
  if (a.start_offset != b.start_offset) return "start offsets differ";
  if (a.end_offset != b.end_offset) return "end offsets differ";
  if (a.opcode_count != b.opcode_count) return "opcode counts differ";
  if (a.error.has_value() != b.error.has_value()) return "one run has an error, the other not";
  if (a.error) {
    const Error& x = *a.error;
    const Error& y = *b.error;
    if (x.code != y.code || x.message != y.message || x.hint != y.hint || x.offset != y.offset) {
      return "errors differ: " + x.code + ": " + x.message + " / " + y.code + ": " + y.message;
    }
  }
  return {};
}

}  // namespace ptlint
