#include "analyzer/checkpoint_json.h"

#include "analyzer/global_origin.h"

namespace ptlint {

using ojson = nlohmann::ordered_json;

namespace {

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
