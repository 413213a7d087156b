// libFuzzer target for PickleMachine::Run. Seeds: tests/fuzz/pickle_machine/.
//
// Both framing models run on every input; beyond "no crash, no sanitizer
// report", it checks the invariants other stages rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analyzer/formats/pickle_fuzz_input.h"
#include "analyzer/formats/pickle_machine.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void RunOne(std::string_view data, ptlint::PickleFraming framing) {
  ptlint::PickleLimits limits;
  limits.max_millis = 1000;
  limits.max_opcodes = 1'000'000;
  limits.max_nodes = 1'000'000;
  limits.max_memo = 100'000;
  limits.max_stack = 100'000;
  limits.max_mark_depth = 10'000;
  limits.max_text_kept = 256;
  const uint64_t base = 1000;
  ptlint::PickleGraph g = ptlint::PickleMachine(limits, framing).Run(data, base);

  Check(g.complete() || g.error.has_value());
  Check(g.end_offset >= base && g.end_offset <= base + data.size());
  if (g.error) {
    Check(!g.error->code.empty() && !g.error->message.empty());
    Check(g.error->offset >= static_cast<int64_t>(base));
    Check(g.error->offset <= static_cast<int64_t>(base + data.size()));
  }
  Check(g.root == ptlint::kNoNode || g.root < g.nodes.size());
  for (const ptlint::GlobalRef& ref : g.globals) {
    Check(ref.node < g.nodes.size());
    Check(g.nodes[ref.node].kind == ptlint::PickleKind::kGlobal);
    Check(ref.offset >= base && ref.offset < base + data.size());
  }
  auto valid = [&g](ptlint::NodeId id) { return id == ptlint::kNoNode || id < g.nodes.size(); };
  for (const ptlint::PickleNode& n : g.nodes) {
    Check(n.text.size() <= limits.max_text_kept || n.kind == ptlint::PickleKind::kBigInt ||
          n.kind == ptlint::PickleKind::kGlobal);
    Check(valid(n.callee) && valid(n.args) && valid(n.kwargs));
    for (const auto* list : {&n.items, &n.builds, &n.appended, &n.set_items}) {
      for (ptlint::NodeId id : *list) Check(id < g.nodes.size());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // "DEEP" recipes stand for megabytes of nesting (pickle_fuzz_input.h).
  const std::string expanded =
      ptlint::ExpandPickleFuzzInput(std::string_view(reinterpret_cast<const char*>(data), size));
  std::string_view bytes(expanded);
  RunOne(bytes, ptlint::PickleFraming::kFileStream);
  RunOne(bytes, ptlint::PickleFraming::kBytesBuffer);
  return 0;
}
