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
#ifndef PTLINT_ANALYZER_FORMATS_PICKLE_MACHINE_H_
#define PTLINT_ANALYZER_FORMATS_PICKLE_MACHINE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/formats/pickle_graph.h"
#include "analyzer/formats/pickle_opcodes.h"
#include "analyzer/support/result.h"

namespace ptlint {

// Error codes (PickleGraph::error->code):
//   pickle.truncated        the data ends inside an opcode or before STOP
//                           (also: empty input).
//   pickle.bad-opcode       a byte that is not a pickle opcode ("invalid load
//                           key, 'v'.", CPython's wording).
//   pickle.unsupported-protocol  PROTO > 5.
//   pickle.stack-underflow  an opcode pops more than the stack (above the
//                           innermost MARK) holds.
//   pickle.mark-not-found   an opcode needs a MARK and there is none.
//   pickle.memo-missing     GET/BINGET/LONG_BINGET of an index never PUT.
//   pickle.bad-value        a malformed argument: unparsable INT/LONG/FLOAT/
//                           GET/PUT text, unquoted STRING, bad escape, negative
//                           length or index, non-ASCII PERSID, EXT code <= 0.
//   pickle.bad-utf8         BINUNICODE*/UNICODE/GLOBAL text that CPython's
//                           UTF-8 decoder rejects.
//   pickle.type-error       an operation CPython would reject on the value's
//                           type (APPEND onto a tuple, SETITEMS with an odd
//                           count, REDUCE with non-tuple args, STACK_GLOBAL on
//                           an int, unhashable dict key, ...).
//   pickle.out-of-band-buffer  NEXT_BUFFER: protocol-5 out-of-band data, which
//                           only exists in the writer's process.
//   pickle.limit.opcodes / .nodes / .memo / .stack / .mark-depth / .time
//                           a PickleLimits bound was hit.
struct PickleLimits {
  uint64_t max_opcodes = 50'000'000;
  uint64_t max_nodes = 20'000'000;
  uint64_t max_memo = 10'000'000;
  uint64_t max_stack = 10'000'000;
  uint32_t max_mark_depth = 100'000;   // nesting of MARKs
  uint32_t max_text_kept = 1 << 16;    // bytes of a str/bytes payload kept in text
  uint64_t max_millis = 10'000;        // wall-clock budget for one run
};

// How reads that cross the end of a FRAME behave. CPython has two readers:
// pickle.loads(bytes) reads linearly (a FRAME only checks that its bytes
// exist), while pickle.load(file), which torch.load uses (the data.pkl record
// is wrapped in io.BytesIO), keeps the frame in a buffer and *discards* the
// rest of it when a read does not fit. Honest pickles behave the same under
// both; crafted ones (fickling test_frame_boundary_*) do not.
enum class PickleFraming : uint8_t {
  kFileStream,   // C _pickle over a file object: what torch.load executes.
  kBytesBuffer,  // C _pickle over bytes (pickle.loads), same as pickletools.
};

// The machine runs the most common opcodes of torch.save output (BINPUT,
// BINGET, MARK, BINUNICODE, TUPLE*, REDUCE, BINPERSID, ...) through fast
// paths that fall back to the one general implementation of each opcode
// when anything is unusual. kOff sends every opcode through the general
// implementation: the same graph, slower; the differential fuzzer
// (pickle_machine_differential_fuzz.cc) and tests compare the two.
enum class PickleFastPaths : uint8_t { kOn, kOff };

class PickleMachine {
 public:
  explicit PickleMachine(PickleLimits limits = {},
                         PickleFraming framing = PickleFraming::kFileStream,
                         PickleFastPaths fast_paths = PickleFastPaths::kOn);

  // Runs the pickle that starts at `data[0]`. `base_offset` is added to every
  // offset reported (the position of `data` inside the file), so diagnostics
  // name absolute file offsets. Never throws; never reads past `data`.
  //
  // The graph may contain cycles (a list appended to itself, BUILD states
  // that reference their object): walkers must keep a visited set.
  PickleGraph Run(std::string_view data, uint64_t base_offset = 0) const;

 private:
  PickleLimits limits_;
  PickleFraming framing_;
  PickleFastPaths fast_paths_;
};

// (PickleOpcodeName and the opcode table: pickle_opcodes.h.)

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_FORMATS_PICKLE_MACHINE_H_
