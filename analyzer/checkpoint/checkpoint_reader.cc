#include "analyzer/checkpoint/checkpoint_reader.h"

#include "analyzer/checkpoint/container_reader.h"
#include "analyzer/checkpoint/object_interpreter.h"
#include "analyzer/formats/pickle_opcodes.h"

namespace ptlint::container_reader {

int Reader::AddPickle(std::string record, std::string_view bytes, uint64_t base_offset,
                      std::string file) {
  PickleStream stream;
  stream.record = std::move(record);
  stream.file = file.empty() ? file_ : std::move(file);
  stream.index = static_cast<int>(cp_.pickles.size());
  stream.graph = PickleMachine(options_.pickle_limits).Run(bytes, base_offset);
  KeepPickleBytes(stream, bytes, base_offset);
  if (stream.graph.error) {
    const Error& e = *stream.graph.error;
    Problem(e.code, Severity::kError,
            "pickle `" + stream.record + "` is broken at byte " + std::to_string(e.offset) + ": " +
                e.message,
            e.hint.empty() ? "the file is corrupt or was written by a hostile tool; do not load it"
                           : e.hint,
            stream.record, e.offset);
  }
  cp_.pickles.push_back(std::move(stream));
  return cp_.pickles.back().index;
}

void Reader::Read(const ByteSource& source) {
  cp_.file_size = source.size();
  std::string_view head = source.View(0, kSniffBytes);
  Sniff sniff = SniffBytes(head, source.size());
  bool legacy_stream_alternates = false;
  bool done = false;
  if (sniff == Sniff::kTar) {
    // torch.load on a file that is not a zip: tarfile.open first; only when
    // it raises does torch unpickle the file from byte 0.
    Result<TarListing> tar = ListTar(source);
    if (tar.ok() && !tar->load_error) {
      ReadTar(source, *tar);
      done = true;
      // If extraction fails later (a TarError), torch still falls back to
      // the pickle at byte 0: scan that reading too.
      legacy_stream_alternates = true;
    } else {
      Problem("tar.rejected-by-tarfile", Severity::kWarning,
              "the file starts like a tar archive but Python's tarfile rejects it (" +
                  (tar.ok() ? *tar->load_error : tar.error().message) +
                  "), so torch.load unpickles it from byte 0 instead",
              "a header that tarfile refuses is not what torch.save writes: treat the file as "
              "tampered",
              {}, 0);
      sniff = SniffBytesIgnoringTar(head, source.size());
      if (sniff == Sniff::kTar) sniff = Sniff::kUnknownBinary;
    }
  }
  if (!done) switch (sniff) {
    case Sniff::kZip: ReadZip(source); break;
    case Sniff::kLegacyPickle: ReadLegacy(source); break;
    case Sniff::kPickle: ReadRawPickle(source); break;
    case Sniff::kTar: break;
    case Sniff::kSafetensors: ReadSafetensorsFile(source); break;
    case Sniff::kShardedIndexJson: ReadShardedIndex(source); break;
    default: ReadNotACheckpoint(sniff, source); break;
  }
  // torch takes the zip path only for files that start with a local header
  // (torch.serialization._is_zipfile); any other "zip" is unpickled from
  // byte 0 by the legacy loader.
  if (sniff == Sniff::kZip && !StartsWith(head, std::string_view("PK\x03\x04", 4))) {
    legacy_stream_alternates = true;
  }
  if (legacy_stream_alternates) AddLegacyStreamAlternates(source);
  // Safetensors and index JSON hold no pickle to hide; a distributed
  // checkpoint's files are scanned region by region already.
  if (cp_.format != ContainerFormat::kSafetensors &&
      cp_.format != ContainerFormat::kShardedIndex &&
      cp_.format != ContainerFormat::kDistributedCheckpoint) {
    ReadUnreadPickles(source);
  }
}

void Reader::AddAlternatePickle(std::string record, std::string_view bytes, uint64_t base_offset,
                                bool only_if_unpicklable) {
  PickleStream stream;
  stream.record = std::move(record);
  stream.file = file_;
  stream.graph = PickleMachine(options_.pickle_limits).Run(bytes, base_offset);
  if (only_if_unpicklable && stream.graph.globals.empty() && !stream.graph.complete()) return;
  stream.index = static_cast<int>(cp_.pickles.size() + cp_.unread_pickles.size());
  KeepPickleBytes(stream, bytes, base_offset);
  cp_.unread_pickles.push_back(std::move(stream));
}

void Reader::AddLegacyStreamAlternates(const ByteSource& source) {
  // _legacy_load: magic, protocol, sys_info, then the object pickle, each
  // read where the previous one stopped. Every one of them runs.
  uint64_t offset = 0;
  for (int i = 0; i < 5 && offset < source.size(); ++i) {
    std::string_view rest = source.View(offset, source.size() - offset);
    size_t before = cp_.unread_pickles.size();
    AddAlternatePickle("legacy stream@" + std::to_string(offset), rest, offset, true);
    if (cp_.unread_pickles.size() == before) return;
    const PickleGraph& g = cp_.unread_pickles.back().graph;
    if (!g.complete() || g.end_offset <= offset) return;
    offset = g.end_offset;
  }
}

void Reader::KeepPickleBytes(PickleStream& stream, std::string_view input, uint64_t base_offset) {
  const PickleGraph& g = stream.graph;
  if (g.end_offset <= g.start_offset || g.start_offset < base_offset) return;
  uint64_t begin = g.start_offset - base_offset;
  uint64_t length = g.end_offset - g.start_offset;
  if (begin > input.size() || length > input.size() - begin) return;
  if (length > options_.max_kept_pickle_bytes - std::min(kept_pickle_bytes_, options_.max_kept_pickle_bytes)) {
    return;
  }
  kept_pickle_bytes_ += length;
  stream.bytes.assign(input.substr(begin, length));
}

namespace {

bool HasPickleMagic(std::string_view b) {
  return b.size() >= 2 && static_cast<uint8_t>(b[0]) == 0x80 && b[1] >= 1 && b[1] <= 5;
}

// A stream is worth reporting as a pickle when the unpickler would get
// somewhere with it: it references a global or reads to STOP.
bool LooksUnpicklable(const PickleGraph& g) { return !g.globals.empty() || g.complete(); }

}  // namespace

void Reader::ReadUnreadPickles(const ByteSource& source) {
  std::set<std::string> read;
  for (const PickleStream& p : cp_.pickles) read.insert(p.record);
  const PickleMachine machine;
  auto add = [&](std::string_view data, uint64_t base, const std::string& record, bool must) {
    PickleGraph g = machine.Run(data, base);
    if (!must && !LooksUnpicklable(g)) return;
    PickleStream stream;
    stream.record = record;
    stream.file = file_;
    stream.index = static_cast<int>(cp_.pickles.size() + cp_.unread_pickles.size());
    stream.graph = std::move(g);
    KeepPickleBytes(stream, data, base);
    cp_.unread_pickles.push_back(std::move(stream));
  };

  std::string_view head = source.View(0, 16);
  if (LooksLikeZip(head)) {
    std::optional<Result<ZipArchive>> reopened;
    const ZipArchive* zip = zip_ ? &*zip_ : nullptr;
    if (zip == nullptr) {
      reopened.emplace(ZipArchive::Open(source));
      if (!reopened->ok()) return;
      zip = &**reopened;
    }
    size_t scanned = 0;
    for (const ZipEntry& e : zip->entries()) {
      if (read.count(e.name) || scanned >= 4096) continue;
      bool named = EndsWith(e.name, ".pkl") || EndsWith(e.name, ".pickle");
      // In a torch zip the data/ records are raw tensor bytes that may start
      // with anything; only name-matched members count there.
      if (!named && !cp_.pickles.empty()) continue;
      std::string owned;
      std::string_view data;
      uint64_t base = 0;
      if (auto view = zip->ViewStored(e); view.ok()) {
        data = *view;
        base = e.data_offset;
      } else if (auto full = zip->ReadIgnoringCrc(e, nullptr); full.ok()) {
        owned = std::move(*full);
        data = owned;
      } else {
        continue;
      }
      if (!named && !HasPickleMagic(data)) continue;
      ++scanned;
      add(data, base, e.name, named);
    }
    // A second end record (hidden in the comment, or the one a stricter
    // reader prefers) describes another archive in the same bytes: its
    // pickles are scanned too.
    if (std::optional<uint64_t> other = zip->alternate_end_record()) {
      Result<ZipArchive> second = ZipArchive::OpenAtEndRecord(source, *other, options_.zip_limits);
      if (!second.ok()) return;
      for (const ZipEntry& e : second->entries()) {
        if (scanned >= 4096) break;
        const ZipEntry* same = zip->Find(e.name);
        if (same != nullptr && same->local_header_offset == e.local_header_offset) continue;
        std::string owned;
        std::string_view data;
        uint64_t base = 0;
        if (auto view = second->ViewStored(e); view.ok()) {
          data = *view;
          base = e.data_offset;
        } else if (auto full = second->ReadIgnoringCrc(e, nullptr); full.ok()) {
          owned = std::move(*full);
          data = owned;
        } else {
          continue;
        }
        bool named = EndsWith(e.name, ".pkl") || EndsWith(e.name, ".pickle");
        if (!named && !HasPickleMagic(data)) continue;
        ++scanned;
        add(data, base, e.name + " (second end record)", true);
      }
    }
    return;
  }
  if (!cp_.pickles.empty()) return;
  std::string_view all = source.All();
  if (all.size() >= 10 && all.substr(0, 6) == "\x93NUMPY") {
    // .npy: magic, version, header length (u16 for v1, u32 for v2/v3), header.
    uint8_t major = static_cast<uint8_t>(all[6]);
    uint64_t header_len = 0, start = 0;
    if (major == 1) {
      header_len = static_cast<uint8_t>(all[8]) | (static_cast<uint8_t>(all[9]) << 8);
      start = 10;
    } else if (all.size() >= 12) {
      uint32_t n;
      std::memcpy(&n, all.data() + 8, 4);
      header_len = n;
      start = 12;
    }
    if (start == 0 || start + header_len > all.size()) return;
    std::string_view header = all.substr(start, header_len);
    if (header.find("'O'") == std::string_view::npos && header.find("|O") == std::string_view::npos) return;
    uint64_t data_offset = start + header_len;
    add(all.substr(data_offset), data_offset, "npy object array", true);
    return;
  }
  add(all, 0, "raw pickle", false);
}

// ---------------------------------------------------------------- not a checkpoint

void Reader::ReadNotACheckpoint(Sniff sniff, const ByteSource& source) {
  cp_.format = ContainerFormat::kNotACheckpoint;
  cp_.layout = Layout::kOther;
  std::string_view head = source.View(0, kSniffBytes);
  std::string torch_error;
  if (!head.empty() && !IsPickleOpcode(static_cast<uint8_t>(head[0]))) {
    torch_error = InvalidLoadKeyError(static_cast<uint8_t>(head[0]));
  }
  switch (sniff) {
    case Sniff::kEmpty:
      Problem("file.empty", Severity::kError, "the file is empty (0 bytes)",
              "the save or the download did not finish: produce or download it again", {}, 0,
              "EOFError: Ran out of input");
      return;
    case Sniff::kLfsPointer: {
      std::string oid = "unknown oid", size = "unknown size";
      std::string_view text = source.View(0, 1024);
      size_t p = text.find("oid sha256:");
      if (p != std::string_view::npos) {
        size_t e = text.find('\n', p);
        oid = Trim(text.substr(p + 4, e == std::string_view::npos ? std::string_view::npos : e - p - 4));
      }
      p = text.find("\nsize ");
      if (p != std::string_view::npos) {
        size_t e = text.find('\n', p + 1);
        size = Trim(text.substr(p + 6, e == std::string_view::npos ? std::string_view::npos : e - p - 6)) +
               " bytes";
      }
      Problem("file.lfs-pointer", Severity::kError,
              "this is a git-LFS pointer, not the weights (" + Excerpt(oid, 80) + ", size " +
                  Excerpt(size, 40) + ")",
              "run `git lfs pull` (or `git lfs install` first) in the repository that holds it", {}, 0,
              torch_error);
      return;
    }
    case Sniff::kHtml:
      Problem("file.html", Severity::kError,
              "this is an HTML page, not a checkpoint: probably a login or error page saved "
              "instead of the file",
              "download it again with the right URL / token (a direct-download link, not the "
              "page that shows the file)",
              {}, 0, torch_error);
      return;
    case Sniff::kPythonSource:
      Problem("file.python-source", Severity::kError, "this is Python source code, not a checkpoint",
              "pass the checkpoint file (.pt, .bin, .ckpt, .safetensors) instead", {}, 0, torch_error);
      return;
    case Sniff::kText:
      Problem("file.text", Severity::kError,
              "this is a text file, not a checkpoint (starts with \"" + Excerpt(head, 40) + "\")",
              "check that the path names the weights file and that the download finished", {}, 0,
              torch_error);
      return;
    default:
      break;
  }
  if (StartsWith(head, std::string_view("\x93NUMPY", 6))) {
    ReadNumpyArray(source);
    return;
  }
  // Name the common impostors so the user knows what they hold.
  struct Magic { std::string_view bytes; const char* what; };
  static const Magic kMagics[] = {
      {std::string_view("\x89PNG\r\n\x1a\n", 8), "a PNG image"},
      {std::string_view("\x89HDF\r\n\x1a\n", 8), "an HDF5 file (Keras .h5 / .hdf5)"},
      {std::string_view("7z\xbc\xaf\x27\x1c", 6), "a 7-Zip archive"},
      {std::string_view("\x1f\x8b", 2), "a gzip stream (decompress it first)"},
      {std::string_view("\xff\xd8\xff", 3), "a JPEG image"},
      {std::string_view("GGUF", 4), "a GGUF model (llama.cpp), not a torch checkpoint"},
      {std::string_view("\x08\x01\x12", 3), "probably an ONNX model (protobuf)"},
  };
  for (const Magic& m : kMagics) {
    if (StartsWith(head, m.bytes)) {
      Problem("file.other-format", Severity::kError,
              std::string("the file is ") + m.what + ", not a PyTorch checkpoint",
              "pass the checkpoint file itself; re-download it if this was meant to be one", {}, 0,
              torch_error);
      return;
    }
  }
  if (StartsWith(head, "PYTORCH1")) {
    Problem("file.pytorch-preview", Severity::kError,
            "the file is an archive from the PyTorch 1.0 preview release (starts with `PYTORCH1`)",
            "re-save it with a current torch", {}, 0,
            "RuntimeError: File is an unsupported archive format from the preview release.");
    return;
  }
  Problem("file.unknown-format", Severity::kError,
          "the file is not a checkpoint ptlint knows (no zip, pickle, tar or safetensors "
          "header; first bytes " + Hex(ReadLe(head.substr(0, 4), 4)) + " little-endian)",
          "check that the file is a complete PyTorch/safetensors checkpoint; re-download it and "
          "verify its hash",
          {}, 0, torch_error);
}


}  // namespace ptlint::container_reader

