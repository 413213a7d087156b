#include "lsp/workspace.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "analyzer/python/call_sites.h"
#include "analyzer/checkpoint/checkpoint_discovery.h"
#include "analyzer/config/project_config.h"

namespace ptlint::lsp {
namespace fs = std::filesystem;

namespace {

// More files than this whose call sites need finding are found together, on
// every core (Workspace::Analyze).
constexpr size_t kBatchedCallSiteFiles = 4;

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::optional<std::string> ReadDisk(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Normal(const fs::path& p) { return p.lexically_normal().string(); }

}  // namespace

std::optional<FileStamp> StatFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStamp s;
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.size = static_cast<uint64_t>(st.st_size);
  return s;
}

TSPoint PointAt(const std::string& text, size_t offset) {
  offset = std::min(offset, text.size());
  uint32_t row = 0;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++row;
      line_start = i + 1;
    }
  }
  return TSPoint{row, static_cast<uint32_t>(offset - line_start)};
}

Result<bool> Workspace::Load(const std::string& root, const LintOverrides& overrides,
                             const Progress& progress) {
  root_ = Normal(fs::absolute(root));
  overrides_ = overrides;
  auto config = LoadProjectConfig(root_);
  if (!config.ok()) return config.error();
  config_file_ = config->file;
  auto settings = ResolveLintSettings(*config, overrides, root_);
  if (!settings.ok()) return settings.error();
  settings_ = std::move(settings.value());

  source_roots_.clear();
  checkpoint_roots_.clear();
  std::string base = config->root.empty() ? root_ : Normal(fs::absolute(config->root));
  for (const std::string& p : config->src) source_roots_.push_back(Normal(fs::path(base) / p));
  for (const std::string& p : config->checkpoints) checkpoint_roots_.push_back(Normal(fs::path(base) / p));
  if (source_roots_.empty()) source_roots_.push_back(root_);
  if (checkpoint_roots_.empty()) checkpoint_roots_ = source_roots_;
  if (config->src.empty() && !config->checkpoints.empty()) source_roots_ = {root_};

  project_ = std::make_unique<ProjectAnalysis>();
  project_->options = settings_.analysis;
  sites_by_file_.clear();
  checkpoint_paths_.clear();
  checkpoint_stamps_.clear();
  diagnostics_.clear();

  if (progress) progress("discovering files", 0);
  std::vector<std::string> roots = source_roots_;
  for (const std::string& r : checkpoint_roots_) {
    if (std::find(roots.begin(), roots.end(), r) == roots.end()) roots.push_back(r);
  }
  std::vector<std::string> existing;
  for (const std::string& r : roots) {
    std::error_code ec;
    if (fs::exists(r, ec)) existing.push_back(r);
  }
  DiscoveredPaths found = DiscoverPaths(existing);
  for (const std::string& c : found.checkpoints) checkpoint_paths_.insert(Normal(fs::absolute(c)));

  if (progress) progress("indexing Python sources", 10);
  std::vector<std::string> src_existing;
  for (const std::string& r : source_roots_) {
    std::error_code ec;
    if (fs::exists(r, ec)) src_existing.push_back(r);
  }
  project_->index = ModuleIndex::Build(src_existing, DiscoveryOptions{}, &project_->source_problems);
  for (const auto& f : project_->index.files()) {
    if (f) project_->python_files.push_back(f->info.path);
  }
  project_->has_source = !project_->python_files.empty();

  // Open documents keep their unsaved text across a reload (at Analyze).
  resite_.clear();
  for (const auto& [path, doc] : documents_) pending_.insert(path);

  if (progress) progress("finding checkpoint call sites", 60);
  // Every file at once, on every core.
  std::vector<const IndexedFile*> files;
  for (const auto& f : project_->index.files()) files.push_back(f.get());
  std::vector<std::vector<CallSite>> sites = ExtractCallSitesOfFiles(project_->index, files);
  sites_by_file_.clear();
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i] != nullptr && !sites[i].empty()) sites_by_file_[files[i]->info.path] = std::move(sites[i]);
  }
  call_sites_dirty_ = true;
  ++generation_;
  return true;
}

std::vector<std::string> Workspace::ConfigFiles() const {
  std::vector<std::string> files = {Normal(fs::path(root_) / "pyproject.toml"),
                                    Normal(fs::path(root_) / "ptlint.toml")};
  if (!config_file_.empty()) {
    std::string c = Normal(fs::absolute(config_file_));
    if (std::find(files.begin(), files.end(), c) == files.end()) files.push_back(c);
  }
  return files;
}

