#include "analyzer/python/call_sites.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "analyzer/python/call_sites_extractor.h"
#include "analyzer/support/worker_pool.h"

namespace ptlint {

const char* CallKindName(CallKind kind) {
  switch (kind) {
    case CallKind::kTorchLoad: return "torch.load";
    case CallKind::kJitLoad: return "torch.jit.load";
    case CallKind::kTorchSave: return "torch.save";
    case CallKind::kLoadStateDict: return "load_state_dict";
    case CallKind::kAddSafeGlobals: return "torch.serialization.add_safe_globals";
    case CallKind::kOptimizer: return "torch.optim";
  }
  return "?";
}

namespace {

// Every call the extractor records is a call of `torch.load`,
// `torch.jit.load`, `torch.save`, `X.load_state_dict`, `add_safe_globals` or
// a `torch.optim` class: a file whose text has none of `load(`, `save(`
// (whole words, so `_load_from_state_dict(` and `download(` do not count),
// `load_state_dict`, `safe_globals` or the word `optim` cannot have one,
// unless it renames the function on import (`from torch import load as tl`),
// which the ` as ` form catches. Those files are skipped without building
// their tree: parsing is most of the first index's time.
bool HasCallWord(std::string_view source, std::string_view word) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t at = source.find(word); at != std::string::npos; at = source.find(word, at + 1)) {
    if (at > 0 && ident(source[at - 1])) continue;
    size_t end = at + word.size();
    if (end < source.size() && ident(source[end])) continue;
    size_t next = source.find_first_not_of(" \t", end);
    if (next == std::string::npos) continue;
    if (source[next] == '(' || source.compare(next, 3, "as ") == 0) return true;
  }
  return false;
}

bool HasWord(std::string_view source, std::string_view word) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t at = source.find(word); at != std::string::npos; at = source.find(word, at + 1)) {
    bool starts = at == 0 || !ident(source[at - 1]);
    size_t end = at + word.size();
    bool ends = end >= source.size() || !ident(source[end]);
    if (starts && ends) return true;
  }
  return false;
}

bool MayHaveCallSites(std::string_view source) {
  return source.find("load_state_dict") != std::string::npos ||
         source.find("load_from_checkpoint") != std::string::npos ||
         source.find("ckpt_path") != std::string::npos ||
         source.find("safe_globals") != std::string::npos || HasCallWord(source, "load") ||
         HasCallWord(source, "save") || HasWord(source, "optim");
}

// A file may also load through a helper of another project module
// (call_sites_imported.cc: `from utils.ckpt import load_checkpoint` then
// `load_checkpoint(model, path)`, none of the words above): it imports a
// function whose text may have call sites, or a project module that may, or
// star-imports anything. Names and text only: no tree is built to decide.
using LoadingHelpers = std::unordered_map<const void*, bool>;  // FunctionInfo or IndexedFile -> may load
bool ImportsLoadingHelper(const ModuleIndex& index, const IndexedFile& file, LoadingHelpers* memo) {
  if (!file.star_imports.empty()) return true;
  for (const ImportBinding& imp : file.imports) {
    Symbol s = index.ResolveName(file.info.module_name, imp.local_name);
    if (s.file == nullptr || s.file == &file) continue;
    if (s.kind == Symbol::Kind::kFunction && s.function != nullptr) {
      auto [it, fresh] = memo->try_emplace(s.function, false);
      if (fresh) it->second = MayHaveCallSites(std::string(call_site_extraction::DefinitionText(*s.file, *s.function)));
      if (it->second) return true;
    } else if (s.kind == Symbol::Kind::kModule) {
      auto [it, fresh] = memo->try_emplace(s.file, false);
      if (fresh) it->second = MayHaveCallSites(s.file->parsed.source);
      if (it->second) return true;
    }
  }
  return false;
}

// The definitions of a file the call-site walk need not enter (node ids):
// those whose text has no call word (MayHaveCallSites) and names no function
// or class of this file that has one, directly or through another such name,
// and that are not named like one. A walk of them could record only calls of
// functions that hold no call site and return values nothing loads: most of
// a model library's code (builders, weight tables, layers) is such. Files
// that import a loading helper are walked whole (the helper's name says
// nothing here).
std::unordered_set<const void*> QuietDefinitions(const ParsedPython& parsed) {
  struct Definition {
    const void* id;
    std::string name;
    std::string_view text;
    bool loads;
  };
  std::vector<Definition> defs;
  // Definitions are statements: descend only through what holds statements.
  std::vector<TSNode> stack{parsed.Root()};
  while (!stack.empty()) {
    TSNode n = stack.back();
    stack.pop_back();
    const char* type = ts_node_type(n);
    if (!HoldsStatements(type)) continue;
    if (std::strcmp(type, "function_definition") == 0 || std::strcmp(type, "class_definition") == 0) {
      std::string_view text = parsed.Text(n);
      defs.push_back({n.id, std::string(parsed.Text(ts_node_child_by_field_name(n, "name", 4))), text,
                      MayHaveCallSites(text)});
    }
    for (TSNode child : NamedChildren(n)) stack.push_back(child);
  }
  std::unordered_set<std::string> loading;
  for (const Definition& d : defs) {
    if (d.loads) loading.insert(d.name);
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (Definition& d : defs) {
      if (d.loads) continue;
      for (const std::string& name : loading) {
        if (name.empty() || !HasWord(d.text, name)) continue;
        d.loads = true;
        grew = loading.insert(d.name).second || grew;
        break;
      }
    }
  }
  std::unordered_set<const void*> quiet;
  for (const Definition& d : defs) {
    if (!d.loads && loading.count(d.name) == 0) quiet.insert(d.id);
  }
  return quiet;
}

