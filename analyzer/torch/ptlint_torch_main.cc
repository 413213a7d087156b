// ptlint-torch: the LibTorch oracle.
//
// A separate executable so that ptlint's fast path never loads LibTorch. It
// reads a checkpoint only through LibTorch's own readers (torch::pickle_load
// for eager zip files, torch::jit::load for TorchScript); neither runs Python.
// The differential test compares its answers with ptlint's static reader, and
// `ptlint inspect --deep` uses it for value statistics.
//
// Usage:
//   ptlint-torch describe [--max-bytes N] FILE
//   ptlint-torch deep     [--max-bytes N] FILE
//
// `describe` prints one JSON object:
//   {"ok": bool,                 // LibTorch read the file
//    "error": str,               // what LibTorch said (c10::Error without
//                                // backtrace) when ok is false, else ""
//    "reader": "pickle_load" | "jit_load",
//    "records": [str],           // PyTorchStreamReader::getAllRecords(), in
//                                // file order, without the archive folder;
//                                // [] when the zip cannot be opened
//    "version": N | null,        // PyTorchStreamReader::version()
//    "state_dict_path": str|null,// where the state dict sits: "" for the
//                                // root, "['model_state_dict']", ...
//    "tensors": [{"name": str, "dtype": str, "shape": [N], "device": str}]}
// Tensor names: inside the state dict (the first string-keyed dict of
// tensors found depth-first that is not a per-parameter optimizer state),
// its key ("fc.weight"); elsewhere a Python subscript chain from the root,
// "['optimizer_state_dict']['state'][0]['exp_avg']", keys in Python repr.
// TorchScript: named_parameters() then named_buffers() ("conv.weight").
// dtype names are torch's without "torch." ("float32", "qint8").
//
// `deep` prints:
//   {"cpp_loadable": bool, "cpp_loader": "torch::pickle_load" | "torch::jit::load",
//    "why_not": str,             // LibTorch's error when not loadable, else ""
//    "tensors": [{"name": str, "nan": N, "inf": N, "all_zero": bool,
//                 "min": number|null, "max": number|null}]}
// Only dense floating-point tensors are listed; min/max are over the finite
// elements (null when there are none).
//
// Exit status: 0 when LibTorch gave an answer (even a refusal), 2 when the
// file could not be handed to it (missing, not a regular file, over
// --max-bytes: the JSON then says why in "error" / "why_not"), 2 on bad usage.

#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/script.h>

namespace {

using nlohmann::json;

// LibTorch reads the whole file into memory; refuse anything bigger.
constexpr uint64_t kDefaultMaxBytes = uint64_t{4} << 30;
// IValue graphs from a pickle may share nodes; bound the walk anyway.
constexpr int kMaxDepth = 200;
constexpr size_t kMaxNodes = 2'000'000;

std::string ErrorText(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) {
    return c10_error->what_without_backtrace();
  }
  return e.what();
}

// torch's Python dtype name for a ScalarType.
std::string DtypeName(c10::ScalarType type) {
  switch (type) {
    case c10::ScalarType::Double: return "float64";
    case c10::ScalarType::Float: return "float32";
    case c10::ScalarType::Half: return "float16";
    case c10::ScalarType::BFloat16: return "bfloat16";
    case c10::ScalarType::Long: return "int64";
    case c10::ScalarType::Int: return "int32";
    case c10::ScalarType::Short: return "int16";
    case c10::ScalarType::Char: return "int8";
    case c10::ScalarType::Byte: return "uint8";
    case c10::ScalarType::Bool: return "bool";
    case c10::ScalarType::ComplexHalf: return "complex32";
    case c10::ScalarType::ComplexFloat: return "complex64";
    case c10::ScalarType::ComplexDouble: return "complex128";
    case c10::ScalarType::QInt8: return "qint8";
    case c10::ScalarType::QUInt8: return "quint8";
    case c10::ScalarType::QInt32: return "qint32";
    case c10::ScalarType::QUInt4x2: return "quint4x2";
    default: return std::string("unknown:") + c10::toString(type);
  }
}

// Python's repr() of a str, so names match the manifest's notation.
std::string PyRepr(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);  // UTF-8 bytes pass through, as repr prints them
    }
  }
  out += quote;
  return out;
}