bool Workspace::InSourceRoots(const std::string& path) const {
  for (const std::string& r : source_roots_) {
    if (path == r) return true;
    std::string prefix = r.back() == '/' ? r : r + "/";
    if (path.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

void Workspace::ExtractSites(const IndexedFile& file) {
  std::vector<CallSite> sites = ExtractFileCallSites(project_->index, file);
  if (sites.empty()) {
    sites_by_file_.erase(file.info.path);
  } else {
    sites_by_file_[file.info.path] = std::move(sites);
  }
}

void Workspace::RefreshCallSites() {
  std::vector<const std::vector<CallSite>*> parts;
  for (const auto& f : project_->index.files()) {
    if (!f) continue;
    auto it = sites_by_file_.find(f->info.path);
    if (it != sites_by_file_.end()) parts.push_back(&it->second);
  }
  project_->call_sites = ConcatCallSites(parts);
  call_sites_dirty_ = false;
}

// Puts `text` in the index for `path`: an incremental whole-text update when
// the file is indexed, AddFile when it is a new file under a source root.
void Workspace::ReplaceSource(const std::string& path, std::string text) {
  // Not FindFile: it materialises a deferred tree (a full parse) that
  // UpdateFile would then parse again.
  const IndexedFile* file = nullptr;
  for (const auto& f : project_->index.files()) {
    if (f && f->info.path == path) file = f.get();
  }
  if (file != nullptr) {
    if (file->parsed.source == text) return;
    const std::string& old = file->parsed.source;
    // The smallest edit: common prefix and suffix.
    size_t prefix = 0;
    while (prefix < old.size() && prefix < text.size() && old[prefix] == text[prefix]) ++prefix;
    size_t suffix = 0;
    while (suffix < old.size() - prefix && suffix < text.size() - prefix &&
           old[old.size() - 1 - suffix] == text[text.size() - 1 - suffix]) {
      ++suffix;
    }
    TSInputEdit edit;
    edit.start_byte = static_cast<uint32_t>(prefix);
    edit.old_end_byte = static_cast<uint32_t>(old.size() - suffix);
    edit.new_end_byte = static_cast<uint32_t>(text.size() - suffix);
    edit.start_point = PointAt(old, edit.start_byte);
    edit.old_end_point = PointAt(old, edit.old_end_byte);
    edit.new_end_point = PointAt(text, edit.new_end_byte);
    if (project_->index.UpdateFile(path, edit, std::move(text)).ok()) {
      ExtractSites(*file);
      call_sites_dirty_ = true;
      // Sites elsewhere may name classes this file defines (receiver classes).
      for (const auto& [p, sites] : sites_by_file_) {
        if (p != path) resite_.insert(p);
      }
    }
    return;
  }
  if (fs::path(path).extension() != ".py" || !InSourceRoots(path)) return;
  // A new file: its module name from the source root it is under.
  std::string best_root;
  for (const std::string& r : source_roots_) {
    if (path.rfind(r + "/", 0) == 0 && r.size() > best_root.size()) best_root = r;
  }
  DiscoveredFile info;
  info.path = path;
  info.module_name = ModuleNameFromPath(path, best_root);
  info.is_package = fs::path(path).filename() == "__init__.py";
  info.size = text.size();
  if (project_->index.AddFile(info, std::move(text)).ok()) {
    project_->python_files.push_back(path);
    project_->has_source = true;
    // AddFile may reuse a slot: extract every file's sites anew.
    sites_by_file_.clear();
    for (const auto& f : project_->index.files()) {
      if (f) ExtractSites(*f);
    }
    call_sites_dirty_ = true;
  }
}

void Workspace::Open(const std::string& path, std::string text, int version) {
  Document& doc = documents_[path];
  doc.path = path;
  doc.text = std::move(text);
  doc.version = version;
  pending_.insert(path);
}

Result<bool> Workspace::Change(const std::string& path, const nlohmann::json& changes, int version,
                               PositionEncoding encoding) {
  auto it = documents_.find(path);
  if (it == documents_.end()) {
    return MakeError("lsp.not-open", path + " is not open", "send didOpen first");
  }
  if (!changes.is_array()) return MakeError("lsp.bad-params", "contentChanges is not an array", "");
  Document& doc = it->second;
  // Validate every change on a copy first: a bad one leaves the document as it was.
  std::string text = doc.text;
  for (const nlohmann::json& change : changes) {
    if (!change.is_object() || !change.contains("text") || !change["text"].is_string()) {
      return MakeError("lsp.bad-params", "a content change without text", "");
    }
    const std::string& inserted = change["text"].get_ref<const std::string&>();
    if (!change.contains("range")) {
      text = inserted;
      continue;
    }
    const nlohmann::json& r = change["range"];
    auto num = [&](const char* a, const char* b) -> std::optional<uint32_t> {
      if (!r.is_object() || !r.contains(a) || !r[a].is_object() || !r[a].contains(b) ||
          !r[a][b].is_number_integer() || r[a][b].get<int64_t>() < 0) {
        return std::nullopt;
      }
      return static_cast<uint32_t>(std::min<int64_t>(r[a][b].get<int64_t>(), UINT32_MAX));
    };
    auto sl = num("start", "line"), sc = num("start", "character");
    auto el = num("end", "line"), ec = num("end", "character");
    if (!sl || !sc || !el || !ec) return MakeError("lsp.bad-params", "a malformed change range", "");
    size_t start = OffsetOf(text, *sl, ByteColumn(LineOf(text, *sl), *sc, encoding));
    size_t end = OffsetOf(text, *el, ByteColumn(LineOf(text, *el), *ec, encoding));
    if (end < start) std::swap(start, end);
    text.replace(start, end - start, inserted);
  }
  doc.text = std::move(text);
  doc.version = version;
  pending_.insert(path);
  return true;
}

void Workspace::Close(const std::string& path) {
  documents_.erase(path);
  pending_.erase(path);
  skipped_.erase(path);
  // Back to what is on disk.
  if (project_->index.FindFile(path) != nullptr) {
    auto disk = ReadDisk(path);
    ReplaceSource(path, disk ? *disk : std::string());
  }
}

void Workspace::ReloadSource(const std::string& path) {
  if (documents_.count(path)) return;
  auto disk = ReadDisk(path);
  ReplaceSource(path, disk ? *disk : std::string());
}

const Document* Workspace::FindDocument(const std::string& path) const {
  auto it = documents_.find(path);
  return it == documents_.end() ? nullptr : &it->second;
}

std::string Workspace::Absolute(const std::string& path) const {
  if (path.empty()) return path;
  fs::path p(path);
  if (p.is_absolute()) return Normal(p);
  return Normal(fs::path(root_) / p);
}

std::optional<std::string> Workspace::Text(const std::string& path) const {
  if (const Document* d = FindDocument(path)) return d->text;
  if (project_ && project_->has_source) {
    // FindFile materialises; the raw source is enough here.
    for (const auto& f : project_->index.files()) {
      if (f && f->info.path == path) return f->parsed.source;
    }
  }
  return ReadDisk(path);
}

std::optional<std::string> Workspace::LineText(const std::string& path, int line) const {
  if (line <= 0) return std::nullopt;
  std::string abs = Absolute(path);
  if (const Document* d = FindDocument(abs)) return std::string(LineOf(d->text, static_cast<uint32_t>(line - 1)));
  const IndexedFile* f = nullptr;
  for (const auto& file : project_->index.files()) {
    if (file && file->info.path == abs) f = file.get();
  }
  if (f != nullptr) return std::string(LineOf(f->parsed.source, static_cast<uint32_t>(line - 1)));
  if (IsCheckpoint(abs)) return std::nullopt;
  std::ifstream in(abs, std::ios::binary);
  std::string text;
  for (int n = 1; std::getline(in, text); ++n) {
    if (n == line) {
      if (!text.empty() && text.back() == '\r') text.pop_back();
      return text;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Workspace::StaleCheckpoints() {
  std::vector<std::string> stale, gone;
  for (const std::string& path : checkpoint_paths_) {
    auto stamp = StatFile(path);
    if (!stamp) {
      gone.push_back(path);
      continue;
    }
    auto it = checkpoint_stamps_.find(path);
    if (it == checkpoint_stamps_.end() || it->second != *stamp) stale.push_back(path);
  }
  for (const std::string& g : gone) RemoveCheckpoint(g);
  return stale;
}

bool Workspace::ConsiderCheckpoint(const std::string& path) {
  if (checkpoint_paths_.count(path)) return true;
  DiscoveredPaths found = DiscoverPaths({path});
  if (found.checkpoints.empty()) return false;
  checkpoint_paths_.insert(path);
  return true;
}

void Workspace::PutCheckpoint(const std::string& path, const FileStamp& stamp,
                              AnalyzedCheckpoint checkpoint) {
  checkpoint_paths_.insert(path);
  checkpoint_stamps_[path] = stamp;
  auto& list = project_->checkpoints;
  for (AnalyzedCheckpoint& ac : list) {
    if (Absolute(ac.checkpoint.path) == path) {
      ac = std::move(checkpoint);
      return;
    }
  }
  list.push_back(std::move(checkpoint));
  std::sort(list.begin(), list.end(), [](const AnalyzedCheckpoint& a, const AnalyzedCheckpoint& b) {
    return a.display_path < b.display_path;
  });
}

void Workspace::RemoveCheckpoint(const std::string& path) {
  checkpoint_paths_.erase(path);
  checkpoint_stamps_.erase(path);
  auto& list = project_->checkpoints;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const AnalyzedCheckpoint& ac) { return Absolute(ac.checkpoint.path) == path; }),
             list.end());
}

const AnalyzedCheckpoint* Workspace::FindCheckpoint(const std::string& path) const {
  for (const AnalyzedCheckpoint& ac : project_->checkpoints) {
    if (Absolute(ac.checkpoint.path) == path) return &ac;
  }
  return nullptr;
}

std::optional<std::string> WhyNotAnalysed(const std::string& text, size_t max_bytes) {
  auto mib = [](size_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1 << 20));
    return std::string(buf);
  };
  if (text.size() > max_bytes) {
    return "ptlint does not analyse this document: it is " + mib(text.size()) + ", over the " +
           mib(max_bytes) + " limit for open documents (initializationOptions.maxDocumentBytes)";
  }
  if (text.find('\0') != std::string::npos) {
    return std::string("ptlint does not analyse this document: it holds NUL bytes, so it is binary, not Python");
  }
  size_t n = std::min<size_t>(text.size(), 64 << 10), control = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f) ++control;
  }
  if (n > 0 && control * 100 > n) {
    return std::string("ptlint does not analyse this document: ") + std::to_string(control) +
           " of its first " + std::to_string(n) + " bytes are control characters, so it is binary, not Python";
  }
  return std::nullopt;
}

