// textDocument/hover: what ptlint knows at a position, in Markdown.
//  - a class's `class X` line: the checkpoints bound to it, whose drift
//    findings land in it, or whose bound class builds it, with the binding
//    and what `ptlint check` concluded for each (its findings in this class,
//    findings elsewhere, loads cleanly, a whole pickle not compared, a
//    construction not known) — read from the workspace's diagnostics and the
//    link's facts, never recomputed;
//  - the path argument of `torch.load("…")` / `torch.jit.load("…")`: that
//    checkpoint's format, layout, tensors, globals, safety, binding and the
//    drift verdict (the same the class hover gives);
//  - a line with a ptlint diagnostic: the rule's documentation.
#ifndef PTLINT_LSP_HOVER_H_
#define PTLINT_LSP_HOVER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "lsp/workspace.h"

namespace ptlint::lsp {

// `line` is 0-based, `byte_column` a byte offset in that line. nullopt: nothing to say.
std::optional<std::string> HoverMarkdown(const Workspace& workspace, const std::string& path,
                                         uint32_t line, size_t byte_column);

// The checkpoint summary alone (also used for hovers in other places).
std::string CheckpointSummaryMarkdown(const Workspace& workspace, const AnalyzedCheckpoint& checkpoint);
// The class summary alone.
std::string ClassSummaryMarkdown(const Workspace& workspace, const ClassInfo& cls);

// The 1-based lines a class definition spans (`class` line to the end of its
// body, nested classes included): a finding on one of them lands in the class.
struct ClassLines {
  uint32_t first = 0, last = 0;
};
ClassLines ClassLineRange(const Workspace& workspace, const ClassInfo& cls);

}  // namespace ptlint::lsp

#endif  // PTLINT_LSP_HOVER_H_
