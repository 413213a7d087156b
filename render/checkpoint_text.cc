#include "render/checkpoint_text.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <sstream>

#include "analyzer/checkpoint/global_origin.h"
#include "render/text_escape.h"

namespace ptlint {

using ojson = nlohmann::ordered_json;

namespace {

// A hyper-parameter as Python writes it (None, True, [1, 2]); strings keep
// their JSON quoting, which Python reads the same.
std::string PythonLiteral(const nlohmann::json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + PythonLiteral(v[i]);
    return out + "]";
  }
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::ostringstream s;
  if (u == 0) {
    s << n << " B";
  } else {
    s.precision(v < 10 ? 2 : (v < 100 ? 1 : 0));
    s << std::fixed << v << ' ' << units[u];
  }
  return s.str();
}

std::string Thousands(uint64_t n) {
  // Built front to back (GCC 12 warns, wrongly, on string::insert here).
  std::string digits = std::to_string(n);
  std::string s;
  s.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

// The dotted components of a key ("blocks.0.weight" -> blocks, 0, weight);
// an object path ("['optimizer']...") is one component. Views into `name`.
void SplitName(std::string_view name, std::vector<std::string_view>& parts) {
  parts.clear();
  if (!name.empty() && name[0] == '[') {  // an object path, not a key
    parts.push_back(name);
    return;
  }
  size_t start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      parts.push_back(name.substr(start, i - start));
      start = i + 1;
    }
  }
}

void AppendSpaces(std::string& out, size_t n) { out.append(n, ' '); }

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void RenderTensors(const Checkpoint& cp, std::ostream& out) {
  // A tree by dotted key, streamed in file order: headers are printed for the
  // components a name does not share with the previous one.
  size_t width = 0;
  std::vector<std::string_view> parts, previous;
  for (const TensorInfo& t : cp.tensors) {
    SplitName(t.name, parts);
    width = std::max(width, parts.back().size() + 2 * parts.size());
  }
  width = std::min<size_t>(width, 60);
  // Rendered into one string (a 20,000-tensor state dict is 20,000 lines):
  // an ostream insertion per field costs more than the whole tree.
  std::string text;
  text.reserve(cp.tensors.size() * 64);
  for (const TensorInfo& t : cp.tensors) {
    SplitName(t.name, parts);
    size_t common = 0;
    while (common + 1 < parts.size() && common + 1 < previous.size() &&
           parts[common] == previous[common]) {
      ++common;
    }
    for (size_t i = common; i + 1 < parts.size(); ++i) {
      AppendSpaces(text, 4 + 2 * i);
      text.append(parts[i]);
      text.push_back('\n');
    }
    size_t leaf = 2 * (parts.size() - 1) + parts.back().size();
    AppendSpaces(text, 4 + 2 * (parts.size() - 1));
    text.append(parts.back());
    if (leaf < width) AppendSpaces(text, width - leaf);
    text.append("  ", 2);
    text.append(t.dtype);
    text.append(" [", 2);
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i) text.append(", ", 2);
      AppendInt(text, t.shape[i]);
    }
    text.push_back(']');
    if (t.location != "cpu" && !t.location.empty()) {
      text.append("  ", 2);
      text.append(t.location);
    }
    if (t.kind != "dense") {
      text.append("  (", 3);
      text.append(t.kind);
      text.push_back(')');
    }
    if (t.is_parameter) text.append("  Parameter");
    if (t.requires_grad && !t.is_parameter) text.append("  requires_grad");
    text.push_back('\n');
    std::swap(previous, parts);
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

