// PickleGraph: what the static pickle machine (pickle_machine.h) builds from
// one pickle, and all a later stage needs to read it: nodes, globals, the
// arena that holds their text and lists, anomalies and the error that ended
// the run. Models (checkpoint/) embed graphs; only readers run the machine.
#ifndef PTLINT_ANALYZER_FORMATS_PICKLE_GRAPH_H_
#define PTLINT_ANALYZER_FORMATS_PICKLE_GRAPH_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/support/large_array_allocator.h"
#include "analyzer/support/result.h"

namespace ptlint {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0xffffffffu;

enum class PickleKind : uint8_t {
  kNone,
  kBool,          // int_value 0/1
  kInt,           // fits int64: int_value
  kBigInt,        // LONG/LONG1/LONG4 beyond int64: text = decimal digits (or "<huge>")
  kFloat,         // float_value
  kStr,           // text (UTF-8 as stored; may be truncated, see size)
  kBytes,         // text holds raw bytes (may be truncated, see size)
  kTuple,         // items
  kList,          // items
  kDict,          // items = k0, v0, k1, v1, ...
  kSet,           // items
  kFrozenSet,     // items
  kGlobal,        // module, name (GLOBAL, STACK_GLOBAL, INST/OBJ class refs)
  kCall,          // REDUCE / INST / OBJ: callee(args)
  kNewObj,        // NEWOBJ / NEWOBJ_EX: callee = class, args, kwargs
  kPersistentId,  // PERSID / BINPERSID: args = the pid object
  kExtension,     // EXT1/2/4: int_value = extension code (unresolvable statically)
};

const char* PickleKindName(PickleKind kind);

class PickleArena;

// A node's text (str/bytes payload, bigint digits, a global's module or
// name), stored in its graph's arena: 8 bytes in the node instead of a
// std::string. Reads like a std::string_view; converts to std::string.
class PickleText {
 public:
  PickleText() = default;
  // Copies `s` into `arena`.
  PickleText(PickleArena& arena, std::string_view s);

  size_t size() const {
    if (p_ == nullptr) return 0;
    uint32_t n;
    std::memcpy(&n, p_ - sizeof n, sizeof n);
    return n;
  }
  bool empty() const { return size() == 0; }
  const char* data() const { return p_ ? p_ : ""; }
  std::string_view view() const { return std::string_view(data(), size()); }
  std::string str() const { return std::string(view()); }
  operator std::string_view() const { return view(); }
  operator std::string() const { return str(); }
  char operator[](size_t i) const { return p_[i]; }
  const char* begin() const { return data(); }
  const char* end() const { return data() + size(); }
  size_t find(std::string_view s, size_t pos = 0) const { return view().find(s, pos); }
  size_t find(char c, size_t pos = 0) const { return view().find(c, pos); }
  size_t rfind(std::string_view s, size_t pos = std::string_view::npos) const {
    return view().rfind(s, pos);
  }
  size_t rfind(char c, size_t pos = std::string_view::npos) const { return view().rfind(c, pos); }
  std::string_view substr(size_t pos, size_t n = std::string_view::npos) const {
    return view().substr(pos, n);
  }

  friend bool operator==(const PickleText& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const PickleText& a, const PickleText& b) { return a.view() == b.view(); }
  friend std::string operator+(const PickleText& a, std::string_view b) {
    std::string out(a.view());
    out += b;
    return out;
  }
  friend std::string operator+(std::string a, const PickleText& b) {
    a += b.view();
    return a;
  }
  friend std::string operator+(const PickleText& a, const PickleText& b) {
    return a + b.view();
  }
  friend std::string operator+(const char* a, const PickleText& b) {
    return std::string(a) + b;
  }
  friend std::ostream& operator<<(std::ostream& out, const PickleText& t) {
    return out << t.view();
  }

 private:
  const char* p_ = nullptr;  // the bytes; their count (uint32) sits just before them
};

// The NodeIds of a node's items / builds / appended / set_items, stored in
// its graph's arena: 8 bytes in the node instead of a std::vector. Reads
// like a const std::vector<NodeId>.
class NodeList {
 public:
  using value_type = NodeId;
  using size_type = size_t;
  using const_iterator = const NodeId*;
  using iterator = const NodeId*;

