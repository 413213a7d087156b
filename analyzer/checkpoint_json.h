// The JSON form of a Checkpoint (schema "ptlint.inspect/1", documented in
// inspect_command.md). One place, used by `ptlint inspect --format json`, the
// check command's JSON output and the LSP's hovers.
#ifndef PTLINT_ANALYZER_CHECKPOINT_JSON_H_
#define PTLINT_ANALYZER_CHECKPOINT_JSON_H_

#include <nlohmann/json.hpp>

#include "analyzer/checkpoint.h"

namespace ptlint {

inline constexpr const char* kInspectSchema = "ptlint.inspect/1";

// `display_path` replaces checkpoint.path in the output (relative paths keep
// machine formats stable from run to run).
nlohmann::ordered_json CheckpointToJson(const Checkpoint& checkpoint,
                                        const std::string& display_path);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_JSON_H_
