#include "render/checkpoint_json.h"

#include <cstdio>

#include "analyzer/checkpoint/global_origin.h"

namespace ptlint {

using ojson = nlohmann::ordered_json;

namespace {

// The literal hyper-parameters as an ordered object (keys sorted, as held).
// (Values pass through text: they are small literals, and invalid UTF-8 in a
// string becomes U+FFFD as everywhere else in the report.)
// FNV-1a (64-bit) of the pickle bytes kept in the stream ([start, end) of
// its graph), as 16 hex digits: lets a differential test match what torch
// unpickled to what ptlint scanned. Empty when the bytes were not kept.
std::string DigestHex(const PickleStream& p) {
  if (p.bytes.empty()) return {};
  uint64_t digest = 1469598103934665603ull;
  for (char c : p.bytes) {
    digest ^= static_cast<uint8_t>(c);
    digest *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(digest));
  return buf;
}

ojson HyperParametersJson(const Checkpoint& cp) {
  ojson out = ojson::object();
  for (const auto& [name, value] : cp.hyper_parameters) {
    out[name] = ojson::parse(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return out;
}

ojson ProblemToJson(const ReaderProblem& p) {
  ojson j;
  j["code"] = p.code;
  j["severity"] = SeverityName(p.severity);
  j["message"] = p.message;
  j["hint"] = p.hint;
  j["record"] = p.record;
  j["offset"] = p.offset;
  j["torch_error"] = p.torch_error;
  return j;
}

ojson TensorToJson(const TensorInfo& t) {
  ojson j;
  j["name"] = t.name;
  j["dtype"] = t.dtype;
  j["shape"] = t.shape;
  j["stride"] = t.stride;
  j["storage_offset"] = t.storage_offset;
  j["storage_key"] = t.storage_key;
  j["device"] = t.location;
  j["requires_grad"] = t.requires_grad;
  j["is_parameter"] = t.is_parameter;
  j["kind"] = t.kind;
  j["rebuild"] = t.rebuild;
  j["numel"] = t.numel();
  j["pickle"] = t.pickle;
  j["offset"] = t.offset;
  return j;
}

}  // namespace

ojson CheckpointToJson(const Checkpoint& cp, const std::string& display_path) {
  ojson j;
  j["path"] = display_path;
  j["format"] = ContainerFormatName(cp.format);
  j["layout"] = LayoutName(cp.layout);
  j["file_size"] = cp.file_size;
  j["archive_name"] = cp.archive_name;
  j["records"] = ojson::object();
  for (const auto& [k, v] : cp.records) j["records"][k] = v;
  j["record_names"] = cp.record_names;

  ojson summary;
  summary["tensors"] = cp.tensors.size();
  summary["storages"] = cp.storages.size();
  summary["parameters"] = cp.parameter_count();
  summary["tensor_bytes"] = cp.tensor_bytes();
  summary["globals"] = cp.globals.size();
  summary["pickles"] = cp.pickles.size();
  j["summary"] = summary;

  ojson sd;
  sd["path"] = cp.state_dict_path;
  sd["has_metadata"] = cp.has_metadata;
  sd["metadata_versions"] = ojson::object();
  for (const auto& [k, v] : cp.metadata_versions) sd["metadata_versions"][k] = v;
  j["state_dict"] = sd;
  j["top_level_keys"] = cp.top_level_keys;
  j["hyper_parameters"] = HyperParametersJson(cp);

  j["pickles"] = ojson::array();
  for (const PickleStream& p : cp.pickles) {
    ojson pj;
    pj["index"] = p.index;
    pj["record"] = p.record;
    pj["file"] = p.file;
    pj["protocol"] = p.graph.protocol;
    pj["start_offset"] = p.graph.start_offset;
    pj["end_offset"] = p.graph.end_offset;
    pj["opcodes"] = p.graph.opcode_count;
    pj["complete"] = p.graph.complete();
    pj["digest"] = DigestHex(p);
    if (p.graph.error) {
      pj["error"] = {{"code", p.graph.error->code}, {"message", p.graph.error->message},
                     {"offset", p.graph.error->offset}};
    }
    pj["anomalies"] = ojson::array();
    for (const PickleAnomaly& a : p.graph.anomalies) {
      pj["anomalies"].push_back({{"code", a.code}, {"message", a.message}, {"offset", a.offset}});
    }
    j["pickles"].push_back(std::move(pj));
  }
  // What torch.load would not read but was scanned all the same (fail closed).
  j["unread_pickles"] = ojson::array();
  for (const PickleStream& p : cp.unread_pickles) {
    j["unread_pickles"].push_back({{"index", p.index}, {"record", p.record},
                                   {"start_offset", p.graph.start_offset},
                                   {"end_offset", p.graph.end_offset},
                                   {"complete", p.graph.complete()},
                                   {"digest", DigestHex(p)}});
  }

  j["globals"] = ojson::array();
  for (const GlobalUse& g : cp.globals) {
    ojson gj;
    gj["module"] = g.module;
    gj["name"] = g.name;
    gj["origin"] = GlobalOriginName(ClassifyGlobalOrigin(g.module));
    gj["pickle"] = g.pickle;
    gj["offset"] = g.offset;
    gj["dynamic"] = g.dynamic;
    gj["consumer"] = g.consumer;
    gj["object_path"] = g.object_path;
    j["globals"].push_back(std::move(gj));
  }

  j["tensors"] = ojson::array();
  for (const TensorInfo& t : cp.tensors) j["tensors"].push_back(TensorToJson(t));

  j["storages"] = ojson::array();
  for (const StorageInfo& s : cp.storages) {
    ojson sj;
    sj["key"] = s.key;
    sj["storage_type"] = s.storage_type;
    sj["dtype"] = s.dtype;
    sj["element_size"] = s.element_size;
    sj["numel"] = s.numel;
    sj["device"] = s.location;
    sj["record"] = s.record;
    sj["record_bytes"] = s.record_bytes ? ojson(*s.record_bytes) : ojson(nullptr);
    sj["tensors"] = s.tensors;
    j["storages"].push_back(std::move(sj));
  }
  j["tied_groups"] = cp.tied_groups;

  j["optimizers"] = ojson::array();
  for (const OptimizerInfo& o : cp.optimizers) {
    ojson oj;
    oj["path"] = o.path;
    oj["family"] = o.family;
    oj["groups"] = ojson::array();
    for (const OptimizerGroup& g : o.groups) {
      ojson gj;
      gj["params"] = g.params;
      gj["options"] = ojson::object();
      for (const auto& [k, v] : g.options) gj["options"][k] = v;
      oj["groups"].push_back(std::move(gj));
    }
    oj["state_keys"] = o.state_keys;
    oj["state_entries"] = o.state_tensors.size();
    j["optimizers"].push_back(std::move(oj));
  }

  j["modules"] = ojson::array();
  for (const ModuleNode& m : cp.modules) {
    ojson mj;
    mj["path"] = m.path;
    mj["class"] = m.module + "." + m.name;
    mj["attributes"] = m.attributes;
    mj["parameters"] = m.parameters;
    mj["buffers"] = m.buffers;
    mj["children"] = m.children;
    mj["pickle"] = m.pickle;
    mj["offset"] = m.offset;
    j["modules"].push_back(std::move(mj));
  }

  j["shards"] = ojson::array();
  for (const ShardInfo& s : cp.shards) {
    j["shards"].push_back({{"file", s.file}, {"tensors", s.tensors.size()}});
  }
  j["torchscript_code"] = cp.torchscript_code;

  j["problems"] = ojson::array();
  for (const ReaderProblem& p : cp.problems) j["problems"].push_back(ProblemToJson(p));
  return j;
}

}  // namespace ptlint

namespace ptlint {

namespace {

void WriteProblem(JsonWriter& w, const ReaderProblem& p) {
  w.BeginObject();
  w.Member("code", p.code);
  w.Member("severity", SeverityName(p.severity));
  w.Member("message", p.message);
  w.Member("hint", p.hint);
  w.Member("record", p.record);
  w.MemberInt("offset", p.offset);
  w.Member("torch_error", p.torch_error);
  w.EndObject();
}

// The tensors and storages of a 20,000-tensor state dict are ~95% of its
// report, so their arrays are written by Runs: each object with one
// capacity check, from pieces built once for the array's depth. The bytes
// are those of the generic calls (Member(), IntArray(), ...) they replace.

using Piece = JsonWriter::Piece;

// The repeated parts of an array of objects: the braces of its elements,
// the nested arrays' elements and closing bracket, and each member's head
// ("," but for the first member, newline, indentation, quoted key, ": ").
// Built while the array is open (its elements are one level deeper).
struct ObjectPieces {
  explicit ObjectPieces(const JsonWriter& w)
      : writer(w),
        open_first(w.NewlineIndent(0) + "{"),
        open_next(w.NewlineIndent(0, ",") + "{"),
        close(w.NewlineIndent(0) + "}"),
        item_first(w.NewlineIndent(2)),
        item_next(w.NewlineIndent(2, ",")),
        array_close(w.NewlineIndent(1) + "]") {}

