// The oldest torch.save format: a tar with sys_info, pickle, storages and
// tensors members.
#include "analyzer/checkpoint/container_reader.h"

#include "analyzer/checkpoint/object_interpreter.h"
#include "analyzer/formats/tar_reader.h"

namespace ptlint::container_reader {



void Reader::ReadTar(const ByteSource& source, const TarListing& listing) {
  cp_.format = ContainerFormat::kLegacyTar;
  for (const TarMember& m : listing.members) cp_.record_names.push_back(m.name);
  if (!listing.stopped_because.empty()) {
    Problem("tar.stopped", Severity::kWarning,
            "Python's tarfile stops listing members at byte " + std::to_string(listing.end_offset) +
                " (" + listing.stopped_because + "); torch ignores whatever follows",
            "bytes after an invalid tar header are never loaded by torch; a writer that leaves "
            "them may be hiding something: inspect them",
            {}, static_cast<int64_t>(listing.end_offset));
  }
  // torch's legacy_load: tar.extract("storages"), tar.extract("tensors") into
  // a temporary folder, then tar.extractfile("pickle"). getmember takes the
  // LAST member of a name; links resolve the way tarfile resolves them.
  struct Bytes { uint64_t begin; uint64_t size; std::string shown; };
  std::optional<Bytes> extracted_storages;
  auto member_bytes = [&](const char* name, bool extract) -> std::optional<Bytes> {
    const TarMember* m = FindTarMember(listing, name);
    if (m == nullptr) {
      Problem("tar.missing-member", Severity::kError,
              std::string("the legacy tar archive has no `") + name + "` member",
              "the file is incomplete or not a torch.save tar; re-save it", name, -1,
              std::string("KeyError: \"filename '") + name + "' not found\"");
      return std::nullopt;
    }
    int duplicates = 0;
    for (const TarMember& other : listing.members) duplicates += other.name == m->name ? 1 : 0;
    if (duplicates > 1) {
      Problem("tar.duplicate-member", Severity::kWarning,
              "the tar archive holds " + std::to_string(duplicates) + " members named `" + m->name +
                  "`; tarfile (and so torch) reads the last one, at byte " +
                  std::to_string(m->header_offset),
              "torch.save never writes a member twice: the earlier copies are there for readers "
              "that take the first; treat the file as tampered",
              m->name, static_cast<int64_t>(m->header_offset));
    }
    if (extract && m->is_link()) {
      // extract() makes the link in the temporary folder: a link to a member
      // extracted before it (`storages`) reads that file; a symlink to an
      // absolute path reads a file outside the checkpoint.
      std::string target = m->linkname;
      while (target.rfind("./", 0) == 0) target = target.substr(2);
      if (target == "storages" && extracted_storages && std::string(name) != "storages") {
        return Bytes{extracted_storages->begin, extracted_storages->size,
                     "`" + m->name + "` (a link to `storages`)"};
      }
      if (m->type == '2' && !m->linkname.empty() && m->linkname[0] == '/') {
        Unvouched("tar.link-outside", "member `" + m->name + "` is a symbolic link to `" +
                                          m->linkname + "`, a file outside the checkpoint that torch "
                                          "would read and unpickle; ptlint cannot see that file",
                  m->name, static_cast<int64_t>(m->header_offset));
        return std::nullopt;
      }
      if (m->type == '2') {
        Problem("tar.dangling-link", Severity::kError,
                "member `" + m->name + "` is a symbolic link to `" + m->linkname +
                    "`, which is not extracted before it; torch.load fails opening it",
                "the file is not a torch.save tar", m->name, static_cast<int64_t>(m->header_offset),
                "FileNotFoundError: [Errno 2] No such file or directory");
        return std::nullopt;
      }
    }
    std::string why;
    const TarMember* file = ResolveTarMember(listing, *m, &why);
    if (file == nullptr) {
      Problem("tar.not-a-file", Severity::kError, "cannot read member `" + m->name + "`: " + why,
              "the file is not a torch.save tar", m->name, static_cast<int64_t>(m->header_offset));
      return std::nullopt;
    }
    if (file != m) {
      Problem("tar.link-member", Severity::kWarning,
              "member `" + m->name + "` is a link; tarfile reads member `" + file->name +
                  "` (at byte " + std::to_string(file->header_offset) + ") in its place",
              "torch.save never writes links: treat the file as tampered", m->name,
              static_cast<int64_t>(m->header_offset));
    }
    if (file->type == 'S') {
      Unvouched("tar.sparse-member", "member `" + m->name + "` is a GNU sparse file, which tarfile "
                                     "reassembles from pieces; ptlint does not, so the pickle torch "
                                     "would read was not checked",
                m->name, static_cast<int64_t>(file->header_offset));
      return std::nullopt;
    }
    if (file->data_offset > source.size() || file->size > source.size() - file->data_offset) {
      Unvouched("tar.truncated-member",
                "member `" + m->name + "` declares " + std::to_string(file->size) +
                    " bytes but the file ends first; ptlint cannot read the pickle in it",
                m->name, static_cast<int64_t>(file->data_offset), "tarfile.ReadError: unexpected end of data");
      return std::nullopt;
    }
    return Bytes{file->data_offset, file->size, "`" + m->name + "`"};
  };
  // torch reads sys_info from tar archives only in the newest writers; scan
  // it when present, it is a pickle in the file.
  if (const TarMember* m = FindTarMember(listing, "sys_info"); m && m->reads_as_file &&
      m->data_offset <= source.size() && m->size <= source.size() - m->data_offset) {
    AddPickle("sys_info", source.View(m->data_offset, m->size), m->data_offset);
  }
  if (std::optional<Bytes> b = member_bytes("storages", true)) {
    extracted_storages = b;
    ReadTarStorages(source, b->begin, b->size);
  }
  if (std::optional<Bytes> b = member_bytes("tensors", true)) ReadTarTensors(source, b->begin, b->size);
  // Every other file member is scanned too (fail closed): an earlier copy of
  // a name, a member a link hides, anything a different extractor would take.
  std::set<uint64_t> primary;
  for (const char* name : {"sys_info", "storages", "tensors", "pickle"}) {
    if (const TarMember* m = FindTarMember(listing, name)) {
      std::string why;
      if (const TarMember* f = ResolveTarMember(listing, *m, &why)) primary.insert(f->data_offset);
    }
  }
  int others = 0;
  for (const TarMember& m : listing.members) {
    if (!m.reads_as_file || primary.count(m.data_offset) || ++others > kMaxTarMembers) continue;
    if (m.data_offset > source.size() || m.size > source.size() - m.data_offset) continue;
    AddAlternatePickle("tar member " + m.name + "@" + std::to_string(m.header_offset),
                       source.View(m.data_offset, m.size), m.data_offset, true);
  }
  if (std::optional<Bytes> b = member_bytes("pickle", false)) {
    int main = AddPickle("pickle", source.View(b->begin, b->size), b->begin);
    std::vector<StorageInfo> from_member = std::move(cp_.storages);
    cp_.storages.clear();
    InterpretObjects(cp_, main);
    // The object pickle names tensors by key only; their storages' types and
    // sizes come from the `storages` member, their shapes from `tensors`.
    for (StorageInfo& s : from_member) {
      bool known = std::any_of(cp_.storages.begin(), cp_.storages.end(),
                               [&](const StorageInfo& t) { return t.key == s.key; });
      if (!known) cp_.storages.push_back(std::move(s));
    }
    if (cp_.tensors.empty()) NameTarTensors(main);
  } else {
    InterpretObjects(cp_, -1);  // records the globals of the member pickles
  }
}

void Reader::ReadTarStorages(const ByteSource& source, uint64_t begin, uint64_t size) {
  uint64_t end = begin + size;
  uint64_t offset = begin;
  auto next_pickle = [&](const std::string& role) -> const PickleGraph* {
    if (offset >= end) {
      Problem("tar.truncated-member", Severity::kError,
              "member `storages` ends at byte " + std::to_string(end) + " before its " + role,
              "the file is corrupt: re-download it", "storages", static_cast<int64_t>(offset),
              "EOFError: Ran out of input");
      return nullptr;
    }
    int i = AddPickle("storages:" + role, source.View(offset, end - offset), offset);
    const PickleGraph& g = cp_.pickles[i].graph;
    if (!g.complete()) return nullptr;
    offset = g.end_offset;
    return &g;
  };
  const PickleGraph* count_graph = next_pickle("count");
  if (count_graph == nullptr) return;
  const PickleNode& count = count_graph->at(count_graph->root);
  if (count.kind != PickleKind::kInt || count.int_value < 0) {
    Problem("tar.bad-storages", Severity::kError, "member `storages` does not start with a storage count",
            "the file is corrupt", "storages", static_cast<int64_t>(count_graph->start_offset));
    return;
  }
  for (int64_t i = 0; i < count.int_value; ++i) {
    const PickleGraph* g = next_pickle("storage " + std::to_string(i));
    if (g == nullptr) return;
    const PickleNode& args = g->at(g->root);
    StorageInfo s;
    if (args.kind == PickleKind::kTuple && args.items.size() == 3) {
      const PickleNode& key = g->at(args.items[0]);
      const PickleNode& location = g->at(args.items[1]);
      const PickleNode& type = g->at(args.items[2]);
      s.key = key.kind == PickleKind::kInt ? std::to_string(key.int_value) : key.text;
      s.location = location.text;
      if (type.kind == PickleKind::kGlobal) {
        s.storage_type = type.name;
        StorageDtype d = StorageTypeDtype(type.name);
        s.dtype = d.dtype;
        s.element_size = d.element_size;
      }
    }
    if (s.element_size == 0) {
      Problem("tar.bad-storages", Severity::kError,
              "storage record " + std::to_string(i) + " in member `storages` is not (key, location, "
              "<storage class>) with a known storage class; the data after it cannot be walked",
              "the file is corrupt", "storages", static_cast<int64_t>(g->start_offset));
      return;
    }
    if (offset + 8 > end) {
      Problem("tar.truncated-member", Severity::kError,
              "member `storages` ends inside the length of storage " + s.key, "the file is corrupt",
              "storages", static_cast<int64_t>(offset));
      return;
    }
    s.numel = ReadLe(source.View(offset, 8), 8);
    uint64_t bytes = 0;
    uint64_t available = end - offset - 8;
    if (!CheckedMul(s.numel, s.element_size, &bytes) || bytes > available) {
      Problem("tar.truncated-member", Severity::kError,
              "storage " + s.key + " declares " + std::to_string(s.numel) + " elements of " +
                  std::to_string(s.element_size) + " bytes but member `storages` has only " +
                  std::to_string(available) + " bytes left",
              "the file is corrupt", "storages", static_cast<int64_t>(offset));
      return;
    }
    s.record = "storages";
    s.record_bytes = bytes;
    offset += 8 + bytes;
    cp_.storages.push_back(std::move(s));
  }
  // [(view key, root key, offset, numel), ...]: storages that view a root.
  if (const PickleGraph* views = next_pickle("views")) {
    const PickleNode& list = views->at(views->root);
    for (NodeId id : list.items) {
      const PickleNode& view = views->at(id);
      if (view.kind != PickleKind::kTuple || view.items.size() != 4) continue;
      auto key_text = [&](const PickleNode& n) {
        return n.kind == PickleKind::kInt ? std::to_string(n.int_value) : n.text;
      };
      tar_storage_root_[key_text(views->at(view.items[0]))] = key_text(views->at(view.items[1]));
    }
  }
}

void Reader::NameTarTensors(int object_pickle) {
  // The object pickle refers to tensors by persistent id = their key in the
  // `tensors` member (torch: deserialized_objects[int(saved_id)]).
  const PickleGraph& g = cp_.pickles[object_pickle].graph;
  if (g.root == kNoNode || tar_tensors_.empty()) return;
  const PickleNode& root = g.at(g.root);
  const NodeList* pairs = nullptr;
  bool ordered = false;
  if (root.kind == PickleKind::kDict) {
    pairs = &root.items;
  } else if ((root.kind == PickleKind::kCall || root.kind == PickleKind::kNewObj) && root.callee != kNoNode &&
             g.at(root.callee).kind == PickleKind::kGlobal && g.at(root.callee).name == "OrderedDict") {
    pairs = &root.set_items;
    ordered = true;
  }
  if (pairs == nullptr) return;
  std::map<std::string, StorageInfo*> storages;
  for (StorageInfo& s : cp_.storages) storages[s.key] = &s;
  std::map<std::string, std::vector<std::string>> by_root;
  for (size_t i = 0; i + 1 < pairs->size(); i += 2) {
    const PickleNode& key = g.at((*pairs)[i]);
    const PickleNode& value = g.at((*pairs)[i + 1]);
    if (key.kind != PickleKind::kStr || value.kind != PickleKind::kPersistentId || value.args == kNoNode) continue;
    const PickleNode& pid = g.at(value.args);
    std::string tensor_key = pid.kind == PickleKind::kInt ? std::to_string(pid.int_value) : pid.text;
    auto it = tar_tensors_.find(tensor_key);
    if (it == tar_tensors_.end()) continue;
    TensorInfo t = it->second;
    t.name = key.text;
    std::string root_key = tar_storage_root_.count(t.storage_key) ? tar_storage_root_[t.storage_key] : t.storage_key;
    if (StorageInfo* s = storages.count(root_key) ? storages[root_key] : nullptr) {
      t.dtype = s->dtype;
      t.location = s->location;
      s->tensors.push_back(t.name);
    }
    by_root[root_key].push_back(t.name);
    cp_.tensors.push_back(std::move(t));
  }
  for (auto& [key, names] : by_root) {
    if (names.size() > 1) cp_.tied_groups.push_back(names);
  }
  if (!cp_.tensors.empty() && (cp_.layout == Layout::kUnknown || cp_.layout == Layout::kOther)) {
    cp_.layout = ordered ? Layout::kStateDict : Layout::kTensorDict;
  }
}

void Reader::ReadTarTensors(const ByteSource& source, uint64_t begin, uint64_t size) {
  uint64_t end = begin + size;
  uint64_t offset = begin;
  if (size == 0) return;
  int i0 = AddPickle("tensors:count", source.View(offset, end - offset), offset);
  const PickleGraph& count_graph = cp_.pickles[i0].graph;
  if (!count_graph.complete()) return;
  const PickleNode& count = count_graph.at(count_graph.root);
  offset = count_graph.end_offset;
  if (count.kind != PickleKind::kInt || count.int_value < 0) return;
  for (int64_t i = 0; i < count.int_value && offset < end; ++i) {
    int idx = AddPickle("tensors:" + std::to_string(i), source.View(offset, end - offset), offset);
    const PickleGraph& g = cp_.pickles[idx].graph;
    if (!g.complete()) return;
    uint64_t record_offset = g.start_offset;
    offset = g.end_offset;
    if (offset + 8 > end) break;
    uint64_t ndim = ReadLe(source.View(offset, 4), 4);
    uint64_t need = 8 + 16 * ndim + 8;
    if (ndim > 64 || need > end - offset) {
      Problem("tar.truncated-member", Severity::kError,
              "tensor record " + std::to_string(i) + " in member `tensors` declares " +
                  std::to_string(ndim) + " dimensions that do not fit in the member",
              "the file is corrupt", "tensors", static_cast<int64_t>(offset));
      return;
    }
    // (key, storage_id, tensor class), then sizes, strides, storage offset.
    const PickleNode& args = g.at(g.root);
    if (args.kind == PickleKind::kTuple && args.items.size() == 3) {
      auto key_text = [&](const PickleNode& n) {
        return n.kind == PickleKind::kInt ? std::to_string(n.int_value) : n.text;
      };
      TensorInfo t;
      std::string key = key_text(g.at(args.items[0]));
      t.storage_key = key_text(g.at(args.items[1]));
      t.rebuild = "legacy-tar";
      t.pickle = idx;
      t.offset = record_offset;
      for (uint64_t d = 0; d < ndim; ++d) {
        t.shape.push_back(static_cast<int64_t>(ReadLe(source.View(offset + 8 + 8 * d, 8), 8)));
        t.stride.push_back(static_cast<int64_t>(ReadLe(source.View(offset + 8 + 8 * ndim + 8 * d, 8), 8)));
      }
      t.storage_offset = static_cast<int64_t>(ReadLe(source.View(offset + 8 + 16 * ndim, 8), 8));
      tar_tensors_[key] = std::move(t);
    }
    offset += need;
  }
}


}  // namespace ptlint::container_reader
