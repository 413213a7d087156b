// The torch.save zip archive (torch >= 1.6): data.pkl, data/<key> storages,
// version and format records, read the way PyTorchStreamReader reads them.
#include "analyzer/checkpoint/container_reader.h"

#include "analyzer/checkpoint/object_interpreter.h"

namespace ptlint::container_reader {

// ---------------------------------------------------------------- torch zip

std::optional<std::string> Reader::ReadSmallRecord(const ZipArchive& zip, const ZipEntry& entry) {
  if (entry.uncompressed_size > kMaxSmallRecordBytes) {
    Problem("zip.record-too-large", Severity::kWarning,
            "record `" + entry.name + "` is " + std::to_string(entry.uncompressed_size) +
                " bytes; a format record holds a few bytes",
            "the archive was not written by torch.save", entry.name,
            static_cast<int64_t>(entry.local_header_offset));
    return std::nullopt;
  }
  Result<std::string> bytes = zip.Read(entry);
  if (!bytes.ok()) {
    Problem(bytes.error().code, Severity::kError,
            "cannot read record `" + entry.name + "`: " + bytes.error().message, bytes.error().hint,
            entry.name, bytes.error().offset);
    return std::nullopt;
  }
  return *bytes;
}

void Reader::ReadZip(const ByteSource& source) {
  Result<ZipArchive> opened = ZipArchive::Open(source, options_.zip_limits);
  if (!opened.ok()) {
    const Error& e = opened.error();
    // It starts like a zip, so torch takes the zip path and fails there.
    cp_.format = ContainerFormat::kTorchZip;
    cp_.layout = Layout::kOther;
    std::string torch_error;
    std::string hint = e.hint;
    if (source.size() < 22) {
      // miniz gives up before looking for the directory in a file shorter
      // than an end-of-central-directory record.
      torch_error = "RuntimeError: PytorchStreamReader failed reading zip archive: not a ZIP archive";
      if (hint.empty()) hint = "the file is truncated: download it again and verify its hash";
    } else if (e.code == "zip.no-central-directory") {
      torch_error =
          "RuntimeError: PytorchStreamReader failed reading zip archive: failed finding central "
          "directory";
      if (hint.empty()) {
        hint = "the file is truncated (interrupted download or save): download it again and "
               "verify its hash";
      }
    }
    Problem(e.code, Severity::kError, "the zip archive cannot be read: " + e.message, hint, {},
            e.offset, torch_error);
    return;
  }
  zip_.emplace(std::move(*opened));
  const ZipArchive& zip = *zip_;
  for (const ZipAnomaly& a : zip.anomalies()) {
    Problem(a.code, Severity::kWarning, a.message,
            "a lenient reader accepts this, but torch.save never writes it: treat the file as "
            "tampered",
            {}, static_cast<int64_t>(a.offset));
  }
  const std::vector<ZipEntry>& entries = zip.entries();
  for (const ZipEntry& e : entries) cp_.record_names.push_back(e.name);
  if (entries.empty()) {
    cp_.format = ContainerFormat::kUnknown;
    Problem("zip.empty", Severity::kError, "the zip archive has no records",
            "this is not a torch.save file; re-download or re-save it", {}, 0,
            "RuntimeError: PytorchStreamReader failed locating file data.pkl: file not found");
    return;
  }

  // The archive folder is the first record's prefix; torch's C++ reader
  // insists every record lives under it.
  const std::string& first = entries.front().name;
  size_t slash = first.find('/');
  if (slash == std::string::npos) {
    Problem("zip.no-folder", Severity::kError,
            "the first record `" + first + "` is not in a folder; torch archives put every record "
            "under one top-level folder",
            "this zip was not written by torch.save; if it holds the weights, re-save them with torch.save",
            first, static_cast<int64_t>(entries.front().local_header_offset),
            "RuntimeError: file in archive is not in a subdirectory: " + first);
  }
  std::string folder = slash == std::string::npos ? std::string() : first.substr(0, slash);
  cp_.archive_name = folder;
  std::string prefix = folder.empty() ? std::string() : folder + "/";
  int outside = 0;
  std::string first_outside;
  for (const ZipEntry& e : entries) {
    if (!StartsWith(e.name, prefix) || e.name.size() == prefix.size()) {
      if (outside++ == 0) first_outside = e.name;
    }
  }
  if (outside > 0 && !prefix.empty()) {
    Problem("zip.mixed-folders", Severity::kWarning,
            std::to_string(outside) + " record(s) are outside the archive folder `" + folder +
                "/` (first: `" + first_outside + "`); torch ignores them",
            "records outside the folder are never loaded; inspect them, they may hide a payload",
            first_outside);
  }

  // torch looks records up the way miniz does: ASCII case folded, and of
  // duplicate names the copy its binary search lands on.
  const ZipEntry* data_pkl = zip.FindLikeTorch(prefix + "data.pkl");
  // _is_torchscript_zip: "constants.pkl" in get_all_records(), a
  // case-sensitive Python list test.
  const ZipEntry* constants_pkl = zip.Find(prefix + "constants.pkl");
  bool torchscript = constants_pkl != nullptr;
  cp_.format = torchscript ? ContainerFormat::kTorchScript : ContainerFormat::kTorchZip;

  // version: `.data/version` wins over `version` (TorchScript >= 6).
  const ZipEntry* version = zip.FindLikeTorch(prefix + ".data/version");
  if (version == nullptr) version = zip.FindLikeTorch(prefix + "version");
  if (version == nullptr) {
    Problem("zip.missing-version", Severity::kError,
            "the archive has no `version` record (looked for `" + prefix + "version` and `" + prefix +
                ".data/version`)",
            "the archive is incomplete or was not written by torch.save; re-save it", {}, -1,
            "RuntimeError: Expected hasRecord(\"version\") to be true, but got false.  (Could this "
            "error message be improved?  If so, please report an enhancement request to PyTorch.)");
  } else if (std::optional<std::string> text = ReadSmallRecord(zip, *version)) {
    std::string v = Trim(*text);
    cp_.records["version"] = v;
    int64_t number = -1;
    bool numeric = !v.empty() && v.size() <= 18 &&
                   std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) number = std::stoll(v);
    if (!numeric) {
      Problem("zip.bad-version", Severity::kError,
              "the `version` record holds \"" + Excerpt(v) + "\", not a number", "the file is corrupt",
              version->name, static_cast<int64_t>(version->data_offset));
    } else if (number > kMaxSupportedFileFormatVersion) {
      Problem("zip.version-too-new", Severity::kError,
              "the archive's format version is " + v + "; torch 1.13 and 2.x read at most 10",
              "load it with the torch that wrote it (or newer) and re-save it", version->name,
              static_cast<int64_t>(version->data_offset),
              "RuntimeError: [enforce fail at inline_container.cc:165] . Attempted to read a PyTorch "
              "file with version " + v + ", but the maximum supported version for reading is 10. The "
              "version of your PyTorch installation may be too old, please upgrade PyTorch to latest "
              "version to mitigate this issue.");
    } else if (number < kMinSupportedFileFormatVersion) {
      Problem("zip.version-too-old", Severity::kError,
              "the archive's format version is " + v + "; torch reads 1 and above",
              "regenerate the file with a current torch", version->name,
              static_cast<int64_t>(version->data_offset),
              "RuntimeError: [enforce fail at inline_container.cc:154] . Attempted to read a PyTorch "
              "file with version " + v + ", but the minimum supported version for reading is 1. Your "
              "PyTorch script module file is too old. Please regenerate it with latest version of "
              "PyTorch to mitigate this issue.");
    }
  }
  for (const char* name : {"byteorder", ".format_version", ".storage_alignment",
                           ".data/serialization_id"}) {
    if (const ZipEntry* e = zip.Find(prefix + name)) {
      if (std::optional<std::string> text = ReadSmallRecord(zip, *e)) cp_.records[name] = Trim(*text);
    }
  }