  Piece Member(const char* key, bool first = false) const {
    std::string head = writer.NewlineIndent(1, first ? "" : ",");
    head += '"';
    head += key;
    head += '"';
    head += writer.KeySuffix();
    return Piece(head);
  }

  // Room for an object's braces (its members' heads are counted by the caller).
  size_t Braces() const { return open_next.size() + close.size(); }
  // Room for a nested array of ints / strings.
  size_t IntArrayBound(const std::vector<int64_t>& v) const {
    return 2 + array_close.size() + v.size() * (item_next.size() + 20);
  }
  size_t StringArrayBound(const std::vector<std::string>& v) const {
    size_t n = 2 + array_close.size() + v.size() * (item_next.size() + 2);
    for (const std::string& s : v) n += s.size();
    return n;
  }

  void Open(JsonWriter::Run& run, bool comma) const { run.Put(comma ? open_next : open_first); }
  void IntArray(JsonWriter::Run& run, const std::vector<int64_t>& v) const {
    Array(run, v, [&run](int64_t x) { run.Int(x); });
  }
  void StringArray(JsonWriter::Run& run, const std::vector<std::string>& v) const {
    Array(run, v, [&run](const std::string& x) { run.String(x); });
  }

  const JsonWriter& writer;
  const Piece open_first, open_next, close, item_first, item_next, array_close;

