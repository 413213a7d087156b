#include "rules/loading/ptl304_device_without_map_location.h"

#include <cctype>
#include <set>

#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& DeviceWithoutMapLocationRule::info() const {
  static const RuleInfo kInfo{"PTL304", "device-without-map-location", Severity::kError,
                              "Device-tagged storages are loaded without map_location"};
  return kInfo;
}

namespace {

// The last non-blank character before `at` (the closing parenthesis),
// looking back over a few lines for calls split across lines.
char CharBefore(const ProjectAnalysis& project, const std::string& path, SourcePosition at) {
  std::string line = SourceLine(project, path, at.line);
  size_t end = at.column >= 1 ? std::min<size_t>(at.column - 1, line.size()) : 0;
  for (uint32_t back = 0; back < 8; ++back) {
    for (size_t i = end; i > 0; --i) {
      char c = line[i - 1];
      if (!std::isspace(static_cast<unsigned char>(c))) return c;
    }
    if (at.line <= back + 1) break;
    line = SourceLine(project, path, at.line - back - 1);
    // Drop a trailing comment on the earlier line.
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    end = line.size();
  }
  return '\0';
}

}  // namespace

void DeviceWithoutMapLocationRule::CheckCheckpoint(const CheckpointContext& ctx,
                                                   std::vector<Diagnostic>& out) const {
  // The device tags of the checkpoint's storages, in first-seen order.
  std::vector<std::string> devices;
  std::set<std::string> seen;
  for (const StorageInfo& s : ctx.checkpoint.storages) {
    const std::string& loc = s.location;
    if (loc.empty() || loc == "cpu" || loc == "meta") continue;
    if (seen.insert(loc).second) devices.push_back(loc);
  }
  if (devices.empty()) return;
  std::string device_list;
  for (size_t i = 0; i < devices.size(); ++i) device_list += (i ? ", `" : "`") + devices[i] + "`";
  bool cuda = devices.front().rfind("cuda", 0) == 0;

  for (const CallSite* load : LoadSitesOf(ctx)) {
    if (load->has_map_location) continue;
    Diagnostic d = CheckpointDiagnostic(info(), ctx, -1);
    d.message = "`torch.load` without `map_location` reads " + ctx.display_path +
                ", whose storages are tagged " + device_list +
                ": on a machine without that device the load fails";
    if (cuda) {
      // torch 1.13 and 2.x (serialization.validate_cuda_device), CPU-only machine.
      d.torch_error =
          "RuntimeError: Attempting to deserialize object on a CUDA device but "
          "torch.cuda.is_available() is False. If you are running on a CPU-only machine, please "
          "use torch.load with map_location=torch.device('cpu') to map your storages to the CPU.";
    }
    d.fix = "Pass `map_location=\"cpu\"` (then move the model with `.to(device)`), or a mapping "
            "such as `{\"" + devices.front() + "\": \"cpu\"}`.";
    // A load through a helper of another module: reported at the call that
    // names the file, fixed in the helper's torch.load.
    const bool through = !load->through_path.empty();
    const std::string& edit_path = through ? load->through_path : load->path;
    const SourcePosition edit_at = through ? load->through_args_end : load->args_end;
    if (through) {
      d.fix = "In `" + load->through + "` (" + DisplayPath(load->through_path) + ":" + std::to_string(load->through_start.line) +
              "): " + d.fix;
    }
    TextEdit edit;
    edit.range = RangeAt(edit_path, edit_at, edit_at);
    edit.new_text = CharBefore(ctx.project, edit_path, edit_at) == ','
                        ? " map_location=\"cpu\""
                        : ", map_location=\"cpu\"";
    if (edit_at.line > 0) d.edits.push_back(std::move(edit));
    PlaceOnSource(d, CallRange(*load), "storages tagged " + device_list);
    if (through) {
      RelatedLocation helper;
      helper.where = RangeAt(load->through_path, load->through_start);
      helper.message = "the torch.load in `" + load->through + "` this call runs";
      d.related.push_back(std::move(helper));
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