  int main_pickle = -1;
  if (data_pkl == nullptr) {
    Problem("zip.missing-record", Severity::kError,
            "the archive has no `" + prefix + "data.pkl`: it is a zip, but not a torch.save file",
            "if this is a NumPy .npz or another zip, load it with its own library", {}, -1,
            "RuntimeError: PytorchStreamReader failed locating file data.pkl: file not found");
    if (!torchscript) cp_.format = ContainerFormat::kUnknown;
  } else {
    Result<std::string_view> view = zip.ViewStored(*data_pkl);
    if (view.ok()) {
      main_pickle = AddPickle(data_pkl->name, *view, data_pkl->data_offset);
    } else {
      // torch.save stores data.pkl; a deflated one still loads, so read it.
      bool crc_mismatch = false;
      Result<std::string> inflated = zip.ReadIgnoringCrc(*data_pkl, &crc_mismatch);
      if (inflated.ok() && crc_mismatch) {
        Problem("zip.crc-mismatch", Severity::kWarning,
                "`" + data_pkl->name + "` does not match the CRC-32 its central directory entry "
                "declares; torch does not check CRCs and unpickles it anyway (ptlint scanned it)",
                "the bytes were changed after the archive was written: a CRC mismatch is a known "
                "scanner-evasion trick (CVE-2025-10156); do not trust the file",
                data_pkl->name, static_cast<int64_t>(data_pkl->local_header_offset));
      }
      if (inflated.ok()) {
        Problem("zip.compressed-data-pkl", Severity::kInfo,
                "`" + data_pkl->name + "` is compressed (torch.save stores it); offsets in it are "
                "relative to the inflated record",
                {}, data_pkl->name, static_cast<int64_t>(data_pkl->local_header_offset));
        main_pickle = AddPickle(data_pkl->name, *inflated, 0);
      } else {
        Unvouched(inflated.error().code,
                  "cannot read `" + data_pkl->name + "`, the pickle torch.load unpickles: " +
                      inflated.error().message,
                  data_pkl->name, inflated.error().offset);
      }
    }
  }
  ReadOtherDataPkls(source, zip, prefix, data_pkl);
  if (torchscript) {
    cp_.layout = Layout::kTorchScript;
    ReadTorchScriptExtras(zip, prefix);
  } else {
    // Any other pickle record is not loaded by torch, but it is in the file:
    // security rules must see it.
    int extra = 0;
    for (const ZipEntry& e : entries) {
      if (&e == data_pkl || !EndsWith(e.name, ".pkl")) continue;
      if (++extra > kMaxExtraZipPickles) {
        Problem("zip.too-many-pickles", Severity::kWarning,
                "the archive holds more than " + std::to_string(kMaxExtraZipPickles) +
                    " .pkl records besides data.pkl; the rest were not scanned",
                "an archive like this was not written by torch.save; do not load it", e.name);
        break;
      }
      Result<std::string> bytes = zip.Read(e);
      if (bytes.ok()) {
        AddPickle(e.name, *bytes, e.method == 0 ? e.data_offset : 0);
      } else {
        Problem(bytes.error().code, Severity::kWarning,
                "cannot read `" + e.name + "`: " + bytes.error().message, bytes.error().hint, e.name,
                bytes.error().offset);
      }
    }
  }
  InterpretObjects(cp_, main_pickle);  // with -1 it still records every pickle's globals
  if (main_pickle < 0) return;
  if (torchscript) cp_.layout = Layout::kTorchScript;

