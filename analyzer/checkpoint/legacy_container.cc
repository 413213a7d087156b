// The legacy torch.save stream (torch < 1.6, _use_new_zipfile_serialization=False):
// five pickles (magic, protocol, sys_info, object, storage keys), then raw storages.
#include "analyzer/checkpoint/container_reader.h"

#include "analyzer/checkpoint/object_interpreter.h"

namespace ptlint::container_reader {

// ---------------------------------------------------------------- legacy

void Reader::ReadLegacy(const ByteSource& source) {
  cp_.format = ContainerFormat::kLegacy;
  static const char* kRoles[] = {"magic", "protocol", "sys_info", "object", "storage_keys"};
  uint64_t offset = 0;
  int indices[5] = {-1, -1, -1, -1, -1};
  for (int role = 0; role < 5; ++role) {
    if (offset >= source.size()) {
      Problem("legacy.truncated", Severity::kError,
              std::string("the legacy stream ends at byte ") + std::to_string(offset) +
                  " before its `" + kRoles[role] + "` pickle",
              "the file is truncated: re-download it or re-save it", kRoles[role],
              static_cast<int64_t>(offset),
              "EOFError: Ran out of input");
      InterpretObjects(cp_, indices[3]);  // records the globals of what was read
      return;
    }
    indices[role] = AddPickle(kRoles[role], source.View(offset, source.size() - offset), offset);
    const PickleGraph& g = cp_.pickles[indices[role]].graph;
    if (!g.complete()) {
      // Where the next pickle starts is unknown; keep what the broken one holds.
      InterpretObjects(cp_, indices[3]);
      return;
    }
    offset = g.end_offset;
    const PickleNode& root = g.at(g.root);
    if (role == 0 && !(root.kind == PickleKind::kBigInt && root.text == kLegacyMagicDecimal)) {
      Problem("legacy.bad-magic", Severity::kError,
              "the first pickle is not torch's magic number 0x1950a86a20f9469cfc6c",
              "the file is corrupt or not a torch.save file", "magic", static_cast<int64_t>(g.start_offset),
              "RuntimeError: Invalid magic number; corrupt file?");
    }
    if (role == 1) {
      if (root.kind == PickleKind::kInt) cp_.records["legacy.protocol"] = std::to_string(root.int_value);
      if (root.kind != PickleKind::kInt || root.int_value != kLegacyProtocolVersion) {
        std::string shown = root.kind == PickleKind::kInt ? std::to_string(root.int_value)
                                                          : PickleKindName(root.kind);
        Problem("legacy.bad-protocol", Severity::kError,
                "the legacy protocol pickle holds " + shown + ", not 1001",
                "the file is corrupt or not a torch.save file", "protocol",
                static_cast<int64_t>(g.start_offset),
                "RuntimeError: Invalid protocol version: " + shown);
      }
    }
    if (role == 2 && root.kind == PickleKind::kDict) {
      for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
        const PickleNode& k = g.at(root.items[i]);
        const PickleNode& v = g.at(root.items[i + 1]);
        if (k.kind != PickleKind::kStr) continue;
        if (k.text == "little_endian" && (v.kind == PickleKind::kBool || v.kind == PickleKind::kInt)) {
          cp_.records["legacy.little_endian"] = v.int_value ? "true" : "false";
        } else if (k.text == "type_sizes" && v.kind == PickleKind::kDict) {
          for (size_t j = 0; j + 1 < v.items.size(); j += 2) {
            const PickleNode& tk = g.at(v.items[j]);
            const PickleNode& tv = g.at(v.items[j + 1]);
            if (tk.kind == PickleKind::kStr && tv.kind == PickleKind::kInt) {
              cp_.records["legacy.type_sizes." + tk.text] = std::to_string(tv.int_value);
            }
          }
        } else if (k.text == "protocol_version" && v.kind == PickleKind::kInt) {
          cp_.records["legacy.sys_info.protocol_version"] = std::to_string(v.int_value);
        }
      }
      if (cp_.records["legacy.little_endian"] == "false") {
        Problem("legacy.big-endian", Severity::kWarning,
                "the file was written on a big-endian machine", "torch byte-swaps it on load",
                "sys_info", static_cast<int64_t>(g.start_offset));
      }
    }
  }
  size_t problems_before = cp_.problems.size();
  InterpretObjects(cp_, indices[3]);
  interpreter_problems_ = {problems_before, cp_.problems.size()};

