#include "analyzer/analysis/project_analysis.h"

#include <algorithm>
#include <filesystem>
#include <fnmatch.h>
#include <set>
#include <unordered_set>

#include "analyzer/analysis/key_pattern.h"
#include "analyzer/analysis/structural_binding.h"
#include "analyzer/checkpoint/checkpoint_discovery.h"
#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/python/python_source.h"
#include "analyzer/support/worker_pool.h"

namespace ptlint {
namespace fs = std::filesystem;

namespace {

// Does `qualified` derive from Lightning's LightningModule?
bool IsLightningModuleClass(const ModuleIndex& index, const std::string& qualified) {
  const ClassInfo* c = index.FindClass(qualified);
  if (c == nullptr) return false;
  for (const std::string& base : index.Classify(*c).chain) {
    if (IsLightningModuleBase(base)) return true;
  }
  return false;
}

std::string Relative(const std::string& path) {
  std::error_code ec;
  // Lexically: fs::relative would resolve symbolic links, and a file found
  // through one (the Hugging Face cache's snapshot link) keeps its own name.
  fs::path rel = fs::absolute(path, ec).lexically_normal().lexically_relative(fs::current_path(ec));
  if (ec || rel.empty() || rel.string().rfind("..", 0) == 0) return fs::path(path).lexically_normal().generic_string();
  return rel.generic_string();
}

// Does the path a script names ("ckpt/model.pt", "ckpt/epoch_*.pt") denote
// this checkpoint? Scripts run from an unknown directory, so a path matches
// when it is a suffix of the checkpoint's path on component boundaries.
// Returns the matched length (0: no match), so the longest match wins.
size_t PathMatch(const PathExpr& expr, const std::string& checkpoint_path) {
  if (!expr.known()) return 0;
  std::string want = fs::path(expr.text).lexically_normal().generic_string();
  std::string have = fs::path(checkpoint_path).lexically_normal().generic_string();
  if (want.rfind("./", 0) == 0) want = want.substr(2);
  if (fs::path(want).is_absolute()) {
    std::error_code ec;
    std::string abs = fs::absolute(checkpoint_path, ec).lexically_normal().generic_string();
    if (expr.is_glob) return fnmatch(want.c_str(), abs.c_str(), FNM_PATHNAME) == 0 ? want.size() : 0;
    return abs == want ? want.size() : 0;
  }
  // Compare component-suffixes.
  size_t want_components = static_cast<size_t>(std::count(want.begin(), want.end(), '/')) + 1;
  std::vector<std::string> parts;
  for (const auto& p : fs::path(have)) parts.push_back(p.string());
  if (parts.size() < want_components) return 0;
  std::string suffix;
  for (size_t i = parts.size() - want_components; i < parts.size(); ++i) {
    if (!suffix.empty()) suffix += "/";
    suffix += parts[i];
  }
  if (expr.is_glob) return fnmatch(want.c_str(), suffix.c_str(), FNM_PATHNAME) == 0 ? want.size() : 0;
  return suffix == want ? want.size() : 0;
}

// The contract: with the construction not known, a difference is what the
// unknown arguments may explain. The diff keeps the wrapper prefix (certain
// either way: every key carries it) and drops the rest into a note.
void KeepSilentUnlessKnown(AnalyzedCheckpoint& ac) {
  CheckpointBinding& b = ac.binding;
  if (b.construction_known || !ac.diff.value) return;
  StateDictDiff& d = *ac.diff.value;
  size_t findings = d.missing.size() + d.unexpected.size() + d.mismatches.size() + d.renames.size() +
                    d.unexpected_entries.size();
  if (findings == 0) return;
  std::set<std::string> args;
  for (const ShapeMismatch& m : d.mismatches) args.insert(m.driving_args.begin(), m.driving_args.end());
  if (ac.expected) {
    for (const ConstructorParam& p : ac.expected->params) {
      if (!p.given && args.size() < 4) args.insert(p.name);
    }
  }
  std::string why;
  for (const std::string& a : args) why += (why.empty() ? "`" : ", `") + a + "`";
  std::string what = std::to_string(d.missing.size()) + " missing, " + std::to_string(d.unexpected.size()) +
                     " unexpected, " + std::to_string(d.mismatches.size()) + " of another shape";
  std::string short_cls = b.cls.substr(b.cls.rfind('.') + 1);
  std::string note = "bound by " + b.how + " to " + short_cls + ", whose construction is not known (the source "
                     "builds it with arguments it cannot read); keys and shapes differ (" + what + ")" +
                     (why.empty() ? "" : " in ways " + why + " may explain") + "; not reported";
  b.note = b.note.empty() ? note : b.note + "; " + note;
  ac.unreported_drift = what + (why.empty() ? "" : ", which " + why + " may explain");
  d.missing.clear();
  d.unexpected.clear();
  d.mismatches.clear();
  d.renames.clear();
  d.unexpected_entries.clear();
}

bool HasWord(const std::string& source, std::string_view word) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t at = source.find(word); at != std::string::npos; at = source.find(word, at + 1)) {
    bool starts = at == 0 || !ident(source[at - 1]);
    size_t end = at + word.size();
    if (starts && (end >= source.size() || !ident(source[end]))) return true;
  }
  return false;
}