  // Every storage needs its record, of exactly numel x element_size bytes.
  // Records found are marked by position (no second index of names).
  std::vector<bool> referenced(entries.size(), false);
  const std::string data_prefix = prefix + "data/";
  for (StorageInfo& s : cp_.storages) {
    s.record.reserve(data_prefix.size() + s.key.size());
    s.record.assign(data_prefix);
    s.record += s.key;
    const ZipEntry* e = zip.FindLikeTorch(s.record);
    if (e != nullptr) {
      referenced[static_cast<size_t>(e - entries.data())] = true;
      s.record_bytes = e->uncompressed_size;
      uint64_t expected = 0;
      if (s.element_size == 0 ||
          (CheckedMul(s.numel, s.element_size, &expected) && expected == e->uncompressed_size)) {
        continue;  // the common case: nothing to report
      }
    }
    std::string tensors;
    for (size_t i = 0; i < s.tensors.size() && i < 5; ++i) {
      tensors += (i ? ", " : "") + s.tensors[i];
    }
    if (s.tensors.size() > 5) tensors += ", ... (" + std::to_string(s.tensors.size()) + " tensors)";
    if (e == nullptr) {
      Problem("zip.missing-record", Severity::kError,
              "storage " + s.key + " (" + (tensors.empty() ? "no named tensor" : tensors) +
                  ") has no record `" + s.record + "`",
              "the archive is incomplete or was edited; re-save or re-download it", s.record, -1,
              "RuntimeError: PytorchStreamReader failed locating file data/" + s.key +
                  ": file not found");
      continue;
    }
    s.record_bytes = e->uncompressed_size;
    uint64_t expected = 0;
    if (s.element_size == 0) continue;
    if (!CheckedMul(s.numel, s.element_size, &expected) || expected != e->uncompressed_size) {
      Problem("storage.size-mismatch", Severity::kError,
              "storage " + s.key + " (" + s.dtype + ", " + std::to_string(s.numel) + " elements; " +
                  (tensors.empty() ? "no named tensor" : "tensors " + tensors) + ") should be " +
                  std::to_string(expected) + " bytes but `" + s.record + "` holds " +
                  std::to_string(e->uncompressed_size) + " bytes",
              "the archive was truncated or edited; re-save or re-download it", s.record,
              static_cast<int64_t>(e->local_header_offset));
    }
  }
  if (!torchscript) {
    // (A record whose name is a duplicate is referenced when its namesake,
    // the copy Find returns, is.)
    auto is_referenced = [&](const ZipEntry& e) {
      if (referenced[static_cast<size_t>(&e - entries.data())]) return true;
      const ZipEntry* namesake = zip.FindLikeTorch(e.name);
      return namesake != nullptr && referenced[static_cast<size_t>(namesake - entries.data())];
    };
    for (const ZipEntry& e : entries) {
      if (StartsWith(e.name, data_prefix) && !is_referenced(e)) {
        Problem("zip.unreferenced-record", Severity::kWarning,
                "record `" + e.name + "` (" + std::to_string(e.uncompressed_size) +
                    " bytes) is not referenced by any tensor in data.pkl",
                "torch ignores it; a writer that adds data nobody reads may be hiding something",
                e.name, static_cast<int64_t>(e.local_header_offset));
      }
    }
  }
}


}  // namespace ptlint::container_reader

