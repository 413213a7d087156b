// libFuzzer target for what the security rules run on one pickle: the
// PickleMachine, AnalyzePickleGraph (which classifies every global, resolves
// attribute chains and judges functools.partial) and every torch release's
// restricted unpickler. Seeds: tests/fuzz/pickle_safety/, including "DEEP"
// recipes that stand for 10^6 levels of nesting (pickle_fuzz_input.h): every
// walk over attacker-controlled depth must be iterative or bounded.
//
// Beyond "no crash, no sanitizer report", it checks the fail-closed promises:
// a pickle the machine could not finish, a computed STACK_GLOBAL and a name
// longer than the kept text each get an error-level PTL604.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "analyzer/analysis/pickle_safety.h"
#include "analyzer/analysis/restricted_unpickler.h"
#include "analyzer/formats/pickle_fuzz_input.h"
#include "analyzer/formats/pickle_machine.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes =
      ptlint::ExpandPickleFuzzInput(std::string_view(reinterpret_cast<const char*>(data), size));
  ptlint::PickleLimits limits;
  limits.max_millis = 2000;
  limits.max_opcodes = 5'000'000;
  limits.max_nodes = 5'000'000;
  limits.max_memo = 100'000;
  limits.max_stack = 5'000'000;
  limits.max_mark_depth = 100'000;
  limits.max_text_kept = 1024;  // small, so that truncated names are reachable
  ptlint::PickleGraph g = ptlint::PickleMachine(limits).Run(bytes, 0);

  ptlint::PickleSafetyOptions options;
  std::vector<ptlint::SafetyFinding> findings =
      ptlint::AnalyzePickleGraph(g, 0, "data.pkl", "fuzz.pt", options);
  bool ptl604 = false;
  for (const ptlint::SafetyFinding& f : findings) {
    Check(!f.rule.empty() && !f.message.empty() && !f.why.empty());
    if (f.rule == "PTL604") {
      Check(f.severity == ptlint::Severity::kError);
      ptl604 = true;
    }
  }
  if (g.error) Check(ptl604);
  for (const ptlint::GlobalRef& ref : g.globals) {
    if (ref.dynamic || ref.truncated) Check(ptl604);
  }

  for (ptlint::TorchVersion version : ptlint::kAllTorchVersions) {
    ptlint::WeightsOnlyPickleRun run = ptlint::RunWeightsOnlyUnpickler(bytes, 0, version);
    Check(run.ok || !run.exception.empty());
  }
  return 0;
}
