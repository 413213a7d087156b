#include "render/checkpoint_json.h"

#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/support/json_writer.h"

namespace ptlint {
namespace {

using ojson = nlohmann::ordered_json;

std::string Dump(const ojson& j, int indent = 2) {
  return j.dump(indent, ' ', false, ojson::error_handler_t::replace);
}

// The streamed checkpoint object is byte-identical to dumping the DOM.
// (At other indentations too, and compact: the hot arrays are written from
// pieces built for the writer's settings.)
void ExpectSameAsDom(const Checkpoint& cp, const std::string& display) {
  ojson deep = {{"cpp_loadable", true}, {"tensors", ojson::array({{{"name", "w"}, {"nan", 0}}})}};
  const ojson* variants[] = {nullptr, &deep};
  for (const ojson* d : variants) {
    ojson doc = ojson::array();
    ojson j = CheckpointToJson(cp, display);
    if (d) j["deep"] = *d;
    doc.push_back(std::move(j));
    for (int indent : {2, 0, 4, -1}) {
      JsonWriter w(indent);
      w.BeginArray();
      WriteCheckpointJson(w, cp, display, d);
      w.EndArray();
      EXPECT_EQ(w.view(), Dump(doc, indent)) << display << " indent " << indent;
    }
  }
}

// Deep nesting: member heads longer than a fixed-size copy.
TEST(CheckpointJson, StreamMatchesDomWhenNestedDeep) {
  Checkpoint cp;
  TensorInfo t;
  t.name = "a.very.long.module.path.that.is.longer.than.a.block.weight";
  t.dtype = "float32";
  t.shape = {2, 3, 4, 5};
  t.stride = {60, 20, 5, 1};
  t.storage_key = "0";
  t.location = "cpu";
  cp.tensors.push_back(t);
  t.name = "b\"\xe2\x82\xac";
  cp.tensors.push_back(t);
  StorageInfo s;
  s.key = "0";
  s.record_bytes = 480;
  s.tensors = {t.name, "x\x01"};
  cp.storages.push_back(s);
  ojson doc = CheckpointToJson(cp, "p");
  for (int levels : {10, 40}) {
    JsonWriter w(2);
    ojson expected = doc;
    for (int i = 0; i < levels; ++i) w.BeginArray();
    WriteCheckpointJson(w, cp, "p");
    for (int i = 0; i < levels; ++i) {
      w.EndArray();
      expected = ojson::array({expected});
    }
    EXPECT_EQ(w.view(), Dump(expected)) << levels;
  }
}

TEST(CheckpointJson, StreamMatchesDomOnEdgeCases) {
  Checkpoint cp;
  cp.path = "x";
  cp.records["version"] = "3";
  cp.records["we\"ird\xff"] = "va\x01lue";
  cp.record_names = {"a/data.pkl", "a/data/0"};
  cp.metadata_versions[""] = 1;
  cp.metadata_versions["fc\xc3"] = 2;
  cp.has_metadata = true;
  cp.top_level_keys = {"k\xff", "\"q\""};
  cp.hyper_parameters["lr"] = 0.001;
  cp.hyper_parameters["layers"] = nlohmann::json::array({1, nlohmann::json::array({2, "x"}), nullptr});
  cp.hyper_parameters["name\xff"] = "v\xfe";
  TensorInfo t;
  t.name = "fc.weight\n";
  t.dtype = "float32";
  t.shape = {2, 3};
  t.stride = {3, 1};
  t.storage_key = "0";
  t.location = "cpu";
  cp.tensors.push_back(t);
  t.shape.clear();
  t.stride.clear();
  t.name = "scalar";
  cp.tensors.push_back(t);
  StorageInfo s;
  s.key = "0";
  s.tensors = {"fc.weight\n", "scalar"};
  cp.storages.push_back(s);
  s.record_bytes = 24;
  cp.storages.push_back(s);
  cp.tied_groups = {{"a", "b"}, {}};
  OptimizerInfo o;
  o.groups.push_back(OptimizerGroup{{0, 1}, {{"lr", "0.1"}, {"b\"etas", "(0.9, 0.99)"}}});
  o.groups.push_back({});
  o.state_keys = {"exp_avg"};
  o.state_tensors[0] = {"x"};
  cp.optimizers.push_back(o);
  ModuleNode m;
  m.module = "__main__";
  m.name = "Net";
  m.children = {"fc"};
  cp.modules.push_back(m);
  cp.shards.push_back(ShardInfo{"s1", {"a", "b"}});
  cp.torchscript_code = {"code/__torch__.py"};
  cp.globals.push_back(GlobalUse{"torch._utils", "_rebuild_tensor_v2", 0, 5, false, "REDUCE", ""});
  cp.globals.push_back(GlobalUse{"os", "system", 0, 9, true, "", "['x']"});
  cp.globals.push_back(GlobalUse{"torch._utils", "_rebuild_tensor_v2", 0, 7, false, "REDUCE", ""});
  ReaderProblem p;
  p.code = "zip.bad";
  p.message = "m\xe2";
  cp.problems.push_back(p);
  PickleStream ps;
  ps.record = "a/data.pkl";
  ps.graph.error = MakeError("pickle.truncated", "cut \xff", "", 12);
  ps.graph.anomalies.push_back(PickleAnomaly{"memo.overwrite", "again", 3});
  cp.pickles.push_back(ps);
  cp.pickles.push_back(PickleStream{});
  ExpectSameAsDom(cp, "display \xf0");
  ExpectSameAsDom(Checkpoint{}, "");
}

// Many tensors through a sink writer: objects written by Runs straddle the
// buffer's flushes, some with strings that take the escaping path.
TEST(CheckpointJson, StreamToASinkMatchesDom) {
  Checkpoint cp;
  for (int i = 0; i < 6000; ++i) {
    TensorInfo t;
    t.name = "layers." + std::to_string(i) + (i % 7 == 0 ? ".w\xc3\xa9ight" : ".weight") +
             (i % 11 == 0 ? "\t\"" : "");
    t.dtype = "float32";
    t.shape.assign(static_cast<size_t>(i % 5), i);
    t.stride.assign(t.shape.size(), 1);
    t.storage_key = std::to_string(i);
    t.location = i % 13 == 0 ? "cuda:\xff" : "cpu";
    t.offset = static_cast<uint64_t>(i) * 1234567;
    cp.tensors.push_back(t);
    StorageInfo s;
    s.key = t.storage_key;
    s.record = "archive/data/" + s.key;
    if (i % 2 == 0) s.record_bytes = static_cast<uint64_t>(i) * 4;
    s.tensors = {t.name};
    cp.storages.push_back(s);
  }
  std::ostringstream sink;
  {
    JsonWriter w(sink, 2);
    WriteCheckpointJson(w, cp, "big.pt");
  }
  EXPECT_EQ(sink.str(), Dump(CheckpointToJson(cp, "big.pt")));
}

TEST(CheckpointJson, StreamMatchesDomOnFixtures) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(PTLINT_FIXTURE_DIR, ec)) GTEST_SKIP() << "no fixtures";
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(PTLINT_FIXTURE_DIR, ec)) {
    if (!e.is_regular_file() || checked >= 400) continue;
    Checkpoint cp = ReadCheckpoint(e.path().string());
    ExpectSameAsDom(cp, e.path().filename().string());
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace ptlint
