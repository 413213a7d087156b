// torch.distributed.checkpoint folders: .metadata plus *.distcp files.
#include "analyzer/checkpoint/container_reader.h"

#include "analyzer/checkpoint/object_interpreter.h"

namespace ptlint::container_reader {

namespace {

const PickleNode* DictGet(const PickleGraph& g, const PickleNode& dict, std::string_view key) {
  if (dict.kind != PickleKind::kDict) return nullptr;
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const PickleNode& k = g.at(dict.items[i]);
    if (k.kind == PickleKind::kStr && k.text == key) return &g.at(dict.items[i + 1]);
  }
  return nullptr;
}

// The state an object was BUILT with: a dict, or the dict inside a
// (dict, slots) / (None, slots) pair; the raw state otherwise.
const PickleNode* ObjectState(const PickleGraph& g, const PickleNode& object) {
  if (object.builds.empty()) return nullptr;
  const PickleNode& state = g.at(object.builds.back());
  if (state.kind == PickleKind::kTuple && state.items.size() == 2) {
    const PickleNode& a = g.at(state.items[0]);
    const PickleNode& b = g.at(state.items[1]);
    if (a.kind == PickleKind::kDict && !a.items.empty()) return &a;
    if (b.kind == PickleKind::kDict) return &b;
  }
  return &state;
}

std::string CalleeName(const PickleGraph& g, const PickleNode& object) {
  if (object.callee == kNoNode) return {};
  const PickleNode& callee = g.at(object.callee);
  return callee.kind == PickleKind::kGlobal ? callee.name : std::string();
}

// torch.Size((3, 4)) or a plain tuple of ints.
std::optional<std::vector<int64_t>> ShapeOf(const PickleGraph& g, const PickleNode& node) {
  const PickleNode* tuple = &node;
  if (node.kind == PickleKind::kCall && node.args != kNoNode) {
    const PickleNode& args = g.at(node.args);
    if (args.kind != PickleKind::kTuple || args.items.size() != 1) return std::nullopt;
    tuple = &g.at(args.items[0]);
  }
  if (tuple->kind != PickleKind::kTuple && tuple->kind != PickleKind::kList) return std::nullopt;
  std::vector<int64_t> shape;
  for (NodeId id : tuple->items) {
    const PickleNode& dim = g.at(id);
    if (dim.kind != PickleKind::kInt) return std::nullopt;
    shape.push_back(dim.int_value);
  }
  return shape;
}

// torch.distributed.checkpoint's Metadata.state_dict_metadata: fqn ->
// TensorStorageMetadata(properties=TensorProperties(dtype, ...), size, chunks).
std::vector<TensorInfo> DistributedMetadataTensors(const PickleGraph& g, int pickle_index) {
  std::vector<TensorInfo> tensors;
  if (!g.complete()) return tensors;
  const PickleNode* state = ObjectState(g, g.at(g.root));
  const PickleNode* entries = state ? DictGet(g, *state, "state_dict_metadata") : nullptr;
  if (entries == nullptr || entries->kind != PickleKind::kDict) return tensors;
  for (size_t i = 0; i + 1 < entries->items.size(); i += 2) {
    const PickleNode& key = g.at(entries->items[i]);
    const PickleNode& value = g.at(entries->items[i + 1]);
    if (key.kind != PickleKind::kStr || CalleeName(g, value) != "TensorStorageMetadata") continue;
    const PickleNode* meta = ObjectState(g, value);
    if (meta == nullptr) continue;
    TensorInfo t;
    t.name = key.text;
    t.location = "cpu";
    t.rebuild = "distributed-checkpoint";
    t.pickle = pickle_index;
    t.offset = value.offset;
    if (const PickleNode* size = DictGet(g, *meta, "size")) {
      if (auto shape = ShapeOf(g, *size)) t.shape = *shape;
    }
    if (const PickleNode* properties = DictGet(g, *meta, "properties")) {
      const PickleNode* props = ObjectState(g, *properties);
      const PickleNode* dtype = nullptr;
      if (props && props->kind == PickleKind::kTuple && !props->items.empty()) dtype = &g.at(props->items[0]);
      if (props && props->kind == PickleKind::kDict) dtype = DictGet(g, *props, "dtype");
      if (dtype && dtype->kind == PickleKind::kGlobal && dtype->text == "torch") t.dtype = dtype->name;
      if (props && props->kind == PickleKind::kTuple && props->items.size() > 2) {
        const PickleNode& grad = g.at(props->items[2]);
        t.requires_grad = grad.kind == PickleKind::kBool && grad.int_value != 0;
      }
    }
    t.stride.assign(t.shape.size(), 1);
    for (size_t d = t.shape.size(); d-- > 1;) t.stride[d - 1] = t.stride[d] * std::max<int64_t>(t.shape[d], 1);
    tensors.push_back(std::move(t));
  }
  return tensors;
}

}  // namespace

// ---------------------------------------------------------------- distributed checkpoint

void Reader::ReadDistributedFolder(const std::filesystem::path& folder) {
  cp_.format = ContainerFormat::kDistributedCheckpoint;
  cp_.layout = Layout::kSharded;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (files.size() >= static_cast<size_t>(kMaxShards)) break;
    if (entry.is_regular_file(ec) && entry.path().extension() == ".distcp") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::filesystem::path metadata = folder / ".metadata";
  Result<std::unique_ptr<ByteSource>> meta = OpenFileByteSource(metadata.string());
  int main = -1;
  if (!meta.ok()) {
    Problem("dcp.missing-metadata", Severity::kError,
            "the distributed checkpoint folder has no readable `.metadata`: " + meta.error().message,
            "copy the whole checkpoint folder; `.metadata` is written last, so its absence means "
            "the save did not finish",
            ".metadata");
  } else {
    cp_.record_names.push_back(".metadata");
    main = AddPickle(".metadata", (*meta)->All(), 0, metadata.string());
  }
  for (const auto& path : files) {
    std::string name = path.filename().string();
    cp_.record_names.push_back(name);
    Result<std::unique_ptr<ByteSource>> data = OpenFileByteSource(path.string());
    if (!data.ok()) {
      Problem("dcp.unreadable-file", Severity::kError, "cannot open `" + name + "`: " + data.error().message,
              "check the file's permissions", name);
      continue;
    }
    ShardInfo info;
    info.file = name;
    cp_.shards.push_back(info);
    ScanPickleRegions(**data, 0, name, path.string());
  }
  if (main >= 0) {
    InterpretObjects(cp_, main);
    std::vector<TensorInfo> tensors = DistributedMetadataTensors(cp_.pickles[main].graph, main);
    for (TensorInfo& t : tensors) cp_.tensors.push_back(std::move(t));
  }
  cp_.format = ContainerFormat::kDistributedCheckpoint;
  // The planner flattens the saved state dict; its fqns are state-dict keys.
  cp_.layout = cp_.tensors.empty() ? Layout::kSharded : Layout::kStateDict;
}


}  // namespace ptlint::container_reader