  NodeList() = default;
  // Copies `items` into `arena`.
  NodeList(PickleArena& arena, const std::vector<NodeId>& items);

  size_t size() const { return p_ ? p_[-1] : 0; }
  bool empty() const { return size() == 0; }
  const NodeId* data() const { return p_; }
  const NodeId* begin() const { return p_; }
  const NodeId* end() const { return p_ ? p_ + p_[-1] : p_; }
  NodeId operator[](size_t i) const { return p_[i]; }
  NodeId at(size_t i) const;
  NodeId front() const { return p_[0]; }
  NodeId back() const { return p_[p_[-1] - 1]; }

  // Building (the machine while it runs, tests): appends in place, or moves
  // the list to a bigger block of the arena. A graph is read-only once built:
  // copies of a graph share its arena.
  void Append(PickleArena& arena, const NodeId* items, size_t count);
  void Append(PickleArena& arena, NodeId item) { Append(arena, &item, 1); }
  friend bool operator==(const NodeList& a, const std::vector<NodeId>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  NodeId* p_ = nullptr;  // the items; p_[-1] is the count, p_[-2] the capacity
};

// Append-only storage for the texts and lists of one graph's nodes (and
// anything built on it later); blocks never move, so views stay valid as
// long as the arena lives.
class PickleArena {
 public:
  PickleArena() = default;
  PickleArena(const PickleArena&) = delete;
  PickleArena& operator=(const PickleArena&) = delete;
  // `bytes` bytes aligned for uint32_t (uninitialised). Inline: the pickle
  // machine allocates a text or list for most nodes it creates.
  void* Allocate(size_t bytes) {
    size_t words = bytes / sizeof(uint32_t) + (bytes % sizeof(uint32_t) != 0);
    if (words > left_) NewBlock(words);
    void* p = cur_;
    cur_ += words;
    left_ -= words;
    total_ += words * sizeof(uint32_t);
    return p;
  }
  uint64_t bytes_allocated() const { return total_; }

 private:
  void NewBlock(size_t words);  // makes cur_ a block of at least `words`

