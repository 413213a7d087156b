// RestrictedUnpickler: a port of each torch release's restricted unpickler
// (`torch/_weights_only_unpickler.py`, 1.13, 2.4, 2.6 and current) over
// symbolic values. It accepts the same opcodes, checks GLOBAL against the
// same allowlist (after the same Python-2 name mapping), applies the same
// NEWOBJ / BUILD / APPEND / BINPERSID restrictions and stops at the same
// first error, with the same message. weights_only_simulation.h drives it
// over a checkpoint's pickles and wraps its errors the way torch.load does.
#ifndef PTLINT_ANALYZER_ANALYSIS_RESTRICTED_UNPICKLER_H_
#define PTLINT_ANALYZER_ANALYSIS_RESTRICTED_UNPICKLER_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analysis/global_safety.h"

namespace ptlint {

// One run of the restricted unpickler over one pickle.
struct WeightsOnlyPickleRun {
  bool ok = false;
  // Python exception the unpickler raises: "RuntimeError" (1.13),
  // "UnpicklingError" (2.x), or a plain Python error that torch does not
  // wrap ("EOFError", "struct.error", "KeyError", "IndexError", "TypeError").
  std::string exception;
  std::string inner_message;       // str(e)
  bool wrapped_by_torch = false;   // torch.load turns it into "Weights only load failed. ..."
  bool exact = true;               // false when the message holds a Python repr ptlint can only approximate
  uint64_t offset = 0;             // absolute offset of the opcode that failed
  uint8_t opcode = 0;
  std::string global;              // for GLOBAL failures: the qualified name after mapping
  std::vector<std::string> globals_seen;  // every GLOBAL read before stopping, mapped
};

// Runs torch `version`'s restricted unpickler over `pickle` (one pickle,
// starting at its first opcode). `user_allowed`: qualified names passed to
// add_safe_globals (ignored for 1.13, which has no such API). Never throws;
// linear in the input.
WeightsOnlyPickleRun RunWeightsOnlyUnpickler(std::string_view pickle, uint64_t base_offset,
                                             TorchVersion version,
                                             const std::set<std::string>& user_allowed = {});

// Whether `version`'s unpickler has a case for `opcode` (any other is
// "Unsupported operand N").
bool WeightsOnlyAcceptsOpcode(uint8_t opcode, TorchVersion version);

// Python-2 renames in torch's GLOBAL: `torch._utils.IMPORT_MAPPING` /
// `NAME_MAPPING` (the `_compat_pickle` tables). 1.13 has none; 2.4 applies
// them for protocol 2 only; later releases always.
QualifiedGlobal WeightsOnlyMapGlobal(std::string_view module, std::string_view name,
                                     TorchVersion version, int proto);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_RESTRICTED_UNPICKLER_H_
