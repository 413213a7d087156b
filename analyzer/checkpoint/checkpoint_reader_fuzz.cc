// libFuzzer target: the whole reader over arbitrary bytes. ReadCheckpointBytes
// must never crash, hang or allocate without bound, whatever the container.
// Seeds: tests/fuzz/checkpoint_reader/ (one small file per container kind).
#include <cstddef>
#include <cstdint>
#include <string>

#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/checkpoint/object_interpreter.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Every dense tensor the walk replays is also walked generically and compared.
  ptlint::SetObjectWalkCrossCheck(true);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ptlint::ReadOptions options;
  // Small budgets keep each run fast; the limits themselves are what we test.
  options.pickle_limits.max_millis = 200;
  options.pickle_limits.max_opcodes = 1'000'000;
  options.pickle_limits.max_nodes = 1'000'000;
  options.zip_limits.max_inflated = 16u << 20;
  ptlint::MemoryByteSource source(std::string(reinterpret_cast<const char*>(data), size));
  // A relative path: a sharded index in the input resolves shards against the
  // fuzzer's working directory, which is harmless (read-only, bounded).
  ptlint::Checkpoint cp = ptlint::ReadCheckpointBytes(source, "fuzz-input", options);
  // Touch the results so nothing is optimised away.
  volatile size_t sink = cp.problems.size() + cp.tensors.size() + cp.pickles.size();
  (void)sink;
  return 0;
}