  std::vector<std::unique_ptr<uint32_t[]>> blocks_;
  uint32_t* cur_ = nullptr;
  size_t left_ = 0;       // uint32_t words left in the current block
  size_t next_words_ = 4096;
  uint64_t total_ = 0;
};

// Node identity follows CPython object identity: memo GETs and DUP push the
// same NodeId again, and the immutable singletons CPython caches (None, True,
// False, the empty tuple from EMPTY_TUPLE, ints -5..256) get one node per
// value per run, whose `offset` is their first occurrence.
struct PickleNode {
  // (Fields are ordered for packing: a big pickle has millions of nodes.
  // Texts and lists live in the graph's arena: a node is 96 bytes.)
  PickleKind kind = PickleKind::kNone;
  uint8_t opcode = 0;        // the opcode byte that created the node
  bool truncated = false;    // text holds only a prefix of the payload
  bool dynamic = false;      // kGlobal from STACK_GLOBAL with non-constant operands
  NodeId callee = kNoNode;   // kCall/kNewObj: what is called / instantiated
  NodeId args = kNoNode;     // kCall/kNewObj: argument tuple; kPersistentId: pid
  NodeId kwargs = kNoNode;   // kNewObj from NEWOBJ_EX
  uint64_t offset = 0;       // absolute byte offset of that opcode in the file
  int64_t int_value = 0;
  double float_value = 0;
  uint64_t size = 0;         // kStr/kBytes: real length in the file
  PickleText text;           // kStr/kBytes/kBigInt payload; kGlobal: module
  PickleText name;           // kGlobal: qualified name
  NodeList items;
  // Mutations applied to an opaque object (a kCall/kNewObj result):
  NodeList builds;           // BUILD states, in order
  NodeList appended;         // APPEND/APPENDS items
  NodeList set_items;        // SETITEM/SETITEMS: k0, v0, k1, v1, ...
};

// Every global reference the pickle makes, in stream order.
struct GlobalRef {
  std::string module;
  std::string name;
  uint64_t offset = 0;       // absolute byte offset of the opcode
  uint8_t opcode = 0;        // 'c' GLOBAL, 0x93 STACK_GLOBAL, 'i' INST
  bool dynamic = false;      // operands were not constant strings
  NodeId node = kNoNode;     // the kGlobal node
  // The module or name is longer than PickleLimits::max_text_kept: module
  // and name hold only a prefix, and what the whole name reaches is unknown.
  bool truncated = false;
};

// Something the stream does that a real unpickler would accept but that no
// honest writer produces (memo overwrite, stack left non-empty at STOP, data
// after STOP, FRAME length that disagrees with the opcodes, ...). Security
// rules treat these as evidence of scanner-evasion.
//
// Codes (each is recorded at most 16 times per run; a final
// "anomaly.suppressed" entry counts the rest):
//   memo.overwrite          PUT/BINPUT/LONG_BINPUT/MEMOIZE on an index already set
//                           (also what mixing PUT and MEMOIZE produces).
//   stop.stack-not-empty    values left on the stack under the STOP result.
//   stop.mark-open          a MARK never closed when STOP ran.
//   frame.length-mismatch   an opcode straddles the end of a FRAME, a FRAME
//                           starts before the previous one ends, or STOP comes
//                           before the declared end of its frame.
//   frame.skipped-bytes     (kFileStream) the straddling read makes CPython's
//                           file unpickler (what torch.load uses) discard the
//                           rest of the frame: torch.load executes different
//                           opcodes than pickletools / pickle.loads show.
//   proto.duplicate         a second PROTO opcode.
//   proto.not-first         PROTO somewhere other than the first opcode.
//   opcode.newer-than-protocol  an opcode introduced after the declared PROTO.
//   pop.mark                POP removed a MARK (honest only in protocol 0/1,
//                           which writes POP*(n+1) for recursive tuples).
//   build.on-global         BUILD on a class/function reference: sets
//                           attributes on an imported object (modelscan#85).
//   build.on-non-object     BUILD on a None/int/str/tuple/list/... value.
//   setitem.on-non-dict     SETITEM(S) on a list or bytearray (item assignment).
//   global.dotted-name-before-proto4  GLOBAL/INST name with a '.', which
//                           CPython resolves only from protocol 4 on.
//   global.dynamic          STACK_GLOBAL on operands computed at load time.
//   extension.code          EXT1/2/4: resolved through copyreg's extension
//                           registry at load time, unknowable statically.
//   buffer.readonly-without-next-buffer  READONLY_BUFFER not after NEXT_BUFFER.
//   string.py2-not-utf8     STRING/BINSTRING bytes that are not UTF-8:
//                           torch.load (encoding='utf-8') raises
//                           UnicodeDecodeError; needs encoding='latin1'.
struct PickleAnomaly {
  std::string code;          // e.g. "frame.length-mismatch", "memo.overwrite"
  std::string message;
  uint64_t offset = 0;
};

struct PickleGraph {
  // Holds the nodes' texts and lists; shared by copies of the graph.
  std::shared_ptr<PickleArena> arena = std::make_shared<PickleArena>();
  std::vector<PickleNode, LargeArrayAllocator<PickleNode>> nodes;
  NodeId root = kNoNode;               // the object STOP returned
  std::vector<GlobalRef> globals;
  std::vector<PickleAnomaly> anomalies;
  int protocol = 0;                    // from PROTO, 0 when absent
  uint64_t start_offset = 0;           // absolute offset of the first opcode
  uint64_t end_offset = 0;             // absolute offset just past STOP (or where it failed)
  uint64_t opcode_count = 0;
  std::optional<Error> error;          // set when the run did not reach STOP cleanly

  const PickleNode& at(NodeId id) const { return nodes[id]; }
  bool complete() const { return !error.has_value() && root != kNoNode; }
  // For building graphs by hand (tests): text and lists in this graph's arena.
  PickleText Text(std::string_view s) { return PickleText(*arena, s); }
  NodeList List(const std::vector<NodeId>& items) { return NodeList(*arena, items); }
};

// The first difference between two graphs (node by node, every field; then
// root, globals, anomalies, protocol, offsets, opcode count and error), as a
// sentence, or "" when they are the same. Texts are compared by content,
// floats by bits. For tests and the differential fuzzer.
std::string PickleGraphDifference(const PickleGraph& a, const PickleGraph& b);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_FORMATS_PICKLE_GRAPH_H_