namespace ptlint {

using container_reader::Reader;

Checkpoint ReadCheckpointBytes(const ByteSource& source, const std::string& path,
                               const ReadOptions& options) {
  Checkpoint cp;
  cp.path = path;
  Reader(cp, options, path, 0).Read(source);
  return cp;
}

Checkpoint ReadCheckpoint(const std::string& path, const ReadOptions& options) {
  Checkpoint cp;
  cp.path = path;
  std::error_code ec;
  std::filesystem::path fs_path(path);
  if (std::filesystem::is_directory(fs_path, ec)) {
    if (std::filesystem::exists(fs_path / ".metadata", ec)) {
      Reader(cp, options, path, 0).ReadDistributedFolder(fs_path);
    } else {
      cp.format = ContainerFormat::kUnknown;
      cp.problems.push_back(ReaderProblem{
          "io.directory", Severity::kError,
          path + " is a folder without `.metadata` (not a distributed checkpoint)",
          "pass a checkpoint file, a *.index.json, or a torch.distributed.checkpoint folder", {}, -1,
          "IsADirectoryError: [Errno 21] Is a directory: '" + path + "'"});
    }
    return cp;
  }
  Result<std::unique_ptr<ByteSource>> source = OpenFileByteSource(path);
  if (!source.ok()) {
    std::string torch_error;
    if (!std::filesystem::exists(fs_path, ec)) {
      torch_error = "FileNotFoundError: [Errno 2] No such file or directory: '" + path + "'";
    }
    cp.problems.push_back(ReaderProblem{source.error().code, Severity::kError,
                                        source.error().message, source.error().hint, {}, -1,
                                        torch_error});
    return cp;
  }
  Reader(cp, options, path, 0).Read(**source);
  return cp;
}


}  // namespace ptlint
