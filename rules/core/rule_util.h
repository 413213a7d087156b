// Small helpers the rules share to place findings: where a predicted key, a
// class or a call is in the source, where a checkpoint is, how a checkpoint
// finding moves onto a source line. Placement only; each rule decides what
// it reports.
#ifndef PTLINT_RULES_CORE_RULE_UTIL_H_
#define PTLINT_RULES_CORE_RULE_UTIL_H_

#include <string>
#include <string_view>
#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

// The path as reported (relative to the working directory when below it).
std::string DisplayPath(const std::string& path);

// The range of a 1-based source position (and optional end) in `path`.
SourceRange RangeAt(const std::string& path, SourcePosition start, SourcePosition end = {});
SourceRange RangeAt(const SourceLocation& location);
// The checkpoint file as a whole (line 0).
SourceRange CheckpointRange(const CheckpointContext& context);
// The whole call expression of a call site, start to end.
SourceRange CallRange(const CallSite& site);
// The line that assigns `self.<attribute>` in the class defined at
// `class_path`:`class_line` (the first such line in the class body), or the
// class line itself when none is found. It reads the project's indexed text
// of that file (what the language server holds for an unsaved buffer), never
// the disk.
SourceRange AttributeAssignmentRange(const ProjectAnalysis& project, const std::string& class_path,
                                     uint32_t class_line, const std::string& attribute);
// Whether the `size` characters at `at` in one source line (`self.X`) are an
// assignment target there (not a comment, a comparison or a sub-attribute).
bool IsAssignmentTarget(std::string_view line, size_t at, size_t size);
// Terminal escape sequences (torch 2.6 puts bold markers in its weights_only
// message) do not belong in reports.
std::string StripAnsi(const std::string& text);

// The module the prediction builds at `path` ("transformer.h.0.attn"), an
// entry whose pattern (`transformer.h.*.attn`) covers it, or nullptr.
const MetadataEntry* PredictedModuleAt(const ExpectedStateDict& expected, const std::string& path);

// The bound class's definition, or the checkpoint when there is none.
SourceRange BoundClassRange(const CheckpointContext& context);
// The load_state_dict call that loads this checkpoint into the bound class,
// if the binding came from one.
const CallSite* BindingCallSite(const CheckpointContext& context);

// "Net" from "pkg.models.Net": the name torch prints in its messages.
std::string ShortClassName(const std::string& qualified);

// `a`, `b`, `c` and 4 more
std::string QuotedList(const std::vector<std::string>& items, size_t max_items = 6);

// A diagnostic about the checkpoint file as a whole (line 0), at byte
// `offset` when known. Rules move it onto a source line when they find one.
Diagnostic CheckpointDiagnostic(const RuleInfo& info, const CheckpointContext& context,
                                int64_t offset = -1);

// Moves a checkpoint diagnostic onto a source line (the call that fails) and
// keeps the checkpoint file, at its byte offset, as a related location.
void PlaceOnSource(Diagnostic& d, SourceRange where, const std::string& checkpoint_note);

// The torch.load call sites that read this checkpoint, in file order.
std::vector<const CallSite*> LoadSitesOf(const CheckpointContext& context);

}  // namespace ptlint

#endif  // PTLINT_RULES_CORE_RULE_UTIL_H_
