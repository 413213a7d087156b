// safetensors files (no pickle; read for their tensors and metadata).
#include "analyzer/checkpoint/container_reader.h"

#include "analyzer/formats/pickle_opcodes.h"
#include "analyzer/formats/safetensors_reader.h"

namespace ptlint::container_reader {

namespace {

std::string SafetensorsDtypeToTorch(std::string_view dtype) {
  static const std::map<std::string_view, const char*> kNames = {
      {"F64", "float64"},      {"F32", "float32"},          {"F16", "float16"},
      {"BF16", "bfloat16"},    {"I64", "int64"},            {"I32", "int32"},
      {"I16", "int16"},        {"I8", "int8"},              {"U8", "uint8"},
      {"U16", "uint16"},       {"U32", "uint32"},           {"U64", "uint64"},
      {"BOOL", "bool"},        {"C64", "complex64"},        {"F8_E4M3", "float8_e4m3fn"},
      {"F8_E5M2", "float8_e5m2"}, {"F8_E8M0", "float8_e8m0fnu"},
      {"F8_E4M3FNUZ", "float8_e4m3fnuz"}, {"F8_E5M2FNUZ", "float8_e5m2fnuz"},
      {"F4", "float4_e2m1fn_x2"}};
  auto it = kNames.find(dtype);
  if (it != kNames.end()) return it->second;
  std::string lower(dtype);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

}  // namespace

void Reader::ReadSafetensorsFile(const ByteSource& source) {
  cp_.format = ContainerFormat::kSafetensors;
  cp_.layout = Layout::kSafetensors;
  std::string_view head = source.View(0, 1);
  // torch.load reads the first byte of the header length as a pickle opcode;
  // when it is not one, the error is predictable.
  std::string torch_error;
  if (!head.empty() && !IsPickleOpcode(static_cast<uint8_t>(head[0]))) {
    torch_error = InvalidLoadKeyError(static_cast<uint8_t>(head[0]));
  }
  Problem("safetensors.not-for-torch-load", Severity::kInfo,
          "this is a safetensors file: torch.load cannot read it",
          "load it with safetensors.torch.load_file (or transformers' from_pretrained)", {}, 0,
          torch_error);
  Result<SafetensorsFile> file = ReadSafetensors(source);
  if (!file.ok()) {
    Problem(file.error().code, Severity::kError, "the safetensors file is invalid: " + file.error().message,
            file.error().hint.empty() ? "re-download or re-save it" : file.error().hint, {},
            file.error().offset);
    return;
  }
  for (const auto& [k, v] : file->metadata) cp_.records["safetensors." + k] = v;
  for (const SafetensorsNote& note : file->notes) {
    Problem(note.code, Severity::kInfo, note.message,
            "the reference loader accepts this; writers that follow the spec do not produce it", {},
            note.offset);
  }
  auto format = file->metadata.find("format");
  static const std::set<std::string> kKnownFormats = {"pt", "tf", "flax", "mlx"};
  if (format == file->metadata.end() || !kKnownFormats.count(format->second)) {
    Problem("safetensors.bad-format-metadata", Severity::kWarning,
            format == file->metadata.end()
                ? "the safetensors header has no `__metadata__.format`; transformers refuses it"
                : "the safetensors header's `__metadata__.format` is \"" + Excerpt(format->second) +
                      "\", not one of pt, tf, flax, mlx; transformers refuses it",
            "re-save with `save_pretrained` or `safetensors.torch.save_file(..., metadata={\"format\": \"pt\"})`",
            "__metadata__", 8,
            "OSError: The safetensors archive passed at " + cp_.path +
                " does not contain the valid metadata. Make sure you save your model with the "
                "`save_pretrained` method.");
  }
  for (const SafetensorsTensor& t : file->tensors) {
    cp_.record_names.push_back(t.name);
    TensorInfo info;
    info.name = t.name;
    info.dtype = SafetensorsDtypeToTorch(t.dtype);
    info.shape = t.shape;
    info.stride.assign(t.shape.size(), 1);
    for (size_t i = t.shape.size(); i-- > 1;) {
      info.stride[i - 1] = info.stride[i] * std::max<int64_t>(t.shape[i], 1);
    }
    info.storage_key = t.name;
    info.location = "cpu";
    info.rebuild = "safetensors";
    info.offset = file->buffer_offset + t.begin;
    cp_.tensors.push_back(info);
    StorageInfo s;
    s.key = t.name;
    s.dtype = info.dtype;
    s.element_size = SafetensorsDtypeSize(t.dtype);
    s.numel = info.numel();
    s.location = "cpu";
    s.record = t.name;
    s.record_bytes = t.end - t.begin;
    s.tensors = {t.name};
    cp_.storages.push_back(std::move(s));
  }
}


}  // namespace ptlint::container_reader