std::string KeyRepr(const c10::IValue& key) {
  if (key.isString()) return PyRepr(key.toStringRef());
  if (key.isInt()) return std::to_string(key.toInt());
  if (key.isBool()) return key.toBool() ? "True" : "False";
  if (key.isDouble()) {
    std::ostringstream os;
    os << key.toDouble();
    return os.str();
  }
  if (key.isNone()) return "None";
  return "<" + key.tagKind() + ">";
}

// Per-parameter optimizer state dicts ({"step", "exp_avg", ...}) are
// string-keyed dicts of tensors too; they are not the state dict.
bool IsOptimizerStateKey(const std::string& key) {
  static const char* const kKeys[] = {
      "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer", "square_avg",
      "grad_avg", "sum", "acc_delta", "ax", "eta", "mu", "prev", "step_size", "mu_product"};
  for (const char* k : kKeys) {
    if (key == k) return true;
  }
  return false;
}

bool IsStateDict(const c10::Dict<c10::IValue, c10::IValue>& dict) {
  if (dict.size() == 0) return false;
  bool all_optimizer_keys = true;
  for (const auto& item : dict) {
    if (!item.key().isString() || !item.value().isTensor()) return false;
    if (!IsOptimizerStateKey(item.key().toStringRef())) all_optimizer_keys = false;
  }
  return !all_optimizer_keys;
}

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

class Walker {
 public:
  std::vector<NamedTensor> tensors;
  std::optional<std::string> state_dict_path;
  bool truncated = false;

  void Walk(const c10::IValue& value, const std::string& path, int depth) {
    if (++nodes_ > kMaxNodes || depth > kMaxDepth) {
      truncated = true;
      return;
    }
    if (value.isTensor()) {
      tensors.push_back({path, value.toTensor()});
    } else if (value.isGenericDict()) {
      auto dict = value.toGenericDict();
      const bool is_state_dict = !state_dict_path && IsStateDict(dict);
      if (is_state_dict) state_dict_path = path;
      for (const auto& item : dict) {
        if (is_state_dict) {
          tensors.push_back({item.key().toStringRef(), item.value().toTensor()});
        } else {
          Walk(item.value(), path + "[" + KeyRepr(item.key()) + "]", depth + 1);
        }
      }
    } else if (value.isList()) {
      auto list = value.toListRef();
      for (size_t i = 0; i < list.size(); ++i) {
        Walk(list[i], path + "[" + std::to_string(i) + "]", depth + 1);
      }
    } else if (value.isTuple()) {
      const auto& elements = value.toTupleRef().elements();
      for (size_t i = 0; i < elements.size(); ++i) {
        Walk(elements[i], path + "[" + std::to_string(i) + "]", depth + 1);
      }
    } else if (value.isObject()) {
      auto object = value.toObject();
      auto type = object->type();
      for (size_t i = 0; i < object->slots().size() && i < type->numAttributes(); ++i) {
        Walk(object->getSlot(i), path + "." + type->getAttributeName(i), depth + 1);
      }
    }
  }

 private:
  size_t nodes_ = 0;
};

struct Loaded {
  bool ok = false;
  std::string error;
  std::string reader;
  json records = json::array();
  json version = nullptr;
  std::optional<std::string> state_dict_path;
  std::vector<NamedTensor> tensors;
};

bool ReadFile(const std::string& path, uint64_t max_bytes, std::vector<char>& bytes,
              std::string& error) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    error = "cannot stat " + path + ": " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + " is not a regular file";
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    error = path + " is " + std::to_string(st.st_size) + " bytes, over the --max-bytes limit of " +
            std::to_string(max_bytes);
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  bytes.resize(static_cast<size_t>(st.st_size));
  if (!bytes.empty() && !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    error = "cannot read " + path;
    return false;
  }
  return true;
}

