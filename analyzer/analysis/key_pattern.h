// State-dict key patterns and open prefixes, as the state-dict prediction
// writes them (analyzer/python/state_dict_prediction.h), matched against real
// keys. One home for the rule every consumer uses (the drift diff, the
// real-code match, structural scoring of candidate classes).
//
// A key is a dotted path of components ("layers.0.attn.weight").
//   - A pattern key ("layers.*.weight", "layer*.bias") matches a key with the
//     same number of components where each component matches: a `*` stands
//     for any run of characters inside one component and never crosses a dot
//     (a ModuleList / Sequential index, or the varying part of a setattr name).
//     "layers.*.weight" matches "layers.3.weight", not "layers.3.sub.weight".
//   - An open prefix covers the keys of a subtree whose contents are not known:
//       ""                everything;
//       "encoder."        every key strictly under `encoder`
//                         ("encoder.x", "encoder.a.b"; not "encoder");
//       "layers.*."       every key strictly under some `layers.<one component>`;
//       "conv.weight_*",  (no trailing dot) keys whose leading components match,
//       "layer*"          the last one by glob: "conv.weight_g", "layer3",
//                         "layer3.weight" (a name that may be a parameter or a
//                         module).
// Only `*` is special; other characters compare literally.
#ifndef PTLINT_ANALYZER_ANALYSIS_KEY_PATTERN_H_
#define PTLINT_ANALYZER_ANALYSIS_KEY_PATTERN_H_

#include <string_view>

namespace ptlint {

// One dotted component against one component pattern (`*` within it).
bool KeyComponentMatches(std::string_view pattern, std::string_view component);
// A pattern key against a key, component by component (see above).
bool KeyPatternMatches(std::string_view pattern, std::string_view key);
// An open prefix covers `key` (see above).
bool OpenPrefixCovers(std::string_view prefix, std::string_view key);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_KEY_PATTERN_H_
