// PickleSafety: can loading this checkpoint run code?
//
// Turns the globals and anomalies of every pickle in a Checkpoint into
// findings for the security rules:
//   PTL601 code-execution-global  error    a global that runs code or commands
//   PTL602 dangerous-global       error    network, file-system or gadget global,
//                                          or a gadget pattern (BUILD on an imported
//                                          object, getattr introspection chains)
//   PTL603 unknown-global         warning  outside every allowlist (error with strict)
//   PTL604 dynamic-import         error    STACK_GLOBAL on computed operands, memo
//                                          tricks, FRAME/length inconsistencies, or a
//                                          pickle that could not be read to the end
//                                          (fail closed: what the scanner could not
//                                          read, a real unpickler may still run)
// Each finding names the global, the pickle and byte offset, the call chain
// that uses it (which REDUCE/NEWOBJ/BUILD consumes it, derived from the
// PickleGraph) and why it is dangerous.
#ifndef PTLINT_ANALYZER_ANALYSIS_PICKLE_SAFETY_H_
#define PTLINT_ANALYZER_ANALYSIS_PICKLE_SAFETY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/analysis/global_safety.h"
#include "analyzer/formats/pickle_machine.h"

namespace ptlint {

struct SafetyFinding {
  std::string rule;          // "PTL601"
  std::string rule_name;     // "code-execution-global"
  Severity severity = Severity::kError;
  std::string module;        // the global (normalised); empty for stream anomalies
  std::string name;
  std::string raw_global;    // as written in the pickle, when it differs ("__builtin__.eval")
  SafetyTier tier = SafetyTier::kUnknown;
  int pickle = -1;           // PickleStream::index
  std::string record;        // zip record / legacy pickle role
  std::string file;
  int64_t offset = -1;       // absolute byte offset of the opcode
  std::string opcode;        // "GLOBAL", "STACK_GLOBAL", "BUILD", ...
  std::string consumer;      // what uses the global first: "REDUCE", "NEWOBJ", "BUILD", "" (value)
  // How the global is used, outermost last, e.g.
  // ["REDUCE at 57 calls builtins.eval('print(1)')", "its result is the value of ['x']"].
  std::vector<std::string> call_chain;
  std::string object_path;   // from the interpreter, when known
  std::string message;       // one sentence: what is wrong
  std::string why;           // why it is dangerous
  std::string hint;          // what to do
};

struct PickleSafetyOptions {
  SafetyContext context;
  bool strict = false;       // PTL603 becomes an error
};

struct PickleSafetyReport {
  std::vector<SafetyFinding> findings;  // file order within each pickle, pickles in order
  bool can_execute_code = false;        // any PTL601/PTL602/PTL604
  int count(std::string_view rule) const;
};

// All findings for one checkpoint: every pickle's globals, anomalies and
// gadget patterns, plus fail-closed findings for pickles that did not read
// to the end.
PickleSafetyReport AnalyzePickleSafety(const Checkpoint& checkpoint,
                                       const PickleSafetyOptions& options = {});

// The same for one pickle graph (tests, and callers without a Checkpoint).
// `uses` (optional) supplies object paths from the interpreter.
std::vector<SafetyFinding> AnalyzePickleGraph(const PickleGraph& graph, int pickle_index,
                                              std::string_view record, std::string_view file,
                                              const PickleSafetyOptions& options,
                                              const std::vector<GlobalUse>* uses = nullptr);

// Short human line for a finding: "PTL601 builtins.eval at offset 42 (pickle 0 data.pkl): ...".
std::string FormatSafetyFinding(const SafetyFinding& finding);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_PICKLE_SAFETY_H_