namespace ptlint::container_reader {

void Reader::ReadOtherDataPkls(const ByteSource& /*source*/, const ZipArchive& zip,
                               const std::string& prefix, const ZipEntry* data_pkl) {
  // Records that another reading of the archive takes for data.pkl: other
  // copies of the name (any case). torch reads one of them; which one
  // depends on details readers disagree on, so every one is scanned. (The
  // archive a second end record describes is read by ReadUnreadPickles.)
  auto add = [&](const ZipArchive& archive, const ZipEntry& e, const std::string& label) {
    std::string owned;
    std::string_view bytes;
    uint64_t base = 0;
    if (Result<std::string_view> view = archive.ViewStored(e); view.ok()) {
      bytes = *view;
      base = e.data_offset;
    } else if (Result<std::string> full = archive.ReadIgnoringCrc(e, nullptr); full.ok()) {
      owned = std::move(*full);
      bytes = owned;
    } else {
      Unvouched(full.error().code,
                "cannot read " + label + " `" + e.name + "`, which a reader may unpickle: " +
                    full.error().message,
                e.name, full.error().offset);
      return;
    }
    AddAlternatePickle(e.name + " (" + label + ")", bytes, base, false);
  };
  std::vector<const ZipEntry*> copies = zip.FindAllIgnoringCase(prefix + "data.pkl");
  if (copies.size() > 1) {
    Problem("zip.duplicate-data-pkl", Severity::kError,
            std::to_string(copies.size()) + " records are named `" + prefix +
                "data.pkl` (ignoring case); torch reads the one at offset " +
                (data_pkl ? std::to_string(data_pkl->local_header_offset) : std::string("?")) +
                ", other zip readers may read another",
            "torch.save writes data.pkl once: the other copies exist to fool a scanner; do not "
            "load the file",
            prefix + "data.pkl", data_pkl ? static_cast<int64_t>(data_pkl->local_header_offset) : -1);
    for (const ZipEntry* e : copies) {
      if (e != data_pkl) add(zip, *e, "another copy of data.pkl");
    }
  }
}

}  // namespace ptlint::container_reader
