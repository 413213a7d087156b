// Diagnostic: one finding of one rule, in the terms every renderer (CLI
// formats, SARIF, GitHub annotations, LSP) needs. The one place a finding is
// described; renderers only format it.
#ifndef PTLINT_RULES_CORE_DIAGNOSTIC_H_
#define PTLINT_RULES_CORE_DIAGNOSTIC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/support/severity.h"

namespace ptlint {

// A place in a file. Lines and columns are 1-based; line 0 means "the file as
// a whole" (findings that belong to a checkpoint rather than a line).
struct SourceRange {
  std::string path;  // relative to the working directory when possible
  int line = 0;
  int column = 0;
  int end_line = 0;
  int end_column = 0;
};

struct RelatedLocation {
  SourceRange where;
  std::string message;
};

struct TextEdit {
  SourceRange range;
  std::string new_text;
};

// One place a grouped finding was seen: a checkpoint and, inside it, the
// instance of a repeated block ("layers.3"; "" when the class as a whole).
struct FindingInstance {
  std::string checkpoint;
  std::string instance;
};

struct Diagnostic {
  std::string code;            // "PTL503"
  Severity severity = Severity::kError;
  std::string message;         // the headline: what is wrong
  std::string torch_error;     // the exact error PyTorch would raise, if predictable
  std::string fix;             // what to do, in one or two sentences
  SourceRange location;        // primary location
  int64_t byte_offset = -1;    // for checkpoint findings: where in the file
  std::string checkpoint;      // the checkpoint the finding is about (may equal location.path)
  std::vector<RelatedLocation> related;
  std::vector<TextEdit> edits; // a machine-applicable fix, when there is one

  // One cause, one finding: findings with the same non-empty `cause` (one
  // renamed or resized attribute of a class, repeated across the instances of
  // a ModuleList or across checkpoints bound to that class) are one mistake,
  // reported once by GroupFindingsByCause (rules/core/finding_groups.h) at
  // the cause's line with one fix covering every instance.
  std::string cause;
  std::string instance;       // this finding's instance ("layers.3"), "" for the class as a whole
  std::string cause_message;  // the headline for the group (no instance, no checkpoint)
  // After grouping: each instance the finding stands for, and their count in
  // words ("12 layers × 2 checkpoints"). Empty for a finding that stands alone.
  std::vector<FindingInstance> instances;
  std::string instances_summary;
};

// Output order: path, line, column, code (then message, for determinism).
bool DiagnosticLess(const Diagnostic& a, const Diagnostic& b);

}  // namespace ptlint

#endif  // PTLINT_RULES_CORE_DIAGNOSTIC_H_