namespace {

void RenderCheckpointTextUnescaped(const Checkpoint& cp, const std::string& display,
                                   const nlohmann::ordered_json* deep, std::ostream& out) {
  out << DisplayText(display) << "\n";
  out << "  format     " << ContainerFormatName(cp.format);
  if (!cp.archive_name.empty()) out << " (archive folder '" << cp.archive_name << "')";
  out << ", " << HumanBytes(cp.file_size) << "\n";
  if (!cp.records.empty()) {
    out << "  records   ";
    for (const auto& [k, v] : cp.records) out << ' ' << k << '=' << v;
    out << "\n";
  }
  out << "  layout     " << LayoutName(cp.layout);
  if (!cp.state_dict_path.empty()) out << ", state dict at " << cp.state_dict_path;
  if (cp.has_metadata) out << ", _metadata for " << cp.metadata_versions.size() << " modules";
  out << "\n";
  if (!cp.top_level_keys.empty()) {
    out << "  keys      ";
    size_t shown = 0;
    for (const std::string& k : cp.top_level_keys) {
      if (++shown > 12) {
        out << " ... (" << cp.top_level_keys.size() << " in all)";
        break;
      }
      out << ' ' << k;
    }
    out << "\n";
  }

  if (!cp.hyper_parameters.empty()) {
    out << "  hparams   ";
    size_t shown = 0;
    for (const auto& [name, value] : cp.hyper_parameters) {
      if (++shown > 12) {
        out << " ... (" << cp.hyper_parameters.size() << " in all)";
        break;
      }
      std::string text = PythonLiteral(value);
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      out << ' ' << name << '=' << text;
    }
    out << "\n";
  }

  // Globals, grouped: one line per distinct module.name with its count.
  struct GlobalLine {
    size_t count = 0;
    uint64_t first_offset = 0;
    bool dynamic = false;
  };
  std::map<std::string, GlobalLine> globals;
  for (const GlobalUse& g : cp.globals) {
    GlobalLine& line = globals[g.module + "." + g.name];
    if (line.count++ == 0) line.first_offset = g.offset;
    line.dynamic |= g.dynamic;
  }
  out << "  globals    " << globals.size() << " distinct, " << cp.globals.size() << " references\n";
  size_t gw = 0;
  for (const auto& [name, line] : globals) gw = std::max(gw, std::min<size_t>(name.size(), 60));
  for (const auto& [name, line] : globals) {
    std::string module = name.substr(0, name.rfind('.'));
    out << "    " << name;
    if (name.size() < gw) out << std::string(gw - name.size(), ' ');
    std::string origin = GlobalOriginName(ClassifyGlobalOrigin(module));
    if (line.dynamic) origin += ", DYNAMIC";
    out << "  " << origin;
    if (origin.size() < 16) out << std::string(16 - origin.size(), ' ');
    out << "  x" << line.count << "  @" << line.first_offset << "\n";
  }

  uint64_t params = cp.parameter_count();
  out << "  tensors    " << cp.tensors.size() << " (" << Thousands(params) << " elements, "
      << HumanBytes(cp.tensor_bytes()) << " in " << cp.storages.size() << " storages)\n";
  std::set<std::string> devices;
  for (const StorageInfo& s : cp.storages) devices.insert(s.location);
  if (!devices.empty()) {
    out << "  devices   ";
    for (const std::string& d : devices) out << ' ' << d;
    out << "\n";
  }
  RenderTensors(cp, out);
  if (!cp.tied_groups.empty()) {
    out << "  tied       " << cp.tied_groups.size() << " shared storages\n";
    for (const auto& group : cp.tied_groups) {
      out << "   ";
      for (const std::string& n : group) out << ' ' << n;
      out << "\n";
    }
  }
  for (const OptimizerInfo& o : cp.optimizers) {
    out << "  optimizer  " << o.family << " at " << (o.path.empty() ? "the root" : o.path) << ": "
        << o.groups.size() << " group(s) [";
    for (size_t i = 0; i < o.groups.size(); ++i) {
      out << (i ? ", " : "") << o.groups[i].params.size() << " params";
    }
    out << "], state for " << o.state_tensors.size() << " params";
    if (!o.state_keys.empty()) {
      out << " (";
      for (size_t i = 0; i < o.state_keys.size(); ++i) out << (i ? ", " : "") << o.state_keys[i];
      out << ")";
    }
    out << "\n";
  }
  if (!cp.modules.empty()) {
    out << "  modules    " << cp.modules.size() << " (whole pickled nn.Module)\n";
    for (const ModuleNode& m : cp.modules) {
      out << "    " << (m.path.empty() ? "<root>" : m.path) << "  " << m.module << '.' << m.name
          << "\n";
    }
  }
  if (!cp.shards.empty()) {
    out << "  shards     " << cp.shards.size() << "\n";
    for (const ShardInfo& s : cp.shards) {
      out << "    " << s.file << "  " << s.tensors.size() << " tensors\n";
    }
  }
  if (!cp.torchscript_code.empty()) {
    out << "  code       " << cp.torchscript_code.size() << " TorchScript records\n";
  }
  if (deep != nullptr) {
    out << "  deep (LibTorch)\n";
    if (deep->contains("cpp_loadable")) {
      out << "    C++ load: " << ((*deep)["cpp_loadable"].get<bool>() ? "yes" : "no");
      if (deep->contains("cpp_loader")) out << " via " << (*deep)["cpp_loader"].get<std::string>();
      if (deep->contains("why_not") && (*deep)["why_not"].is_string() &&
          !(*deep)["why_not"].get<std::string>().empty()) {
        out << " (" << (*deep)["why_not"].get<std::string>() << ")";
      }
      out << "\n";
    }
    size_t flagged = 0;
    if (deep->contains("tensors") && (*deep)["tensors"].is_array()) {
      for (const auto& t : (*deep)["tensors"]) {
        int64_t nan = t.value("nan", 0), inf = t.value("inf", 0);
        bool zero = t.value("all_zero", false);
        if (nan == 0 && inf == 0 && !zero) continue;
        ++flagged;
        out << "    " << t.value("name", std::string("?")) << ":";
        if (nan) out << " " << nan << " NaN";
        if (inf) out << " " << inf << " Inf";
        if (zero) out << " all zero";
        out << "\n";
      }
    }
    if (flagged == 0) out << "    no NaN, Inf or all-zero tensors\n";
  }
  if (cp.problems.empty()) {
    out << "  problems   none\n";
  } else {
    out << "  problems   " << cp.problems.size() << "\n";
    for (const ReaderProblem& p : cp.problems) {
      out << "    " << SeverityName(p.severity) << "[" << p.code << "] " << p.message;
      if (!p.record.empty()) out << " (in " << p.record;
      if (p.offset >= 0) out << (p.record.empty() ? " (at byte " : ", at byte ") << p.offset;
      if (!p.record.empty() || p.offset >= 0) out << ")";
      out << "\n";
      if (!p.torch_error.empty()) out << "      torch.load would fail: " << p.torch_error << "\n";
      if (!p.hint.empty()) out << "      fix: " << p.hint << "\n";
    }
  }
  out << "\n";
}

}  // namespace

// Names, keys and paths come from the file (a pickled global's module name
// can hold ESC, NUL or bytes that are not UTF-8): the text goes to a
// terminal, so it passes through DisplayText as a whole, and the file name,
// which may hold a newline, on its own line first.
void RenderCheckpointText(const Checkpoint& cp, const std::string& display,
                          const nlohmann::ordered_json* deep, std::ostream& out) {
  std::ostringstream text;
  RenderCheckpointTextUnescaped(cp, display, deep, text);
  out << DisplayText(text.str(), /*keep_newlines=*/true);
}

}  // namespace ptlint
