#include "cli/classes_command.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/command_line.h"
#include "analyzer/python/module_index.h"
#include "analyzer/python/state_dict_prediction.h"

namespace ptlint {

namespace {

constexpr int kSchemaVersion = 1;

const char* ModuleKindName(ModuleKind k) {
  switch (k) {
    case ModuleKind::kModule: return "module";
    case ModuleKind::kNotModule: return "not-module";
    case ModuleKind::kUnknown: return "unknown";
  }
  return "?";
}

}  // namespace

int RunClassesCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string only_class;
  std::string args_json;
  bool list_all = false;
  DiscoveryOptions discovery;
  CLI::App app("ptlint classes: every nn.Module class in the source with the state dict it predicts "
               "(keys, symbolic shapes, _metadata, confidence).",
               "ptlint classes");
  ConfigureApp(app, "exit: 0 classes listed, 1 none found, 2 usage error");
  app.add_option("PATH", paths, "source files and folders")->option_text("PATH...")->required();
  AddFormatOption(app, format, {"text", "json"});
  app.add_option("--class", only_class, "only this class (qualified, or a unique short name)")
      ->option_text("NAME");
  app.add_option("--args", args_json, "constructor arguments for --class, a JSON object")
      ->option_text("JSON");
  app.add_option("--exclude", discovery.excludes, "globs to leave out (repeatable)")
      ->option_text("GLOB")
      ->allow_extra_args(false);
  app.add_flag("--all", list_all, "also list non-module classes and functions");
  if (std::optional<int> rc = ParseCommandLine(app, args, out, err)) return *rc;
  PredictOptions options;
  if (!args_json.empty()) {
    nlohmann::json parsed = nlohmann::json::parse(args_json, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      err << "ptlint classes: --args must be a JSON object, e.g. '{\"hidden\": 64}'\n";
      return 2;
    }
    if (only_class.empty()) {
      err << "ptlint classes: --args needs --class\n";
      return 2;
    }
    for (auto it = parsed.begin(); it != parsed.end(); ++it) options.args[it.key()] = it.value();
  }

  std::vector<Error> problems;
  ModuleIndex index = ModuleIndex::Build(paths, discovery, &problems);
  for (const auto& p : problems) err << "ptlint classes: " << p.code << ": " << p.message << "\n";

  std::vector<const ClassInfo*> selected;
  if (!only_class.empty()) {
    const ClassInfo* c = index.FindClass(only_class);
    if (!c) {
      // Allow the short name when it is unique.
      for (const ClassInfo* k : index.AllClasses()) {
        if (k->name == only_class) {
          if (c) {
            err << "ptlint classes: `" << only_class << "` is ambiguous; use the qualified name\n";
            return 2;
          }
          c = k;
        }
      }
    }
    if (!c) {
      err << "ptlint classes: no class named " << only_class << "\n";
      return 1;
    }
    selected.push_back(c);
  } else {
    selected = index.AllClasses();
  }

  nlohmann::json classes = nlohmann::json::array();
  nlohmann::json others = nlohmann::json::array();
  int listed = 0;
  for (const ClassInfo* c : selected) {
    ModuleClassification kind = index.Classify(*c);
    if (kind.kind != ModuleKind::kModule) {
      if (list_all || !only_class.empty()) {
        others.push_back({{"name", c->qualified_name},
                          {"other_names", c->other_names},
                          {"path", c->path},
                          {"line", c->position.line},
                          {"bases", c->base_texts},
                          {"module_kind", ModuleKindName(kind.kind)},
                          {"chain", kind.chain}});
        if (format == "text") {
          out << c->qualified_name << "  " << c->path << ":" << c->position.line << "  ("
              << ModuleKindName(kind.kind) << ")\n";
        }
      }
      continue;
    }
    ++listed;
    auto predicted = PredictStateDict(index, c->qualified_name, options);
    nlohmann::json entry = {{"name", c->qualified_name},
                            {"other_names", c->other_names},
                            {"path", c->path},
                            {"line", c->position.line},
                            {"column", c->position.column},
                            {"nested", c->nested},
                            {"bases", c->base_texts},
                            {"resolved_bases", kind.chain}};
    if (predicted.ok()) {
      entry["state_dict"] = ExpectedStateDictToJson(*predicted);
    } else {
      entry["error"] = {{"code", predicted.error().code}, {"message", predicted.error().message}};
    }
    classes.push_back(entry);
    if (format != "text") continue;
    out << c->qualified_name;
    for (const auto& n : c->other_names) out << " (also " << n << ")";
    out << "\n  " << c->path << ":" << c->position.line << "  bases:";
    for (const auto& b : c->base_texts) out << " " << b;
    out << "\n";
    if (!predicted.ok()) {
      out << "  error: " << predicted.error().message << "\n\n";
      continue;
    }
    const ExpectedStateDict& e = *predicted;
    out << "  confidence: " << ConfidenceName(e.confidence) << "\n";
    for (const auto& k : e.keys) {
      out << "    " << k.key << "  " << k.shape.ToString() << "  " << KeyKindName(k.kind);
      if (!k.persistent) out << " non-persistent";
      if (k.optional) out << " optional";
      if (k.is_pattern) out << " pattern";
      if (k.location.line) out << "  (" << k.location.path << ":" << k.location.line << ")";
      out << "\n";
    }
    for (const auto& o : e.open) {
      out << "    open " << (o.prefix.empty() ? "<whole module>" : o.prefix + "*") << ": " << o.reason;
      if (o.location.line) out << "  (" << o.location.path << ":" << o.location.line << ")";
      out << "\n";
    }
    for (const auto& a : e.advisories) out << "    advisory: " << a << "\n";
    out << "\n";
  }
  if (format == "json") {
    nlohmann::json doc = {{"schema_version", kSchemaVersion}, {"classes", classes}};
    if (list_all) {
      nlohmann::json functions = nlohmann::json::array();
      for (const auto& f : index.files()) {
        for (const auto& fn : f->functions) {
          functions.push_back({{"name", fn.qualified_name}, {"path", fn.path}, {"line", fn.position.line}});
        }
      }
      doc["other_classes"] = others;
      doc["functions"] = functions;
    }
    nlohmann::json problems_json = nlohmann::json::array();
    for (const auto& p : problems) problems_json.push_back({{"code", p.code}, {"message", p.message}});
    doc["problems"] = problems_json;
    out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (list_all) {
    for (const auto& f : index.files()) {
      for (const auto& fn : f->functions) out << fn.qualified_name << "()  " << fn.path << ":" << fn.position.line << "\n";
    }
  }
  return listed > 0 || list_all ? 0 : 1;
}

}  // namespace ptlint
