// One cause, one finding: the findings a rule makes for each instance of one
// mistake (a renamed attribute of a block class, seen in each of a
// ModuleList's twelve layers and in both checkpoints bound to the class)
// become one finding at the cause's line, listing the instances, with one fix
// that covers every instance (the union of the members' edits, which the
// rules write so that each covers the whole cause).
//
// Lint groups after the rules ran and before suppression and the renderers,
// so every output (text, JSON, SARIF, GitHub, LSP) shows one finding.
#ifndef PTLINT_RULES_CORE_FINDING_GROUPS_H_
#define PTLINT_RULES_CORE_FINDING_GROUPS_H_

#include <string>
#include <vector>

#include "rules/core/diagnostic.h"

namespace ptlint {

// Findings with the same non-empty `cause` merged into the first of them (in
// input order). A group of one is left as it is. A merged finding takes its
// headline from `cause_message` plus the count ("12 layers × 2
// checkpoints"), the first member's torch error, and the union of the
// members' edits and related locations (each once).
std::vector<Diagnostic> GroupFindingsByCause(std::vector<Diagnostic> diagnostics);

// "layers.3" -> the instance's container ("layers") and index (3); false for
// an instance that does not end in an index.
bool SplitIndexedInstance(const std::string& instance, std::string* container, long* index);

// A dotted key as a repeated block's: each index segment as N
// ("layers.3.attn.weight" -> "layers.N.attn.weight") and the instance, the
// key up to its last index ("layers.3"); "" when the key has no index.
std::string IndexedPattern(const std::string& key, std::string* instance);

// The instances of a merged finding on one line for people, per checkpoint,
// indices as ranges: "ckpt/a.pt, ckpt/b.pt: layers.0-11".
std::string CompactInstances(const Diagnostic& d);

}  // namespace ptlint

#endif  // PTLINT_RULES_CORE_FINDING_GROUPS_H_
