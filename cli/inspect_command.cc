#include "cli/inspect_command.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/command_line.h"
#include "analyzer/checkpoint/checkpoint_discovery.h"
#include "render/checkpoint_json.h"
#include "render/checkpoint_text.h"
#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/checkpoint/global_origin.h"
#include "analyzer/support/json_writer.h"
#include "analyzer/support/subprocess.h"

namespace ptlint {

using ojson = nlohmann::ordered_json;

namespace {

struct InspectOptions {
  std::vector<std::string> paths;
  bool json = false;
  bool deep = false;
};

const char kFooter[] = "exit: 0 nothing wrong, 1 problems found, 2 usage or internal error";

// Runs the LibTorch oracle on one file. Never loads LibTorch in this process.
Result<ojson> RunDeep(const std::string& path) {
  std::string helper = ExecutableDirectory() + "/ptlint-torch";
  if (!std::filesystem::exists(helper)) {
    return MakeError("deep.no-helper", "--deep needs ptlint-torch beside ptlint (" + helper + ")",
                     "build with -DPTLINT_WITH_TORCH=ON (needs Debian's libtorch-dev)");
  }
  auto run = RunProcess({helper, "deep", path});
  if (!run.ok()) return run.error();
  ojson j = ojson::parse(run->out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return MakeError("deep.bad-output", "ptlint-torch gave no JSON (exit " +
                                            std::to_string(run->exit_code) + "): " + run->err);
  }
  return j;
}

std::string DisplayPath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path rel = std::filesystem::relative(path, std::filesystem::current_path(), ec);
  if (ec || rel.empty() || rel.string().rfind("..", 0) == 0) return path;
  return rel.string();
}

}  // namespace

int RunInspectCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  InspectOptions opt;
  CLI::App app("ptlint inspect: reads checkpoints statically (nothing is executed or imported) and "
               "says what they hold: format records, layout, globals, tensors, optimizer state, "
               "problems.",
               "ptlint inspect");
  ConfigureApp(app, kFooter);
  std::string format = "text";
  app.add_option("FILE_OR_DIR", opt.paths, "checkpoints, or folders to search for them")
      ->option_text("FILE_OR_DIR...")
      ->required();
  AddFormatOption(app, format, {"text", "json"});
  app.add_flag("--deep", opt.deep,
               "also read tensor values through LibTorch (NaN/Inf/all-zero) and say whether a C++ "
               "program could load the file (needs ptlint-torch)");
  if (std::optional<int> rc = ParseCommandLine(app, args, out, err)) return *rc;
  opt.json = format == "json";

  DiscoveredPaths found = DiscoverPaths(opt.paths);
  for (const std::string& e : found.errors) err << "ptlint inspect: " << e << "\n";
  if (!found.errors.empty()) return 2;
  if (found.checkpoints.empty()) {
    err << "ptlint inspect: no checkpoint found under";
    for (const std::string& p : opt.paths) err << ' ' << p;
    err << "\n";
    return 2;
  }

  bool any_problem = false;
  bool internal_error = false;
  // JSON is streamed to `out` (same bytes as dumping a DOM of the whole
  // document, see CheckpointToJson).
  JsonWriter writer(out, 2);
  if (opt.json) {
    writer.BeginObject();
    writer.Member("schema", kInspectSchema);
    writer.Member("ptlint_version", PTLINT_VERSION);
    writer.Key("checkpoints");
    writer.BeginArray();
  }
  for (const std::string& path : found.checkpoints) {
    Checkpoint cp = ReadCheckpoint(path);
    for (const ReaderProblem& p : cp.problems) {
      if (p.severity != Severity::kInfo) any_problem = true;
    }
    std::optional<ojson> deep;
    if (opt.deep) {
      auto d = RunDeep(path);
      if (d.ok()) {
        deep = std::move(d.value());
      } else {
        err << "ptlint inspect --deep: " << d.error().message;
        if (!d.error().hint.empty()) err << " (" << d.error().hint << ")";
        err << "\n";
        internal_error = true;
      }
    }
    std::string display = DisplayPath(path);
    if (opt.json) {
      WriteCheckpointJson(writer, cp, display, deep ? &*deep : nullptr);
    } else {
      RenderCheckpointText(cp, display, deep ? &*deep : nullptr, out);
    }
  }
  if (opt.json) {
    writer.EndArray();
    writer.EndObject();
    writer.Finish();
    out << "\n";
  }
  if (internal_error) return 2;
  return any_problem ? 1 : 0;
}

}  // namespace ptlint