 private:
  // `[]`, or `[`, the items on their own lines, and the closing line.
  template <class T, class WriteItem>
  void Array(JsonWriter::Run& run, const std::vector<T>& v, WriteItem write_item) const {
    run.Char('[');
    if (v.empty()) {
      run.Char(']');
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      run.Put(i == 0 ? item_first : item_next);
      write_item(v[i]);
    }
    run.Put(array_close);
  }
};

// The "tensors" array's elements (TensorToJson's members, in order).
class TensorWriter {
 public:
  explicit TensorWriter(const JsonWriter& w)
      : p_(w),
        name_(p_.Member("name", true)),
        dtype_(p_.Member("dtype")),
        shape_(p_.Member("shape")),
        stride_(p_.Member("stride")),
        storage_offset_(p_.Member("storage_offset")),
        storage_key_(p_.Member("storage_key")),
        device_(p_.Member("device")),
        requires_grad_(p_.Member("requires_grad")),
        is_parameter_(p_.Member("is_parameter")),
        kind_(p_.Member("kind")),
        rebuild_(p_.Member("rebuild")),
        numel_(p_.Member("numel")),
        pickle_(p_.Member("pickle")),
        offset_(p_.Member("offset")) {
    fixed_ = p_.Braces();
    for (const Piece* h : {&name_, &dtype_, &shape_, &stride_, &storage_offset_, &storage_key_,
                           &device_, &requires_grad_, &is_parameter_, &kind_, &rebuild_, &numel_,
                           &pickle_, &offset_}) {
      fixed_ += h->size();
    }
    fixed_ += 6 * 2 + 4 * 20 + 2 * 5;  // quotes of 6 strings, 4 integers, 2 booleans
  }

  void Write(JsonWriter& w, const TensorInfo& t) const {
    uint64_t numel = t.numel();  // (computed before the run: no writer calls inside it)
    bool comma = w.CountValue();
    JsonWriter::Run run(w, fixed_ + t.name.size() + t.dtype.size() + t.storage_key.size() +
                               t.location.size() + t.kind.size() + t.rebuild.size() +
                               p_.IntArrayBound(t.shape) + p_.IntArrayBound(t.stride));
    p_.Open(run, comma);
    run.Put(name_);
    run.String(t.name);
    run.Put(dtype_);
    run.String(t.dtype);
    run.Put(shape_);
    p_.IntArray(run, t.shape);
    run.Put(stride_);
    p_.IntArray(run, t.stride);
    run.Put(storage_offset_);
    run.Int(t.storage_offset);
    run.Put(storage_key_);
    run.String(t.storage_key);
    run.Put(device_);
    run.String(t.location);
    run.Put(requires_grad_);
    run.Bool(t.requires_grad);
    run.Put(is_parameter_);
    run.Bool(t.is_parameter);
    run.Put(kind_);
    run.String(t.kind);
    run.Put(rebuild_);
    run.String(t.rebuild);
    run.Put(numel_);
    run.UInt(numel);
    run.Put(pickle_);
    run.Int(t.pickle);
    run.Put(offset_);
    run.UInt(t.offset);
    run.Put(p_.close);
  }

