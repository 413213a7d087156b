// Matching a predicted state dict against a real one (keys and shapes).
//
// Used by the real-code tests (torch's state_dict() versus ptlint's
// prediction from source) and, later, by drift rules against checkpoints.
//
// A contradiction is a prediction that reality refutes:
//   - a non-optional exact key that is absent;
//   - a known dimension (or rank) that differs;
//   - a non-persistent buffer that is present;
//   - a real key under a module path whose subtree was predicted `exact`
//     (claimed complete) but which no prediction names;
//   - a `_metadata` version that differs for a module path predicted exactly.
// Keys merely not covered by a prediction are coverage misses, not errors.
#ifndef PTLINT_ANALYZER_ANALYSIS_EXPECTED_STATE_DICT_MATCH_H_
#define PTLINT_ANALYZER_ANALYSIS_EXPECTED_STATE_DICT_MATCH_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/python/state_dict_prediction.h"

namespace ptlint {

struct ActualKey {
  std::string key;
  std::vector<int64_t> shape;
};

struct StateDictMatch {
  size_t actual_keys = 0;
  size_t covered_exact = 0;    // named by an exact predicted key
  size_t covered_pattern = 0;  // matched by a pattern key (layers.*.weight)
  size_t covered_open = 0;     // only under an open subtree
  std::vector<std::string> contradictions;
  std::vector<std::string> uncovered;  // real keys nothing predicted
  double Coverage() const {
    return actual_keys == 0 ? 1.0 : static_cast<double>(covered_exact + covered_pattern) / actual_keys;
  }
};

StateDictMatch MatchStateDict(const ExpectedStateDict& expected, const std::vector<ActualKey>& actual,
                              const std::map<std::string, std::optional<int64_t>>& actual_metadata = {});

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_EXPECTED_STATE_DICT_MATCH_H_
