// The text form of `ptlint inspect`: what one checkpoint holds, for a
// person (format records, layout, globals, tensors, optimizer state,
// problems). checkpoint_json.h is the same content for programs.
#ifndef PTLINT_RENDER_CHECKPOINT_TEXT_H_
#define PTLINT_RENDER_CHECKPOINT_TEXT_H_

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "analyzer/checkpoint/checkpoint.h"

namespace ptlint {

// `deep`: what the LibTorch oracle (`inspect --deep`) said, or null.
void RenderCheckpointText(const Checkpoint& cp, const std::string& display,
                          const nlohmann::ordered_json* deep, std::ostream& out);

}  // namespace ptlint

#endif  // PTLINT_RENDER_CHECKPOINT_TEXT_H_
