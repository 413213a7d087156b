// PickleMachine: a static pickle virtual machine.
//
// It runs the opcode stream of one pickle (protocols 0-5, CPython `_pickle`
// semantics) over *symbolic* values: GLOBAL never imports, REDUCE never calls,
// BUILD never sets attributes. The result is an object graph (PickleGraph)
// in which calls, object constructions and builds are nodes that later stages
// (tensor recognition, layout, security) interpret.
//
// The machine is hostile-input safe: every count it keeps is bounded by
// PickleLimits, and a limit hit or a malformed stream ends the run with an
// Error that names the byte offset. The graph built up to that point is kept
// (PickleGraph::error says why it is incomplete), because a security scan
// must still see the globals a broken pickle referenced.
#ifndef PTLINT_ANALYZER_PICKLE_MACHINE_H_
#define PTLINT_ANALYZER_PICKLE_MACHINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/result.h"

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

struct PickleNode {
  PickleKind kind = PickleKind::kNone;
  uint8_t opcode = 0;        // the opcode byte that created the node
  uint64_t offset = 0;       // absolute byte offset of that opcode in the file
  int64_t int_value = 0;
  double float_value = 0;
  uint64_t size = 0;         // kStr/kBytes: real length in the file
  std::string text;          // kStr/kBytes/kBigInt payload; kGlobal: module
  std::string name;          // kGlobal: qualified name
  bool truncated = false;    // text holds only a prefix of the payload
  bool dynamic = false;      // kGlobal from STACK_GLOBAL with non-constant operands
  std::vector<NodeId> items;
  NodeId callee = kNoNode;   // kCall/kNewObj: what is called / instantiated
  NodeId args = kNoNode;     // kCall/kNewObj: argument tuple; kPersistentId: pid
  NodeId kwargs = kNoNode;   // kNewObj from NEWOBJ_EX
  // Mutations applied to an opaque object (a kCall/kNewObj result):
  std::vector<NodeId> builds;      // BUILD states, in order
  std::vector<NodeId> appended;    // APPEND/APPENDS items
  std::vector<NodeId> set_items;   // SETITEM/SETITEMS: k0, v0, k1, v1, ...
};

// Every global reference the pickle makes, in stream order.
struct GlobalRef {
  std::string module;
  std::string name;
  uint64_t offset = 0;       // absolute byte offset of the opcode
  uint8_t opcode = 0;        // 'c' GLOBAL, 0x93 STACK_GLOBAL, 'i' INST
  bool dynamic = false;      // operands were not constant strings
  NodeId node = kNoNode;     // the kGlobal node
};

// Something the stream does that a real unpickler would accept but that no
// honest writer produces (memo overwrite, stack left non-empty at STOP, data
// after STOP, FRAME length that disagrees with the opcodes, ...). Security
// rules treat these as evidence of scanner-evasion.
struct PickleAnomaly {
  std::string code;          // e.g. "frame.length-mismatch", "memo.overwrite"
  std::string message;
  uint64_t offset = 0;
};

struct PickleGraph {
  std::vector<PickleNode> nodes;
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
};

struct PickleLimits {
  uint64_t max_opcodes = 50'000'000;
  uint64_t max_nodes = 20'000'000;
  uint64_t max_memo = 10'000'000;
  uint64_t max_stack = 10'000'000;
  uint32_t max_mark_depth = 100'000;   // nesting of MARKs
  uint32_t max_text_kept = 1 << 16;    // bytes of a str/bytes payload kept in text
  uint64_t max_millis = 10'000;        // wall-clock budget for one run
};

class PickleMachine {
 public:
  explicit PickleMachine(PickleLimits limits = {});

  // Runs the pickle that starts at `data[0]`. `base_offset` is added to every
  // offset reported (the position of `data` inside the file), so diagnostics
  // name absolute file offsets. Never throws; never reads past `data`.
  PickleGraph Run(std::string_view data, uint64_t base_offset = 0) const;

 private:
  PickleLimits limits_;
};

// Opcode name for diagnostics ("BINPUT", "STACK_GLOBAL"), or "0x??" if unknown.
std::string PickleOpcodeName(uint8_t opcode);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PICKLE_MACHINE_H_