  // Raw storage bytes: for each key in the keys list, int64 numel then the
  // elements. Walk the lengths only; never read the data.
  const PickleGraph& keys_graph = cp_.pickles[indices[4]].graph;
  const PickleNode& keys_root = keys_graph.at(keys_graph.root);
  if (keys_root.kind != PickleKind::kList && keys_root.kind != PickleKind::kTuple) {
    Problem("legacy.bad-storage-keys", Severity::kError,
            std::string("the storage-keys pickle holds a ") + PickleKindName(keys_root.kind) +
                ", not a list of keys",
            "the file is corrupt", "storage_keys", static_cast<int64_t>(keys_graph.start_offset));
    return;
  }
  std::map<std::string, StorageInfo*> by_key;
  for (StorageInfo& s : cp_.storages) by_key[s.key] = &s;
  std::set<std::string> listed;
  for (NodeId id : keys_root.items) {
    const PickleNode& key_node = keys_graph.at(id);
    std::string key = key_node.kind == PickleKind::kStr ? key_node.text
                      : key_node.kind == PickleKind::kInt ? std::to_string(key_node.int_value)
                                                          : std::string();
    listed.insert(key);
    if (offset + 8 > source.size()) {
      Problem("legacy.truncated", Severity::kError,
              "the legacy stream ends at byte " + std::to_string(source.size()) +
                  " inside the data of storage " + key + " (its length header needs bytes " +
                  std::to_string(offset) + ".." + std::to_string(offset + 8) + ")",
              "the file is truncated: re-download it or re-save it", "storage " + key,
              static_cast<int64_t>(offset),
              "RuntimeError: unexpected EOF, expected 8 more bytes. The file might be corrupted.");
      return;
    }
    uint64_t numel = ReadLe(source.View(offset, 8), 8);
    auto it = by_key.find(key);
    StorageInfo* storage = it == by_key.end() ? nullptr : it->second;
    if (storage == nullptr || storage->element_size == 0) {
      Problem("legacy.unknown-storage", Severity::kError,
              "storage key " + Excerpt(key) + " in the keys list has no known element size (no "
              "storage with that key in the object pickle); the data after it cannot be walked",
              "the file is corrupt or was edited", "storage " + key, static_cast<int64_t>(offset));
      return;
    }
    uint64_t bytes = 0;
    if (!CheckedMul(numel, storage->element_size, &bytes) || bytes > source.size()) {
      bytes = UINT64_MAX;
    }
    uint64_t available = source.size() - offset - 8;
    storage->record = "storage " + key;
    storage->record_bytes = std::min(bytes, available);
    if (numel != storage->numel) {
      Problem("storage.size-mismatch", Severity::kError,
              "storage " + key + " is declared with " + std::to_string(storage->numel) +
                  " elements in the object pickle but its data header says " +
                  std::to_string(numel),
              "the file is corrupt or was edited", "storage " + key, static_cast<int64_t>(offset));
    }
    if (bytes > available) {
      Problem("legacy.truncated", Severity::kError,
              "storage " + key + " needs " +
                  (bytes == UINT64_MAX ? std::string("more") : std::to_string(bytes)) +
                  " bytes from byte " + std::to_string(offset + 8) + " but the file has only " +
                  std::to_string(available) + " left",
              "the file is truncated: re-download it or re-save it", "storage " + key,
              static_cast<int64_t>(offset + 8),
              "RuntimeError: unexpected EOF, expected " +
                  (bytes == UINT64_MAX ? std::string("more") : std::to_string(bytes - available)) +
                  " more bytes. The file might be corrupted.");
      return;
    }
    offset += 8 + bytes;
  }
  for (const StorageInfo& s : cp_.storages) {
    if (!listed.count(s.key)) {
      Problem("legacy.missing-storage-data", Severity::kError,
              "storage " + s.key + " is used by the object pickle but not in the storage-keys list",
              "the file is corrupt or was edited", "storage_keys",
              static_cast<int64_t>(keys_graph.start_offset));
    }
  }
  if (offset < source.size()) {
    Problem("legacy.trailing-bytes", Severity::kWarning,
            std::to_string(source.size() - offset) + " bytes follow the last storage (from byte " +
                std::to_string(offset) + "); torch.save writes none",
            "torch ignores them; a pickle appended here would be run by tools that read stacked "
            "pickles: inspect them",
            {}, static_cast<int64_t>(offset));
    size_t pickles_before = cp_.pickles.size();
    ScanPickleRegions(source, offset, "trailing", file_);
    if (cp_.pickles.size() > pickles_before) Reinterpret(indices[3]);
  }
}


void Reader::Reinterpret(int main_pickle) {
  std::map<std::string, std::pair<std::string, std::optional<uint64_t>>> learned;
  for (const StorageInfo& s : cp_.storages) learned[s.key] = {s.record, s.record_bytes};
  auto [begin, end] = interpreter_problems_;
  if (begin < end && end <= cp_.problems.size()) {
    cp_.problems.erase(cp_.problems.begin() + static_cast<std::ptrdiff_t>(begin),
                       cp_.problems.begin() + static_cast<std::ptrdiff_t>(end));
  }
  InterpretObjects(cp_, main_pickle);
  for (StorageInfo& s : cp_.storages) {
    auto it = learned.find(s.key);
    if (it == learned.end()) continue;
    s.record = it->second.first;
    s.record_bytes = it->second.second;
  }
}


}  // namespace ptlint::container_reader
