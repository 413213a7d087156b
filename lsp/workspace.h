// Workspace: the analysis state `ptlint lsp` keeps alive between requests.
//
// One ProjectAnalysis (the ModuleIndex, the call sites, the checkpoints) is
// built once and then updated in place:
//  - an edit goes through ModuleIndex::UpdateFile (tree-sitter incremental
//    edit + reparse of that file only), its call sites are re-extracted
//    (ExtractFileCallSites) and spliced into the project's list
//    (ConcatCallSites) from a per-file cache;
//  - checkpoints are cached by path with their mtime and size; the server
//    reads stale ones on a worker thread and hands them back with
//    PutCheckpoint;
//  - Analyze() re-links (LinkProject) and lints (LintProject, the pipeline
//    `ptlint check` uses) with suppression comments read from the open
//    documents.
// Not thread-safe, and needs not be: the server keeps two of them (replicas,
// lsp/server.cc), each owned by one thread at a time: the main loop reads
// the last analysed one for requests while the analysis worker updates and
// analyses the other.
#ifndef PTLINT_LSP_WORKSPACE_H_
#define PTLINT_LSP_WORKSPACE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/analysis/project_analysis.h"
#include "analyzer/support/result.h"
#include "lsp/protocol.h"
#include "rules/core/diagnostic.h"
#include "rules/lint.h"

namespace ptlint::lsp {

// What identifies a version of a file on disk.
struct FileStamp {
  int64_t mtime_ns = 0;
  uint64_t size = 0;
  bool operator==(const FileStamp& o) const { return mtime_ns == o.mtime_ns && size == o.size; }
  bool operator!=(const FileStamp& o) const { return !(*this == o); }
};
std::optional<FileStamp> StatFile(const std::string& path);

struct Document {
  std::string path;  // absolute
  std::string text;
  int version = 0;
};

// Timings of the last Analyze(), for logs and the bench.
struct AnalyzeTimings {
  double call_sites_ms = 0, link_ms = 0, lint_ms = 0;
};

class Workspace {
 public:
  using Progress = std::function<void(const std::string& message, int percent)>;

  // Reads the project config under `root`, resolves the lint settings (config,
  // then `overrides`), discovers sources and checkpoints and indexes the
  // sources. Checkpoints are only listed: see StaleCheckpoints().
  Result<bool> Load(const std::string& root, const LintOverrides& overrides,
                    const Progress& progress = {});

  const std::string& root() const { return root_; }
  const LintSettings& settings() const { return settings_; }
  const ProjectAnalysis& project() const { return *project_; }
  // The config files whose change means a reload (existing or not).
  std::vector<std::string> ConfigFiles() const;

  // --- Documents (paths are absolute) -------------------------------------
  // Open and Change only keep the text (cheap, so the server can take every
  // keystroke at once); the index sees it at the next Analyze, as one
  // incremental tree-sitter edit per document (ReplaceSource: the changed
  // span between common prefix and suffix, ts_tree_edit + reparse).
  void Open(const std::string& path, std::string text, int version);
  // Applies LSP contentChanges (ranges in `encoding`). Errors for malformed
  // changes (the document is left as it was before the bad change).
  Result<bool> Change(const std::string& path, const nlohmann::json& changes, int version,
                      PositionEncoding encoding);
  void Close(const std::string& path);
  const Document* FindDocument(const std::string& path) const;
  const std::map<std::string, Document>& documents() const { return documents_; }
  // A Python file changed on disk (watcher or poll). Ignored while open.
  void ReloadSource(const std::string& path);

  // The file's text: open document, else the indexed source, else disk.
  std::optional<std::string> Text(const std::string& path) const;
  // One 1-based line of that text.
  std::optional<std::string> LineText(const std::string& path, int line) const;
  // Absolute path for a path as diagnostics report it (relative to the root).
  std::string Absolute(const std::string& path) const;

  // --- Checkpoints -----------------------------------------------------------
  // Known checkpoint paths whose stamp differs from the cached read (or that
  // were never read). Deleted ones are dropped here.
  std::vector<std::string> StaleCheckpoints();
  // A file a watcher reported: is it a checkpoint (by content)? Then it is
  // known from now on (and stale).
  bool ConsiderCheckpoint(const std::string& path);
  void PutCheckpoint(const std::string& path, const FileStamp& stamp, AnalyzedCheckpoint checkpoint);
  void RemoveCheckpoint(const std::string& path);
  bool IsCheckpoint(const std::string& path) const { return checkpoint_paths_.count(path) > 0; }
  const std::set<std::string>& checkpoint_paths() const { return checkpoint_paths_; }
  const AnalyzedCheckpoint* FindCheckpoint(const std::string& path) const;

  // Open documents ptlint does not analyse (too large, binary), with why.
  // Their text stays out of the index (it keeps the file as last analysed,
  // from disk or an earlier buffer).
  const std::map<std::string, std::string>& skipped_documents() const { return skipped_; }
  void set_max_document_bytes(size_t n) { max_document_bytes_ = n; }

  // --- Analysis -------------------------------------------------------------
  // Puts pending document texts in the index, re-links and lints. Between
  // documents and between files `superseded` is asked whether newer input
  // waits (an edit, EOF): then Analyze stops, returns false and keeps the
  // previous diagnostics; the next call carries on where it stopped.
  bool Analyze(const std::function<bool()>& superseded = {});
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  const AnalyzeTimings& timings() const { return timings_; }
  uint64_t generation() const { return generation_; }

 private:
  void ExtractSites(const IndexedFile& file);
  void RefreshCallSites();
  bool InSourceRoots(const std::string& path) const;
  void ReplaceSource(const std::string& path, std::string text);

  std::string root_;
  LintOverrides overrides_;
  LintSettings settings_;
  std::string config_file_;
  std::vector<std::string> source_roots_;      // absolute
  std::vector<std::string> checkpoint_roots_;  // absolute
  std::unique_ptr<ProjectAnalysis> project_ = std::make_unique<ProjectAnalysis>();
  std::map<std::string, Document> documents_;
  std::unordered_map<std::string, std::vector<CallSite>> sites_by_file_;
  bool call_sites_dirty_ = true;
  std::set<std::string> checkpoint_paths_;
  std::map<std::string, FileStamp> checkpoint_stamps_;  // of the read in project_->checkpoints
  std::vector<Diagnostic> diagnostics_;
  std::set<std::string> pending_;                   // open documents not yet in the index
  std::map<std::string, std::string> skipped_;      // open documents not analysed: why
  std::set<std::string> resite_;                    // files whose call sites need re-extracting
  size_t max_document_bytes_ = 2u << 20;
  AnalyzeTimings timings_;
  uint64_t generation_ = 0;
};

// Why ptlint will not analyse an open document's text (nullopt: it will):
// over `max_bytes`, or binary (a NUL byte, or control characters in more
// than 1% of its first 64 KiB).
std::optional<std::string> WhyNotAnalysed(const std::string& text, size_t max_bytes);

// Byte offset + tree-sitter point of `offset` in `text`.
TSPoint PointAt(const std::string& text, size_t offset);

}  // namespace ptlint::lsp

#endif  // PTLINT_LSP_WORKSPACE_H_