Loaded Load(const std::string& path, const std::vector<char>& bytes) {
  Loaded out;
  out.reader = "pickle_load";
  bool is_torchscript = false;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    for (const auto& name : reader.getAllRecords()) out.records.push_back(name);
    out.version = reader.version();
    is_torchscript = reader.hasRecord("constants.pkl");
  } catch (const std::exception& e) {
    // Not a zip LibTorch can open; pickle_load below reports it in its own words.
  }
  try {
    if (is_torchscript) {
      out.reader = "jit_load";
      torch::jit::Module module = torch::jit::load(path, c10::Device(c10::kCPU));
      for (const auto& p : module.named_parameters()) out.tensors.push_back({p.name, p.value});
      for (const auto& b : module.named_buffers()) out.tensors.push_back({b.name, b.value});
    } else {
      c10::IValue value = torch::jit::pickle_load(bytes);
      Walker walker;
      walker.Walk(value, "", 0);
      out.tensors = std::move(walker.tensors);
      out.state_dict_path = walker.state_dict_path;
      if (walker.truncated) {
        out.error = "object graph too large or too deep; tensor list truncated";
      }
    }
    out.ok = true;
  } catch (const std::exception& e) {
    out.ok = false;
    out.error = ErrorText(e);
    out.tensors.clear();
  } catch (...) {
    out.ok = false;
    out.error = "unknown exception from LibTorch";
    out.tensors.clear();
  }
  return out;
}

json Describe(const Loaded& loaded) {
  json tensors = json::array();
  for (const auto& t : loaded.tensors) {
    json entry;
    entry["name"] = t.name;
    entry["dtype"] = DtypeName(t.tensor.scalar_type());
    entry["shape"] = t.tensor.sizes().vec();
    entry["device"] = t.tensor.device().str();
    tensors.push_back(std::move(entry));
  }
  json out;
  out["ok"] = loaded.ok;
  out["error"] = loaded.error;
  out["reader"] = loaded.reader;
  out["records"] = loaded.records;
  out["version"] = loaded.version;
  out["state_dict_path"] = loaded.state_dict_path ? json(*loaded.state_dict_path) : json(nullptr);
  out["tensors"] = std::move(tensors);
  return out;
}

json Deep(const Loaded& loaded) {
  json tensors = json::array();
  for (const auto& t : loaded.tensors) {
    const at::Tensor& tensor = t.tensor;
    if (!tensor.defined() || tensor.layout() != c10::kStrided || !tensor.is_floating_point()) {
      continue;
    }
    json entry;
    entry["name"] = t.name;
    try {
      at::Tensor flat = tensor.detach().to(at::kDouble).reshape({-1});
      entry["nan"] = flat.isnan().sum().item<int64_t>();
      entry["inf"] = flat.isinf().sum().item<int64_t>();
      entry["all_zero"] = flat.numel() == 0 ? true : flat.eq(0).all().item<bool>();
      at::Tensor finite = flat.masked_select(flat.isfinite());
      if (finite.numel() > 0) {
        entry["min"] = finite.min().item<double>();
        entry["max"] = finite.max().item<double>();
      } else {
        entry["min"] = nullptr;
        entry["max"] = nullptr;
      }
    } catch (const std::exception& e) {
      entry["error"] = ErrorText(e);
    }
    tensors.push_back(std::move(entry));
  }
  json out;
  out["cpp_loadable"] = loaded.ok;
  out["cpp_loader"] = loaded.reader == "jit_load" ? "torch::jit::load" : "torch::pickle_load";
  out["why_not"] = loaded.ok ? "" : loaded.error;
  out["tensors"] = std::move(tensors);
  return out;
}

int Usage() {
  std::cerr << "usage: ptlint-torch describe|deep [--max-bytes N] FILE\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string command = argv[1];
  if (command != "describe" && command != "deep") return Usage();
  uint64_t max_bytes = kDefaultMaxBytes;
  std::string path;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--max-bytes" && i + 1 < argc) {
      try {
        max_bytes = std::stoull(argv[++i]);
      } catch (const std::exception&) {
        return Usage();
      }
    } else if (path.empty()) {
      path = arg;
    } else {
      return Usage();
    }
  }
  if (path.empty()) return Usage();

  std::vector<char> bytes;
  std::string read_error;
  if (!ReadFile(path, max_bytes, bytes, read_error)) {
    // Same schema as a refusal by LibTorch, so callers need one parser.
    Loaded refused;
    refused.error = read_error;
    refused.reader = "pickle_load";
    const json out = command == "describe" ? Describe(refused) : Deep(refused);
    std::cout << out.dump(1) << "\n";
    return 2;
  }
  const Loaded loaded = Load(path, bytes);
  const json out = command == "describe" ? Describe(loaded) : Deep(loaded);
  std::cout << out.dump(1) << "\n";
  return 0;
}