bool Workspace::Analyze(const std::function<bool()>& superseded) {
  auto stop = [&] { return superseded && superseded(); };
  auto t0 = std::chrono::steady_clock::now();
  // 1. Pending document texts into the index, one document at a time.
  std::vector<std::string> pending(pending_.begin(), pending_.end());
  for (const std::string& path : pending) {
    auto doc = documents_.find(path);
    pending_.erase(path);
    if (doc == documents_.end()) continue;
    if (auto why = WhyNotAnalysed(doc->second.text, max_document_bytes_)) {
      skipped_[path] = *why;
      continue;
    }
    skipped_.erase(path);
    ReplaceSource(path, doc->second.text);
    if (stop()) return false;
  }
  // 2. Call sites of the files that may name what changed. Many at once
  // (the first index, a changed config) are found on every core; a few (an
  // edit) one by one, so that a newer edit can stop the analysis between
  // them.
  std::vector<std::string> resite(resite_.begin(), resite_.end());
  if (resite.size() > kBatchedCallSiteFiles) {
    std::unordered_map<std::string, const IndexedFile*> by_path;
    for (const auto& f : project_->index.files()) {
      if (f) by_path.emplace(f->info.path, f.get());
    }
    std::vector<const IndexedFile*> files;
    for (const std::string& path : resite) {
      auto it = by_path.find(path);
      files.push_back(it == by_path.end() ? nullptr : it->second);
    }
    std::vector<std::vector<CallSite>> sites = ExtractCallSitesOfFiles(project_->index, files);
    for (size_t i = 0; i < resite.size(); ++i) {
      resite_.erase(resite[i]);
      if (files[i] == nullptr) continue;
      if (sites[i].empty()) {
        sites_by_file_.erase(resite[i]);
      } else {
        sites_by_file_[resite[i]] = std::move(sites[i]);
      }
    }
    call_sites_dirty_ = true;
    if (stop()) return false;
  }
  for (const std::string& path : resite) {
    if (resite_.count(path) == 0) continue;  // found in the batch above
    resite_.erase(path);
    for (const auto& f : project_->index.files()) {
      if (f && f->info.path == path) ExtractSites(*f);
    }
    call_sites_dirty_ = true;
    if (stop()) return false;
  }
  if (call_sites_dirty_) RefreshCallSites();
  timings_.call_sites_ms = MsSince(t0);
  if (stop()) return false;
  // 3. Link and lint (one step each: they are the analysis layer's).
  t0 = std::chrono::steady_clock::now();
  LinkProject(*project_);
  timings_.link_ms = MsSince(t0);
  if (stop()) return false;
  t0 = std::chrono::steady_clock::now();
  diagnostics_ = LintProject(*project_, settings_, [this](const std::string& path, int line) {
    return LineText(path, line);
  });
  timings_.lint_ms = MsSince(t0);
  ++generation_;
  return true;
}

}  // namespace ptlint::lsp
