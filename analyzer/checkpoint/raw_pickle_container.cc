// A bare pickle (pickle.dump, stacked pickles) and NumPy .npy object arrays;
// ScanPickleRegions finds the pickles in bytes of unknown structure.
#include "analyzer/checkpoint/container_reader.h"

#include "analyzer/checkpoint/object_interpreter.h"

namespace ptlint::container_reader {

// ---------------------------------------------------------------- numpy .npy

// An .npy array: magic, version, header length, a Python-literal dict. An
// object array (descr '|O') stores its data as a pickle, which np.load(...,
// allow_pickle=True) runs: scan it.
void Reader::ReadNumpyArray(const ByteSource& source) {
  std::string_view head = source.View(0, 12);
  uint8_t major = head.size() > 6 ? static_cast<uint8_t>(head[6]) : 0;
  if (head.size() < (major >= 2 ? 12u : 10u)) {
    Problem("file.numpy-array", Severity::kError,
            "the file starts like a NumPy .npy array but ends inside its header (" +
                std::to_string(source.size()) + " bytes)",
            "the file is truncated; it is not a PyTorch checkpoint anyway", {}, 0,
            InvalidLoadKeyError(0x93));
    return;
  }
  uint64_t header_length = major >= 2 ? ReadLe(head.substr(8, 4), 4) : ReadLe(head.substr(8, 2), 2);
  uint64_t data_offset = (major >= 2 ? 12 : 10) + header_length;
  std::string_view header = source.View(major >= 2 ? 12 : 10, std::min<uint64_t>(header_length, 65536));
  bool object_array = header.find("'descr': '|O'") != std::string_view::npos ||
                      header.find("\"descr\": \"|O\"") != std::string_view::npos;
  if (!object_array || data_offset >= source.size()) {
    Problem("file.numpy-array", Severity::kError,
            "the file is a NumPy .npy array (header " + Excerpt(Trim(header), 80) + "), not a PyTorch checkpoint",
            "load it with numpy.load, or pass the checkpoint file", {}, 0,
            InvalidLoadKeyError(0x93));
    return;
  }
  cp_.format = ContainerFormat::kRawPickle;
  cp_.layout = Layout::kUnknown;
  Problem("file.numpy-object-array", Severity::kWarning,
          "the file is a NumPy object array: its data (from byte " + std::to_string(data_offset) +
              ") is a pickle that numpy.load(allow_pickle=True) runs",
          "never load it with allow_pickle=True unless you trust its origin", {},
          static_cast<int64_t>(data_offset), InvalidLoadKeyError(0x93));
  int index = AddPickle("npy-data", source.View(data_offset, source.size() - data_offset), data_offset);
  InterpretObjects(cp_, index);
  cp_.format = ContainerFormat::kRawPickle;
}

// ---------------------------------------------------------------- raw pickle

void Reader::ReadRawPickle(const ByteSource& source) {
  cp_.format = ContainerFormat::kRawPickle;
  int first = AddPickle("pickle", source.All(), 0);
  const PickleGraph& g = cp_.pickles[first].graph;
  // A legacy stream whose magic pickle was rewritten (e.g. by an injector)
  // no longer starts with the magic bytes but still evaluates to the magic.
  if (g.complete() && g.at(g.root).kind == PickleKind::kBigInt &&
      g.at(g.root).text == kLegacyMagicDecimal) {
    cp_.pickles.clear();
    cp_.problems.clear();
    ReadLegacy(source);
    const PickleGraph& magic = cp_.pickles.front().graph;
    Problem("legacy.rewritten-magic", Severity::kWarning,
            "the magic-number pickle is not the 15 bytes torch.save writes (it is " +
                std::to_string(magic.end_offset) + " bytes, with " +
                std::to_string(magic.globals.size()) + " global reference(s))",
            "the file was rewritten after torch.save: do not load it before a security scan",
            "magic", 0);
    return;
  }
  if (g.complete() && g.end_offset < source.size()) {
    // Stacked pickles (or an appended payload): read every one.
    ScanPickleRegions(source, g.end_offset, "pickle", file_);
  }
  InterpretObjects(cp_, first);
}

// Reads consecutive pickles from `from`; bytes that do not start a pickle are
// skipped up to the next plausible pickle start (PROTO) or zip local header.
void Reader::ScanPickleRegions(const ByteSource& source, uint64_t from, const std::string& role,
                               const std::string& file) {
  uint64_t offset = from;
  int regions = 0, failed_probes = 0;
  while (offset < source.size() && regions < kMaxDcpRegions) {
    if (failed_probes >= kMaxFailedPickleProbes) {
      Problem("scan.budget", Severity::kWarning,
              "stopped looking for pickles in `" + role + "` at byte " + std::to_string(offset) +
                  " after " + std::to_string(failed_probes) + " false starts",
              "the rest of the file was not scanned for pickles; inspect it with a dedicated tool",
              role, static_cast<int64_t>(offset));
      break;
    }
    std::string_view rest = source.View(offset, source.size() - offset);
    uint8_t b0 = static_cast<uint8_t>(rest[0]);
    if (rest.size() >= 2 && b0 == 0x80 && static_cast<uint8_t>(rest[1]) <= 5) {
      int index = AddPickle(role + "@" + std::to_string(offset), rest, offset, file);
      const PickleGraph& g = cp_.pickles[index].graph;
      ++regions;
      if (!g.complete() || g.end_offset <= offset) {
        // Only keep broken regions that got somewhere; a stray 0x80 in raw
        // tensor bytes is not a pickle.
        ++failed_probes;
        std::string record = role + "@" + std::to_string(offset);
        bool has_problem = !cp_.problems.empty() && cp_.problems.back().record == record;
        if (g.opcode_count < 3 && g.globals.empty()) {
          cp_.pickles.pop_back();
          if (has_problem) cp_.problems.pop_back();  // the problem AddPickle recorded for it
        } else if (has_problem) {
          // Bytes that start like a pickle but break: maybe data, maybe a
          // damaged payload. Its globals stay visible to the security rules.
          ReaderProblem& p = cp_.problems.back();
          p.severity = Severity::kWarning;
          p.message = "bytes at " + std::to_string(offset) + " start like a pickle but do not parse: " +
                      p.message;
        }
        offset += 1;
      } else {
        offset = g.end_offset;
      }
      continue;
    }
    if (rest.size() >= 4 && StartsWith(rest, std::string_view("PK\x03\x04", 4))) {
      // An embedded zip (a torch.save inside a .distcp): read its pickles.
      size_t eocd = rest.find(std::string_view("PK\x05\x06", 4));
      if (eocd != std::string_view::npos && eocd + 22 <= rest.size()) {
        uint64_t comment = ReadLe(rest.substr(eocd + 20, 2), 2);
        uint64_t length = std::min<uint64_t>(eocd + 22 + comment, rest.size());
        SliceByteSource slice(source, offset, length);
        Result<ZipArchive> zip = ZipArchive::Open(slice, options_.zip_limits);
        ++regions;
        if (zip.ok()) {
          for (const ZipEntry& e : zip->entries()) {
            if (!EndsWith(e.name, ".pkl")) continue;
            Result<std::string> bytes = zip->Read(e);
            if (bytes.ok()) {
              AddPickle(role + "@" + std::to_string(offset) + ":" + e.name, *bytes,
                        e.method == 0 ? offset + e.data_offset : 0, file);
            }
          }
          offset += length;
          continue;
        }
      }
    }
    // Skip to the next candidate start.
    size_t next = std::string_view::npos;
    for (size_t i = 1; i < rest.size(); ++i) {
      uint8_t c = static_cast<uint8_t>(rest[i]);
      if ((c == 0x80 && i + 1 < rest.size() && static_cast<uint8_t>(rest[i + 1]) >= 2 &&
           static_cast<uint8_t>(rest[i + 1]) <= 5) ||
          (c == 'P' && rest.substr(i, 4) == std::string_view("PK\x03\x04", 4))) {
        next = i;
        break;
      }
    }
    if (next == std::string_view::npos) break;
    offset += next;
  }
}


}  // namespace ptlint::container_reader