// `imports_helper`: ImportsLoadingHelper's answer for the file.
std::vector<CallSite> FileCallSites(const ModuleIndex& index, const IndexedFile& file,
                                    call_site_extraction::PathValueCache* path_values, bool imports_helper) {
  std::vector<CallSite> local;
  // Before the tree is built.
  if (!MayHaveCallSites(file.parsed.source) && !imports_helper) return local;
  // One file's failure (an exception thrown on a pathological tree) loses
  // that file's call sites, never the run: its loads then bind to nothing.
  try {
    if (file.parsed.tree) {
      std::unordered_set<const void*> quiet;
      if (!imports_helper) quiet = QuietDefinitions(file.parsed);
      call_site_extraction::Extractor extractor(index, file, local, path_values);
      extractor.SkipDefinitions(&quiet);
      extractor.Run();
    }
  } catch (const std::exception&) {
    local.clear();
  }
  return local;
}

}  // namespace

std::vector<CallSite> ExtractFileCallSites(const ModuleIndex& index, const IndexedFile& file) {
  call_site_extraction::PathValueCache path_values;
  LoadingHelpers loading;
  return FileCallSites(index, file, &path_values, ImportsLoadingHelper(index, file, &loading));
}

std::vector<CallSite> ConcatCallSites(const std::vector<const std::vector<CallSite>*>& per_file) {
  std::vector<CallSite> sites;
  for (const std::vector<CallSite>* local : per_file) {
    // Load-site indices are per file; shift them into the joined list.
    int base = static_cast<int>(sites.size());
    for (const CallSite& s : *local) {
      sites.push_back(s);
      if (s.load_site >= 0) sites.back().load_site += base;
      if (s.optimizer_site >= 0) sites.back().optimizer_site += base;
    }
  }
  return sites;
}

std::vector<std::vector<CallSite>> ExtractCallSitesOfFiles(const ModuleIndex& index,
                                                           const std::vector<const IndexedFile*>& files) {
  // The files that can hold a call site, largest first: each is parsed and
  // walked on whichever core takes it (parsing is most of the time, and the
  // walk of one file reads other files' trees only through the index, which
  // is safe to read from several threads). Each thread has its own memos;
  // each file's sites are its own, so the result does not depend on which
  // thread took which file. Whether a file imports a loading helper is
  // decided first, with one memo: a helper's text is read once.
  std::vector<size_t> pending;
  std::vector<char> imports_helper(files.size(), 0);
  {
    LoadingHelpers loading;
    for (size_t i = 0; i < files.size(); ++i) {
      const IndexedFile* file = files[i];
      if (file == nullptr) continue;
      imports_helper[i] = ImportsLoadingHelper(index, *file, &loading) ? 1 : 0;
      if (imports_helper[i] || MayHaveCallSites(file->parsed.source)) pending.push_back(i);
    }
  }
  std::stable_sort(pending.begin(), pending.end(), [&](size_t a, size_t b) {
    return files[a]->parsed.source.size() > files[b]->parsed.source.size();
  });
  std::vector<std::vector<CallSite>> per_file(files.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    // Module constants are evaluated once per thread for every file that reads them.
    call_site_extraction::PathValueCache path_values;
    for (size_t i = next++; i < pending.size(); i = next++) {
      const size_t f = pending[i];
      per_file[f] = FileCallSites(index, *files[f], &path_values, imports_helper[f] != 0);
    }
  };
  // One copy at least (a single file is still walked), one per core and per two files at most.
  const size_t copies =
      std::clamp<size_t>(pending.size() / 2, 1, std::max(1u, std::thread::hardware_concurrency()));
  RunOnWorkers(copies, [&](size_t) { work(); });
  return per_file;
}

std::vector<CallSite> ExtractCallSites(const ModuleIndex& index) {
  std::vector<const IndexedFile*> files;
  for (const auto& file : index.files()) files.push_back(file.get());
  std::vector<std::vector<CallSite>> per_file = ExtractCallSitesOfFiles(index, files);
  std::vector<const std::vector<CallSite>*> parts;
  for (const std::vector<CallSite>& local : per_file) parts.push_back(&local);
  return ConcatCallSites(parts);
}

}  // namespace ptlint
