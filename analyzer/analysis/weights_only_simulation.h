// WeightsOnlySimulation: what `torch.load(f, weights_only=True)` would do
// with a checkpoint, for torch 1.13, 2.4, 2.6 and the current release, without
// torch and without executing anything.
//
// The core, RestrictedUnpickler (restricted_unpickler.h), is a port of each release's restricted unpickler
// (`torch/_weights_only_unpickler.py`) over symbolic values: it accepts the
// same opcodes, checks GLOBAL against the same allowlist (after the same
// Python-2 name mapping), applies the same NEWOBJ / BUILD / APPEND /
// BINPERSID restrictions and stops at the same first error. The outer
// wrapping of `torch.load` (`_get_wo_message` and its per-release
// predecessors), the TorchScript and legacy-tar refusals and the default of
// `weights_only` are reproduced verbatim, so the predicted message is the one
// the user would see.
#ifndef PTLINT_ANALYZER_ANALYSIS_WEIGHTS_ONLY_SIMULATION_H_
#define PTLINT_ANALYZER_ANALYSIS_WEIGHTS_ONLY_SIMULATION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/analysis/global_safety.h"
#include "analyzer/analysis/restricted_unpickler.h"

namespace ptlint {

// Wraps an unpickler error the way that release's torch.load does. Returns
// the full exception line, e.g. "_pickle.UnpicklingError: Weights only load failed. ...".
std::string TorchLoadErrorMessage(const WeightsOnlyPickleRun& run, TorchVersion version);

// A global that weights_only=True would reject.
struct WeightsOnlyOffender {
  std::string module;        // normalised ("argparse")
  std::string name;          // "Namespace"
  std::string qualified;     // "argparse.Namespace"
  bool blocked = false;      // sys/os/posix/nt: torch >= 2.4 refuses it even when allowlisted
  int pickle = 0;
  uint64_t offset = 0;
  std::string object_path;   // where it sits in the loaded object, from the interpreter
  SafetyTier tier = SafetyTier::kUnknown;  // what ptlint thinks of allowlisting it
  // Never to be allowlisted: a dangerous tier, an attribute chain or name
  // nobody can resolve (global_safety.h CanRunCode), a computed STACK_GLOBAL
  // or a name longer than ptlint keeps.
  bool can_run_code = false;
  std::string why;
};

struct WeightsOnlyPrediction {
  TorchVersion version = TorchVersion::kCurrent;
  bool applicable = true;          // false: torch.load cannot read this format at all (safetensors, index, DCP)
  bool default_weights_only = false;
  bool loads = false;              // torch.load(weights_only=True) succeeds
  bool exact = true;               // false: bytes unavailable or a Python repr in the message
  // Non-empty when torch.load would not run the restricted unpickler at all
  // (1.13/2.4 dispatch TorchScript to torch.jit.load even with weights_only=True).
  std::string note;
  std::string message;             // full first error line torch prints, empty when it loads
  std::string inner_message;       // the WeightsUnpickler part
  int pickle = -1;                 // which pickle failed
  std::string record;
  int64_t offset = -1;             // byte offset of the failing opcode
  std::vector<WeightsOnlyOffender> offenders;  // every rejected global, in file order, deduplicated
  // `import` lines and the call that allowlists every offender that can be
  // allowlisted; empty when there is nothing to add (or for 1.13).
  std::vector<std::string> imports;
  std::string add_safe_globals;
  // Offenders the project defines under another name than the file's
  // ("configs.TrainConfig (defined as configs.train.TrainConfig)"): listed in
  // the (class, name) form on 2.6+, not allowlistable on 2.4/2.5.
  std::vector<std::string> defined_elsewhere;
  // With those globals allowlisted: does it load, and if not, the next error.
  bool loads_after_allowlisting = false;
  std::string message_after_allowlisting;
};

struct WeightsOnlyOptions {
  std::set<std::string> user_allowed;  // globals the project already passes to add_safe_globals
  // Where the project defines a global today ({"pkg.sub", "Foo"}), when the
  // file names it by another importable path ("pkg.Foo" re-exported,
  // "__main__.Foo" saved from a script): torch >= 2.4 keys its allowlist by
  // the class's own `__module__.__qualname__`, so `add_safe_globals([Foo])`
  // does not cover the name in the file. Empty result: unknown or the same.
  std::function<std::optional<std::pair<std::string, std::string>>(const std::string& module,
                                                                    const std::string& name)>
      defined_as;
  // Supplies the raw bytes of a pickle (a test seam). Default: the bytes the
  // reader kept (PickleStream::bytes); nothing re-reads the file.
  std::function<std::optional<std::string>(const Checkpoint&, const PickleStream&)> pickle_bytes;
};

WeightsOnlyPrediction SimulateWeightsOnly(const Checkpoint& checkpoint, TorchVersion version,
                                          const WeightsOnlyOptions& options = {});

// The pickles torch.load reads, in order (zip: data.pkl; legacy: all five;
// raw pickle: the stream). Indices into checkpoint.pickles.
std::vector<int> PicklesTorchLoadReads(const Checkpoint& checkpoint);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_WEIGHTS_ONLY_SIMULATION_H_
