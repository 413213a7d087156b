// libFuzzer target: PickleMachine with its opcode fast paths on and off must
// build the same graph (nodes, globals, anomalies, offsets, error) on every
// input, in both framing models. The fast paths duplicate the commonest
// opcodes of torch.save output for speed; this keeps them honest against
// the general implementation. Seeds: tests/fuzz/pickle_machine_differential
// (a link to tests/fuzz/pickle_machine).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "analyzer/formats/pickle_fuzz_input.h"
#include "analyzer/formats/pickle_machine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // "DEEP" recipes stand for megabytes of nesting (pickle_fuzz_input.h).
  const std::string expanded =
      ptlint::ExpandPickleFuzzInput(std::string_view(reinterpret_cast<const char*>(data), size));
  std::string_view bytes(expanded);
  ptlint::PickleLimits limits;
  limits.max_millis = 2000;
  limits.max_opcodes = 1'000'000;
  limits.max_nodes = 1'000'000;
  limits.max_memo = 100'000;
  limits.max_stack = 100'000;
  limits.max_mark_depth = 10'000;
  limits.max_text_kept = 256;
  for (ptlint::PickleFraming framing :
       {ptlint::PickleFraming::kFileStream, ptlint::PickleFraming::kBytesBuffer}) {
    ptlint::PickleGraph fast =
        ptlint::PickleMachine(limits, framing, ptlint::PickleFastPaths::kOn).Run(bytes, 1000);
    ptlint::PickleGraph slow =
        ptlint::PickleMachine(limits, framing, ptlint::PickleFastPaths::kOff).Run(bytes, 1000);
    // The wall-clock budget is the one input-independent outcome.
    auto timed_out = [](const ptlint::PickleGraph& g) {
      return g.error && g.error->code == "pickle.limit.time";
    };
    if (timed_out(fast) || timed_out(slow)) continue;
    std::string difference = ptlint::PickleGraphDifference(fast, slow);
    if (!difference.empty()) {
      std::fprintf(stderr, "fast paths on and off differ (%s framing): %s\n",
                   framing == ptlint::PickleFraming::kFileStream ? "file" : "bytes",
                   difference.c_str());
      std::abort();
    }
  }
  return 0;
}