 private:
  ObjectPieces p_;
  Piece name_, dtype_, shape_, stride_, storage_offset_, storage_key_, device_, requires_grad_,
      is_parameter_, kind_, rebuild_, numel_, pickle_, offset_;
  size_t fixed_;
};

// The "storages" array's elements.
class StorageWriter {
 public:
  explicit StorageWriter(const JsonWriter& w)
      : p_(w),
        key_(p_.Member("key", true)),
        storage_type_(p_.Member("storage_type")),
        dtype_(p_.Member("dtype")),
        element_size_(p_.Member("element_size")),
        numel_(p_.Member("numel")),
        device_(p_.Member("device")),
        record_(p_.Member("record")),
        record_bytes_(p_.Member("record_bytes")),
        tensors_(p_.Member("tensors")) {
    fixed_ = p_.Braces();
    for (const Piece* h : {&key_, &storage_type_, &dtype_, &element_size_, &numel_, &device_,
                           &record_, &record_bytes_, &tensors_}) {
      fixed_ += h->size();
    }
    fixed_ += 5 * 2 + 3 * 20;  // quotes of 5 strings, 3 integers (or null)
  }

  void Write(JsonWriter& w, const StorageInfo& s) const {
    bool comma = w.CountValue();
    JsonWriter::Run run(w, fixed_ + s.key.size() + s.storage_type.size() + s.dtype.size() +
                               s.location.size() + s.record.size() +
                               p_.StringArrayBound(s.tensors));
    p_.Open(run, comma);
    run.Put(key_);
    run.String(s.key);
    run.Put(storage_type_);
    run.String(s.storage_type);
    run.Put(dtype_);
    run.String(s.dtype);
    run.Put(element_size_);
    run.UInt(s.element_size);
    run.Put(numel_);
    run.UInt(s.numel);
    run.Put(device_);
    run.String(s.location);
    run.Put(record_);
    run.String(s.record);
    run.Put(record_bytes_);
    if (s.record_bytes) {
      run.UInt(*s.record_bytes);
    } else {
      run.Null();
    }
    run.Put(tensors_);
    p_.StringArray(run, s.tensors);
    run.Put(p_.close);
  }

