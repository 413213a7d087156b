// The JSON form of a Checkpoint (schema "ptlint.inspect/1", documented in
// inspect_command.md). One place, used by `ptlint inspect --format json`, the
// check command's JSON output and the LSP's hovers.
#ifndef PTLINT_RENDER_CHECKPOINT_JSON_H_
#define PTLINT_RENDER_CHECKPOINT_JSON_H_

#include <nlohmann/json.hpp>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/support/json_writer.h"

namespace ptlint {

inline constexpr const char* kInspectSchema = "ptlint.inspect/1";

// `display_path` replaces checkpoint.path in the output (relative paths keep
// machine formats stable from run to run).
nlohmann::ordered_json CheckpointToJson(const Checkpoint& checkpoint,
                                        const std::string& display_path);

// The same object, streamed: writes exactly what dumping CheckpointToJson
// (plus a last member "deep" when `deep` is given) would write at the
// writer's position, without building the DOM (a 20,000-tensor state dict
// is millions of DOM nodes).
void WriteCheckpointJson(JsonWriter& writer, const Checkpoint& checkpoint,
                         const std::string& display_path,
                         const nlohmann::ordered_json* deep = nullptr);

}  // namespace ptlint

#endif  // PTLINT_RENDER_CHECKPOINT_JSON_H_
