// torch.jit.save archives: the extra pickles (constants.pkl, *.debug_pkl)
// and code/ records next to data.pkl.
#include "analyzer/checkpoint/container_reader.h"


namespace ptlint::container_reader {

void Reader::ReadTorchScriptExtras(const ZipArchive& zip, const std::string& prefix) {
  for (const ZipEntry& e : zip.entries()) {
    if (!StartsWith(e.name, prefix)) continue;
    std::string_view rel = std::string_view(e.name).substr(prefix.size());
    bool code = StartsWith(rel, "code/");
    if (code) cp_.torchscript_code.push_back(e.name);
    if (StartsWith(rel, "extra/")) cp_.records["extra/" + std::string(rel.substr(6))] =
        std::to_string(e.uncompressed_size) + " bytes";
    bool pickle = rel != "data.pkl" && (EndsWith(rel, ".pkl") || EndsWith(rel, ".debug_pkl"));
    if (!pickle) continue;
    Result<std::string> bytes = zip.Read(e);
    if (!bytes.ok()) {
      Problem(bytes.error().code, Severity::kWarning,
              "cannot read `" + e.name + "`: " + bytes.error().message, bytes.error().hint, e.name,
              bytes.error().offset);
      continue;
    }
    AddPickle(e.name, *bytes, e.method == 0 ? e.data_offset : 0);
  }
}

}  // namespace ptlint::container_reader