bool IsTorchSave(const std::string& q) { return q == "torch.save" || q == "torch.serialization.save"; }

// The call sites a run without checkpoints reads. Every site but torch.save
// is read only against a checkpoint (which load reads which file, what it
// loads into, which optimizer); torch.save sites feed PTL701/702 alone. The
// extractor records torch.save where a callee resolves (ModuleIndex::
// ResolveName: module-level names) to torch.save: written with the word
// `save` (`torch.save`, `save`, `serialization.save`, `from torch import
// save as ts`), or through a module-level alias of it (`saver = torch.save`,
// imported elsewhere as `saver`). So when no module-level name of the
// project is such an alias, a file without the word `save` has no torch.save
// site, and its tree need not be built (most of a checkpoint-less run on
// torchvision: 43 of its files call load_state_dict). With an alias
// anywhere, every file is read as before.
std::vector<CallSite> SaveCallSites(const ModuleIndex& index) {
  for (const auto& file : index.files()) {
    if (!file) continue;
    const std::string& module = file->info.module_name;
    for (const ImportBinding& imp : file->imports) {
      if (IsTorchSave(index.ResolveName(module, imp.local_name).qualified_name)) return ExtractCallSites(index);
    }
    for (const auto& [name, shape] : file->assignment_shapes) {
      if (IsTorchSave(index.ResolveName(module, name).qualified_name)) return ExtractCallSites(index);
    }
    for (const auto& [name, node] : file->assignments) {
      if (IsTorchSave(index.ResolveName(module, name).qualified_name)) return ExtractCallSites(index);
    }
  }
  std::vector<std::vector<CallSite>> per_file;
  std::vector<const std::vector<CallSite>*> parts;
  per_file.reserve(index.files().size());
  for (const auto& file : index.files()) {
    if (!file || !HasWord(file->parsed.source, "save")) continue;
    per_file.push_back(ExtractFileCallSites(index, *file));
    parts.push_back(&per_file.back());
  }
  return ConcatCallSites(parts);
}

}  // namespace

const ClassInfo* ProjectAnalysis::FindProjectClass(const std::string& module,
                                                   const std::string& name) const {
  return index.FindClass(module + "." + name);
}

std::unique_ptr<ProjectAnalysis> AnalyzeProject(const std::vector<std::string>& paths,
                                                const AnalysisOptions& options) {
  auto project = std::make_unique<ProjectAnalysis>();
  project->options = options;
  PathExcludes excludes{options.exclude_root, options.exclude, options.force_exclude};
  DiscoveredPaths found = DiscoverPaths(paths, excludes);
  project->python_files = found.python_files;

  // Source roots: the folders (and files) given that hold Python.
  std::vector<std::string> roots;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (excludes.force && excludes.Matches(p)) continue;  // --force-exclude
    if (fs::is_directory(p, ec) || fs::path(p).extension() == ".py") roots.push_back(p);
  }
  // The checkpoints are read on another thread while the source is indexed
  // (reading one never depends on the source): the index is built on one
  // core, and the checkpoints are most of what the other would wait for.
  auto read_all = [&found] {
    std::vector<AnalyzedCheckpoint> read;
    for (const std::string& path : found.checkpoints) {
      // One file's failure stays with that file (lint reports it as PTL604).
      try {
        read.push_back(ReadAnalyzedCheckpoint(path));
      } catch (const std::exception& e) {
        AnalyzedCheckpoint failed;
        failed.checkpoint.path = path;
        failed.display_path = Relative(path);
        failed.internal_error = std::string("reading it failed (") + e.what() + ")";
        read.push_back(std::move(failed));
      }
    }
    return read;
  };
  auto index_source = [&] {
    if (found.python_files.empty()) return;
    DiscoveryOptions discovery;
    for (std::string& pattern : PythonDiscoveryExcludes(excludes, roots)) {
      discovery.excludes.push_back(std::move(pattern));
    }
    project->index = ModuleIndex::Build(roots, discovery, &project->source_problems);
    project->has_source = true;
    project->call_sites = found.checkpoints.empty() ? SaveCallSites(project->index)
                                                    : ExtractCallSites(project->index);
  };
  if (!found.python_files.empty() && !found.checkpoints.empty()) {
    RunOnWorkers(2, [&](size_t part) {
      if (part == 0) {
        index_source();
        return;
      }
      // The index's tree query too: compiling it takes milliseconds every
      // parse of the call-site pass would otherwise wait for.
      IndexQuery();
      project->checkpoints = read_all();
    });
  } else {
    index_source();
    project->checkpoints = read_all();
  }
  LinkProject(*project);
  return project;
}