 private:
  ObjectPieces p_;
  Piece key_, storage_type_, dtype_, element_size_, numel_, device_, record_, record_bytes_,
      tensors_;
  size_t fixed_;
};

}  // namespace

void WriteCheckpointJson(JsonWriter& w, const Checkpoint& cp, const std::string& display_path,
                         const ojson* deep) {
  w.BeginObject();
  w.Member("path", display_path);
  w.Member("format", ContainerFormatName(cp.format));
  w.Member("layout", LayoutName(cp.layout));
  w.MemberUInt("file_size", cp.file_size);
  w.Member("archive_name", cp.archive_name);
  w.Key("records");
  w.BeginObject();
  for (const auto& [k, v] : cp.records) {
    w.Key(k);
    w.String(v);
  }
  w.EndObject();
  w.Key("record_names");
  w.StringArray(cp.record_names);

  w.Key("summary");
  w.BeginObject();
  w.MemberUInt("tensors", cp.tensors.size());
  w.MemberUInt("storages", cp.storages.size());
  w.MemberUInt("parameters", cp.parameter_count());
  w.MemberUInt("tensor_bytes", cp.tensor_bytes());
  w.MemberUInt("globals", cp.globals.size());
  w.MemberUInt("pickles", cp.pickles.size());
  w.EndObject();

  w.Key("state_dict");
  w.BeginObject();
  w.Member("path", cp.state_dict_path);
  w.MemberBool("has_metadata", cp.has_metadata);
  w.Key("metadata_versions");
  w.BeginObject();
  for (const auto& [k, v] : cp.metadata_versions) {
    w.Key(k);
    w.Int(v);
  }
  w.EndObject();
  w.EndObject();
  w.Key("top_level_keys");
  w.StringArray(cp.top_level_keys);
  w.Key("hyper_parameters");
  w.Value(HyperParametersJson(cp));

  w.Key("pickles");
  w.BeginArray();
  for (const PickleStream& p : cp.pickles) {
    w.BeginObject();
    w.MemberInt("index", p.index);
    w.Member("record", p.record);
    w.Member("file", p.file);
    w.MemberInt("protocol", p.graph.protocol);
    w.MemberUInt("start_offset", p.graph.start_offset);
    w.MemberUInt("end_offset", p.graph.end_offset);
    w.MemberUInt("opcodes", p.graph.opcode_count);
    w.MemberBool("complete", p.graph.complete());
    w.Member("digest", DigestHex(p));
    if (p.graph.error) {
      w.Key("error");
      w.BeginObject();
      w.Member("code", p.graph.error->code);
      w.Member("message", p.graph.error->message);
      w.MemberInt("offset", p.graph.error->offset);
      w.EndObject();
    }
    w.Key("anomalies");
    w.BeginArray();
    for (const PickleAnomaly& a : p.graph.anomalies) {
      w.BeginObject();
      w.Member("code", a.code);
      w.Member("message", a.message);
      w.MemberUInt("offset", a.offset);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();

  w.Key("unread_pickles");
  w.BeginArray();
  for (const PickleStream& p : cp.unread_pickles) {
    w.BeginObject();
    w.MemberInt("index", p.index);
    w.Member("record", p.record);
    w.MemberUInt("start_offset", p.graph.start_offset);
    w.MemberUInt("end_offset", p.graph.end_offset);
    w.MemberBool("complete", p.graph.complete());
    w.Member("digest", DigestHex(p));
    w.EndObject();
  }
  w.EndArray();

  w.Key("globals");
  w.BeginArray();
  // One classification per distinct module (a checkpoint repeats a handful).
  std::string_view last_module;
  const char* last_origin = nullptr;
  for (const GlobalUse& g : cp.globals) {
    if (last_origin == nullptr || g.module != last_module) {
      last_module = g.module;
      last_origin = GlobalOriginName(ClassifyGlobalOrigin(g.module));
    }
    w.BeginObject();
    w.Member("module", g.module);
    w.Member("name", g.name);
    w.Member("origin", last_origin);
    w.MemberInt("pickle", g.pickle);
    w.MemberUInt("offset", g.offset);
    w.MemberBool("dynamic", g.dynamic);
    w.Member("consumer", g.consumer);
    w.Member("object_path", g.object_path);
    w.EndObject();
  }
  w.EndArray();

  w.Key("tensors");
  w.BeginArray();
  if (!cp.tensors.empty()) {
    const TensorWriter tensors(w);
    for (const TensorInfo& t : cp.tensors) tensors.Write(w, t);
  }
  w.EndArray();

  w.Key("storages");
  w.BeginArray();
  if (!cp.storages.empty()) {
    const StorageWriter storages(w);
    for (const StorageInfo& s : cp.storages) storages.Write(w, s);
  }
  w.EndArray();
  w.Key("tied_groups");
  w.BeginArray();
  for (const std::vector<std::string>& group : cp.tied_groups) w.StringArray(group);
  w.EndArray();

  w.Key("optimizers");
  w.BeginArray();
  for (const OptimizerInfo& o : cp.optimizers) {
    w.BeginObject();
    w.Member("path", o.path);
    w.Member("family", o.family);
    w.Key("groups");
    w.BeginArray();
    for (const OptimizerGroup& g : o.groups) {
      w.BeginObject();
      w.Key("params");
      w.IntArray(g.params);
      w.Key("options");
      w.BeginObject();
      for (const auto& [k, v] : g.options) {
        w.Key(k);
        w.String(v);
      }
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    w.Key("state_keys");
    w.StringArray(o.state_keys);
    w.MemberUInt("state_entries", o.state_tensors.size());
    w.EndObject();
  }
  w.EndArray();

  w.Key("modules");
  w.BeginArray();
  for (const ModuleNode& m : cp.modules) {
    w.BeginObject();
    w.Member("path", m.path);
    w.Member("class", m.module + "." + m.name);
    w.Key("attributes");
    w.StringArray(m.attributes);
    w.Key("parameters");
    w.StringArray(m.parameters);
    w.Key("buffers");
    w.StringArray(m.buffers);
    w.Key("children");
    w.StringArray(m.children);
    w.MemberInt("pickle", m.pickle);
    w.MemberUInt("offset", m.offset);
    w.EndObject();
  }
  w.EndArray();

  w.Key("shards");
  w.BeginArray();
  for (const ShardInfo& s : cp.shards) {
    w.BeginObject();
    w.Member("file", s.file);
    w.MemberUInt("tensors", s.tensors.size());
    w.EndObject();
  }
  w.EndArray();
  w.Key("torchscript_code");
  w.StringArray(cp.torchscript_code);

  w.Key("problems");
  w.BeginArray();
  for (const ReaderProblem& p : cp.problems) WriteProblem(w, p);
  w.EndArray();
  if (deep != nullptr) {
    w.Key("deep");
    w.Value(*deep);
  }
  w.EndObject();
}

}  // namespace ptlint
