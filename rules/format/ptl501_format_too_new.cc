#include "rules/format/ptl501_format_too_new.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& FormatTooNewRule::info() const {
  static const RuleInfo kInfo{"PTL501", "format-too-new", Severity::kError,
                              "Checkpoint needs a newer torch (or numpy) than the project pins"};
  return kInfo;
}

namespace {

// torch._utils rebuild functions that torch 1.x does not have (research
// §1.9: 1.13's _utils verified; these come with 2.x), and what writes them.
struct NewRebuild {
  const char* name;
  const char* written_for;
};
constexpr NewRebuild kNewRebuilds[] = {
    {"_rebuild_tensor_v3", "tensors of dtypes without a legacy storage class (float8_*, uint16/32/64, bits*)"},
    {"_rebuild_parameter_with_state", "Parameters carrying extra attributes in __dict__ or slots"},
    {"_rebuild_nested_tensor", "nested tensors"},
    {"_rebuild_device_tensor_from_cpu_tensor", "tensors of devices that serialize through a CPU copy"},
};

// The major version of the project's torch from the configured text
// ("1.13.1" -> 1), or from the predicted release when only that is known.
std::optional<int> TorchMajor(const CheckpointContext& ctx) {
  const std::string& text = ctx.project.options.torch_version_text;
  int major = 0;
  if (!text.empty()) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), major);
    if (ec == std::errc()) return major;
    return std::nullopt;
  }
  if (ctx.torch_version == TorchVersion::k1_13) return 1;
  return std::nullopt;  // nothing pinned: assume a current torch
}

// The numpy major version a pin allows: "numpy==1.26.4" and "numpy>=1.24"
// -> 1, "numpy<2" and "numpy<2.0" -> 1, "numpy<1.25" -> 1, "numpy>=2" -> 2.
std::optional<int> NumpyMajor(const std::optional<PinnedRequirement>& pin) {
  if (!pin) return std::nullopt;
  const std::string& v = pin->version;
  int major = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), major);
  if (ec != std::errc()) return std::nullopt;
  bool below_major = pin->op == "<" &&
                     std::all_of(end, v.data() + v.size(), [](char c) { return c == '.' || c == '0'; });
  return below_major ? major - 1 : major;
}

void AddLoadSites(const CheckpointContext& ctx, Diagnostic& d) {
  for (const CallSite* load : LoadSitesOf(ctx)) {
    RelatedLocation rel;
    rel.where = CallRange(*load);
    rel.message = "loaded here";
    d.related.push_back(std::move(rel));
  }
}

}  // namespace

void FormatTooNewRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  const Checkpoint& cp = ctx.checkpoint;
  const std::string& pinned = ctx.project.options.torch_version_text;
  std::optional<int> torch_major = TorchMajor(ctx);

  // 1. Rebuild functions 1.x lacks.
  std::set<std::string> seen;
  if (torch_major && *torch_major < 2) {
    for (const GlobalUse& g : cp.globals) {
      if (g.module != "torch._utils") continue;
      const NewRebuild* hit = nullptr;
      for (const NewRebuild& r : kNewRebuilds) {
        if (g.name == r.name) hit = &r;
      }
      if (hit == nullptr || !seen.insert(g.name).second) continue;
      Diagnostic d = CheckpointDiagnostic(info(), ctx, static_cast<int64_t>(g.offset));
      std::string version = pinned.empty() ? std::string(TorchVersionName(ctx.torch_version)) : pinned;
      d.message = "the checkpoint calls `torch._utils." + g.name + "` (written by torch 2.x for " +
                  hit->written_for + "), which the project's torch " + version + " does not have";
      d.torch_error = "AttributeError: Can't get attribute '" + g.name +
                      "' on <module 'torch._utils' from '.../torch/_utils.py'>";
      d.fix = "Load it with the torch 2.x that wrote it, or raise the project's torch pin; for torch " +
              version + ", re-save it from torch 2.x in a form 1.x reads (tensors converted to a "
              "dtype 1.x has, Parameters without extra attributes, dense tensors).";
      AddLoadSites(ctx, d);
      out.push_back(std::move(d));
    }
  }

  // 2. numpy 2's private module, pickled inside numpy arrays and scalars.
  std::optional<int> numpy_major;
  bool numpy_checked = false;
  for (const GlobalUse& g : cp.globals) {
    if (g.module != "numpy._core" && g.module.rfind("numpy._core.", 0) != 0) continue;
    if (!numpy_checked) {
      numpy_major = NumpyMajor(ctx.project.options.numpy_pin);
      numpy_checked = true;
    }
    if (numpy_major && *numpy_major >= 2) break;
    if (!seen.insert(g.module).second) continue;
    Diagnostic d = CheckpointDiagnostic(info(), ctx, static_cast<int64_t>(g.offset));
    d.severity = numpy_major ? Severity::kError : Severity::kWarning;
    d.message = "the checkpoint pickles `" + g.module + "." + g.name + "`, a numpy 2 module; " +
                (numpy_major ? "the project pins numpy " + std::to_string(*numpy_major) + ".x"
                             : std::string("the project does not pin numpy >= 2")) +
                ", and numpy 1 has no `numpy._core`";
    d.torch_error = "ModuleNotFoundError: No module named 'numpy._core'";
    d.fix = "Require numpy >= 2 where the checkpoint is loaded, or re-save it without numpy objects "
            "(convert arrays and numpy scalars to tensors or Python numbers before torch.save).";
    AddLoadSites(ctx, d);
    out.push_back(std::move(d));
  }

  // 3. A zip / TorchScript format version above what readers accept (10).
  auto v = cp.records.find("version");
  if (v != cp.records.end()) {
    int version = 0;
    const std::string& text = v->second;
    size_t start = text.find_first_not_of(" \t\r\n");
    auto [p, ec] = start == std::string::npos
                       ? std::from_chars_result{text.data(), std::errc::invalid_argument}
                       : std::from_chars(text.data() + start, text.data() + text.size(), version);
    (void)p;
    constexpr int kMaxReadable = 10;  // caffe2 inline_container, torch 1.13 and 2.x
    if (ec == std::errc() && version > kMaxReadable) {
      Diagnostic d = CheckpointDiagnostic(info(), ctx, -1);
      d.message = "the archive's `version` record is " + std::to_string(version) +
                  ", above the highest version torch reads (" + std::to_string(kMaxReadable) + ")";
      d.torch_error = "RuntimeError: [enforce fail at inline_container.cc:165] . Attempted to read a "
                      "PyTorch file with version " + std::to_string(version) +
                      ", but the maximum supported version for reading is " +
                      std::to_string(kMaxReadable) + ". The version of your PyTorch installation may "
                      "be too old, please upgrade PyTorch to latest version to mitigate this issue.";
      d.fix = "Load it with the torch that wrote it and re-save it with the project's torch (for "
              "TorchScript, re-export it from the eager model).";
      AddLoadSites(ctx, d);
      out.push_back(std::move(d));
    }
  }
}

}  // namespace ptlint