AnalyzedCheckpoint ReadAnalyzedCheckpoint(const std::string& path) {
  AnalyzedCheckpoint ac;
  ac.checkpoint = ReadCheckpoint(path);
  ac.display_path = Relative(path);
  return ac;
}

namespace {

// The checkpoint with its state-dict keys rewritten as the bound call site's
// load path rewrites them (a comprehension between torch.load and
// load_state_dict, often ptlint's own quick fix); null when nothing rewrites.
std::shared_ptr<const Checkpoint> KeysAsLoaded(const AnalyzedCheckpoint& ac, const ProjectAnalysis& project) {
  if (ac.binding.call_site < 0) return nullptr;
  const CallSite& site = project.call_sites[static_cast<size_t>(ac.binding.call_site)];
  if (site.key_rewrites.empty()) return nullptr;
  auto rewritten = std::make_shared<Checkpoint>(ac.checkpoint);
  auto as_loaded = [&](const std::string& key) {
    std::optional<std::string> name = key;
    for (const LoadKeyRewrite& r : site.key_rewrites) {
      if (name) name = r.Apply(*name);
    }
    return name;
  };
  // A root dict read as `other` names its tensors by subscript (['fc.weight']).
  const bool loose_root = rewritten->layout == Layout::kOther && rewritten->state_dict_path.empty();
  std::vector<TensorInfo> kept;
  kept.reserve(rewritten->tensors.size());
  for (TensorInfo& t : rewritten->tensors) {
    const std::string& n = t.name;
    bool subscript = loose_root && n.size() > 4 && n.rfind("['", 0) == 0 &&
                     n.compare(n.size() - 2, 2, "']") == 0 && n.find("']", 2) == n.size() - 2;
    if (subscript) {
      std::optional<std::string> name = as_loaded(n.substr(2, n.size() - 4));
      if (!name) continue;  // the comprehension drops it
      t.name = "['" + *name + "']";
    } else if (!n.empty() && n[0] != '[' && n[0] != '.') {  // a state-dict key
      std::optional<std::string> name = as_loaded(n);
      if (!name) continue;
      t.name = std::move(*name);
    }
    kept.push_back(std::move(t));
  }
  rewritten->tensors = std::move(kept);
  std::vector<std::string> top_level;
  for (const std::string& k : rewritten->top_level_keys) {
    if (auto name = as_loaded(k)) top_level.push_back(std::move(*name));
  }
  rewritten->top_level_keys = std::move(top_level);
  for (std::vector<std::string>& group : rewritten->tied_groups) {
    for (std::string& k : group) {
      if (auto name = as_loaded(k)) k = std::move(*name);
    }
  }
  // A comprehension or a loop builds a plain dict: the `_metadata` (module
  // versions) torch.save kept on the state dict does not reach
  // load_state_dict. consume_prefix_in_state_dict_if_present rewrites it too.
  bool keeps_metadata = true;
  for (const LoadKeyRewrite& r : site.key_rewrites) keeps_metadata &= r.keeps_metadata;
  if (keeps_metadata) {
    std::map<std::string, int64_t> versions;
    for (const auto& [module, version] : rewritten->metadata_versions) {
      // Module paths have no trailing dot ("module.fc", "module" for the root).
      std::optional<std::string> name = as_loaded(module + ".");
      if (!name) continue;
      if (!name->empty() && name->back() == '.') name->pop_back();
      versions[*name] = version;
    }
    rewritten->metadata_versions = std::move(versions);
  } else {
    rewritten->metadata_versions.clear();
    rewritten->has_metadata = false;
  }
  return rewritten;
}

// What changes the keys on the way to the bound load_state_dict in code
// ptlint does not follow, or "" (load_key_rewrite.h kUnfollowed; a change
// recorded for an entry that is never read on its own counts too).
std::string UnfollowedRewrite(const AnalyzedCheckpoint& ac, const ProjectAnalysis& project) {
  if (ac.binding.call_site < 0) return "";
  const CallSite& site = project.call_sites[static_cast<size_t>(ac.binding.call_site)];
  for (const LoadKeyRewrite& r : site.key_rewrites) {
    if (r.kind == LoadKeyRewrite::Kind::kUnfollowed || !r.entry.empty()) {
      return r.unfollowed_what.empty() ? "code between torch.load and load_state_dict" : r.unfollowed_what;
    }
  }
  return "";
}

// `GPT(GPTConfig(**checkpoint["model_args"]))`: the call site records the
// config as {"$class", "$checkpoint_entry"}; the file bound to it supplies
// the entry (Checkpoint::literal_dicts). Without such an entry in the file the
// argument is dropped: the construction is then not known from it.
void ExpandCheckpointConfigs(std::map<std::string, nlohmann::json>& args, const Checkpoint& checkpoint) {
  for (auto it = args.begin(); it != args.end();) {
    nlohmann::json& value = it->second;
    if (!value.is_object() || !value.contains("$checkpoint_entry")) {
      ++it;
      continue;
    }
    const std::string entry = value["$checkpoint_entry"].is_string() ? value["$checkpoint_entry"].get<std::string>() : "";
    auto found = checkpoint.literal_dicts.find(entry);
    if (found == checkpoint.literal_dicts.end()) {
      it = args.erase(it);
      continue;
    }
    nlohmann::json config = nlohmann::json::object();
    config["$class"] = value["$class"];
    for (const auto& [name, v] : found->second) {
      if (!name.empty() && name[0] != '$') config[name] = v;
    }
    value = std::move(config);
    ++it;
  }
}

}  // namespace

void LinkProject(ProjectAnalysis& analysis) {
  ProjectAnalysis* project = &analysis;
  const AnalysisOptions& options = analysis.options;
  for (AnalyzedCheckpoint& ac : project->checkpoints) {
    ac.binding = CheckpointBinding{};
    ac.expected.reset();
    ac.prediction_error.clear();
    ac.load_sites.clear();
    ac.state_dict_sites.clear();
    ac.optimizer_sites.clear();
    ac.diff.value.reset();
    ac.as_loaded.reset();
    ac.restored_whole = false;
    ac.unreported_drift.clear();
    ac.safety = PickleSafetyReport{};
  }
  // Which load sites read which checkpoint (longest path match wins per site).
  for (size_t s = 0; s < project->call_sites.size(); ++s) {
    const CallSite& site = project->call_sites[s];
    if (site.kind != CallKind::kTorchLoad && site.kind != CallKind::kJitLoad) continue;
    size_t best = 0;
    std::vector<size_t> winners;
    for (size_t c = 0; c < project->checkpoints.size(); ++c) {
      size_t m = PathMatch(site.checkpoint, project->checkpoints[c].display_path);
      if (m == 0) continue;
      if (m > best) {
        best = m;
        winners.clear();
      }
      if (m == best) winners.push_back(c);
    }
    for (size_t c : winners) project->checkpoints[c].load_sites.push_back(static_cast<int>(s));
  }
  for (size_t s = 0; s < project->call_sites.size(); ++s) {
    const CallSite& site = project->call_sites[s];
    if (site.kind != CallKind::kLoadStateDict || site.load_site < 0) continue;
    for (AnalyzedCheckpoint& ac : project->checkpoints) {
      if (std::find(ac.load_sites.begin(), ac.load_sites.end(), site.load_site) != ac.load_sites.end()) {
        // An optimizer receives it: bound to torch.optim.X(...), or given an
        // optimizer state this checkpoint holds at that key path.
        std::string path;
        for (const std::string& k : site.keys) path += "['" + k + "']";
        bool optimizer = site.optimizer_site >= 0;
        for (const OptimizerInfo& o : ac.checkpoint.optimizers) optimizer |= o.path == path;
        (optimizer ? ac.optimizer_sites : ac.state_dict_sites).push_back(static_cast<int>(s));
      }
    }
  }

  // Structural candidates (builders with their literal arguments, classes at
  // the constructions the source writes), predicted once per link and only
  // when a checkpoint needs them (the LSP re-links on every keystroke).
  std::shared_ptr<StructuralCandidates> structural;
  auto candidates = [&]() -> StructuralCandidates& {
    if (!structural) {
      structural = std::make_shared<StructuralCandidates>();
      if (project->has_source) *structural = CollectStructuralCandidates(project->index);
    }
    return *structural;
  };
  auto adopt = [](AnalyzedCheckpoint& ac, const StructuralMatch& m) {
    const StructuralCandidate& c = *m.best;
    CheckpointBinding& b = ac.binding;
    b.cls = c.cls;
    b.factory = m.construction_certain ? c.factory : "";
    b.ctor_args = c.args;
    b.construction_known = c.construction_known && m.construction_certain;
    b.note = m.note;
    // Drift stays silent without a known construction: say why (--explain, JSON).
    if (b.note.empty() && !m.construction_certain) {
      b.note = "several constructions of " + c.cls + " explain the file about as well; which one built it is "
               "not known";
    } else if (b.note.empty() && !c.construction_known) {
      b.note = "the source builds " + c.cls + " only with arguments ptlint cannot read (no literal call, builder "
               "or default construction); its expected keys and shapes are not known";
    }
    ac.expected = c.expected;
  };

  for (AnalyzedCheckpoint& ac : project->checkpoints) {
    CheckpointBinding& b = ac.binding;
    b.how = "none";
    // 1. Explicit.
    for (const auto& [ckpt, cls] : options.bind) {
      PathExpr e{ckpt, ckpt.find_first_of("*?[") != std::string::npos};
      if (PathMatch(e, ac.display_path) > 0) {
        b.cls = cls;
        b.how = "explicit";
        b.score = 1;
      }
    }
    // 2. A load_state_dict call site fed from this checkpoint, on a known class.
    if (b.cls.empty()) {
      for (int s : ac.state_dict_sites) {
        const CallSite& site = project->call_sites[static_cast<size_t>(s)];
        if (!site.receiver_class.empty()) {
          b.cls = site.receiver_class;
        } else if (!site.receiver_factory.empty() && project->has_source) {
          // `model = f(...)`: bound when f's body evidently builds a module;
          // its prediction (with f's arguments) is the expectation.
          PredictOptions po;
          po.args = site.receiver_args;
          ExpandCheckpointConfigs(po.args, ac.checkpoint);
          auto e = PredictStateDict(project->index, site.receiver_factory, po);
          if (!e.ok()) continue;
          b.cls = e->class_name;
          b.factory = site.receiver_factory;
          ac.expected = std::move(e.value());
        } else {
          continue;
        }
        b.how = "call-site";
        b.score = 1;
        b.call_site = s;
        b.ctor_args = site.receiver_args;
        ExpandCheckpointConfigs(b.ctor_args, ac.checkpoint);
        break;
      }
    }
    std::vector<const TensorInfo*> tensors = StateDictTensors(ac.checkpoint);
    // 3. A whole pickled module names its class; its construction is the
    // class's candidate that explains the pickled tensors best.
    if (b.cls.empty() && ac.checkpoint.layout == Layout::kPickledModule && !ac.checkpoint.modules.empty()) {
      const ModuleNode& root = ac.checkpoint.modules.front();
      std::string q = root.module + "." + root.name;
      if (project->has_source && project->index.FindClass(q) != nullptr) {
        b.cls = project->index.FindClass(q)->qualified_name;
        b.how = "pickled-module";
        b.score = 1;
        StructuralMatch m = tensors.empty() ? StructuralMatch{} : MatchStructure(candidates(), tensors, b.cls);
        if (m.best != nullptr) {
          adopt(ac, m);
          b.how = "pickled-module";
        } else {
          b.construction_known = false;
          b.note = "pickled " + b.cls + "; no construction of it explains the file (" + m.note + ")";
        }
      }
    }
    // 4. Structure: a candidate that explains the file by its own keys,
    // with a clear margin over every rival (structural_binding.h).
    if (b.cls.empty() && !tensors.empty() && project->has_source && !candidates().specs.empty()) {
      StructuralMatch m = MatchStructure(candidates(), tensors);
      if (m.best != nullptr) {
        adopt(ac, m);
        b.how = "structure";
        b.score = m.score;
      } else if (!m.tied.empty()) {
        b.how = "ambiguous";
        b.score = m.score;
        for (const StructuralCandidate* c : m.tied) {
          for (const std::string& f : c->factories) b.candidates.push_back(f);
          if (c->factories.empty()) b.candidates.insert(b.candidates.end(), c->classes.begin(), c->classes.end());
        }
        b.note = m.note;
      } else {
        b.score = m.score;
        b.note = m.note;
      }
    }
    if (b.cls.empty() && b.note.empty()) {
      if (!project->has_source) {
        b.note = "no Python source among the paths: give the source folder too (`ptlint src/ ckpt/`)";
      } else if (tensors.empty()) {
        b.note = "no state dict in the file (" + std::string(LayoutName(ac.checkpoint.layout)) + ")";
      }
    }
    // A Lightning checkpoint loaded the Lightning way (load_from_checkpoint,
    // or no call site seen) is built as cls(**hyper_parameters, **overrides):
    // its recorded hyper-parameters fill the constructor arguments the call
    // does not give. (A hand-written `Cls(...).load_state_dict(ckpt["state_dict"])`
    // builds with exactly the arguments it passes.)
    if (!b.cls.empty() && b.factory.empty() && project->has_source &&
        ac.checkpoint.layout == Layout::kLightning && !ac.checkpoint.hyper_parameters.empty()) {
      const CallSite* site =
          b.call_site >= 0 ? &project->call_sites[static_cast<size_t>(b.call_site)] : nullptr;
      if ((site == nullptr || site->lightning) && IsLightningModuleClass(project->index, b.cls)) {
        for (const auto& [name, value] : ac.checkpoint.hyper_parameters) b.ctor_args.emplace(name, value);
      }
    }
    if (!b.cls.empty() && project->has_source) {
      if (const ClassInfo* c = project->index.FindClass(b.cls)) {
        b.class_position = c->position;
        b.class_path = c->path;
      }
      if (b.factory.empty() && !ac.expected) {
        PredictOptions po;
        po.args = b.ctor_args;
        auto e = PredictStateDict(project->index, b.cls, po);
        if (e.ok()) {
          ac.expected = std::move(e.value());
        } else {
          ac.prediction_error = e.error().message;
        }
      }
    }
  }
  // Freeing the predictions (a million small objects for a big library)
  // takes tens of milliseconds a run that exits next need not spend.
  if (options.retain_for_exit && structural) analysis.retained.push_back(std::move(structural));
  structural.reset();
  PickleSafetyOptions safety;
  safety.context = ProjectSafetyContext(analysis);
  safety.strict = options.strict;
  // Each checkpoint's diff and safety report read only the project and
  // write only that checkpoint: the files are shared out over the cores.
  ForEachOnWorkers(project->checkpoints.size(), [&](size_t c) {
    AnalyzedCheckpoint& ac = project->checkpoints[c];
    try {
      // A whole pickle that nothing binds to a class by load_state_dict is
      // restored as the pickled object: torch.load never matches its
      // tensors against today's __init__, so a key or shape difference is
      // not a break (PTL104 judges the pickled attributes instead).
      const bool whole_pickle_restored =
          ac.checkpoint.layout == Layout::kPickledModule && ac.binding.how == "pickled-module";
      ac.restored_whole = whole_pickle_restored;
      const std::string unfollowed = ac.expected ? UnfollowedRewrite(ac, *project) : "";
      if (!unfollowed.empty()) {
        // The keys load_state_dict receives are not the file's, and ptlint
        // cannot say what they are: nothing to judge them by.
        ac.binding.keys_followed = false;
        std::string note = "the load changes the keys in code ptlint does not follow (" + unfollowed +
                           "); drift not reported";
        ac.binding.note = ac.binding.note.empty() ? note : ac.binding.note + "; " + note;
      } else if (ac.expected && !whole_pickle_restored) {
        ac.as_loaded = KeysAsLoaded(ac, *project);
        ac.diff.value = DiffStateDict(*ac.expected, ac.as_loaded ? *ac.as_loaded : ac.checkpoint);
        KeepSilentUnlessKnown(ac);
      }
      ac.safety = AnalyzePickleSafety(ac.checkpoint, safety);
    } catch (const std::exception& e) {
      ac.diff.value.reset();
      ac.safety = PickleSafetyReport{};
      ac.internal_error = std::string("analysing it failed (") + e.what() + ")";
    }
  });
}

SafetyContext ProjectSafetyContext(const ProjectAnalysis& project) {
  SafetyContext safety = project.options.safety;
  const ProjectAnalysis* proj = &project;
  if (project.has_source) {
    safety.project_class = [proj](std::string_view module, std::string_view name) {
      return proj->FindProjectClass(std::string(module), std::string(name)) != nullptr;
    };
  }
  return safety;
}

}  // namespace ptlint
