// Tests for the ObjectInterpreter against real torch.save output: a Python
// script (Debian's torch, PTLINT_PYTHON) saves objects, keeps each file's
// data.pkl and writes what torch itself says about the same objects (names,
// dtypes, shapes, strides, tied storages, layout, optimizer state, module
// tree) as JSON beside it. Hand-built graphs cover shapes torch never writes.
#include "analyzer/checkpoint/object_interpreter.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <ctime>
#include <functional>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analyzer/formats/pickle_machine.h"

namespace ptlint {
namespace {

using nlohmann::json;

// Every test here also checks the walk's dense-tensor shortcut against the
// generic walk (aborting on a difference), as debug builds do.
[[maybe_unused]] const bool kCrossCheckOn = (SetObjectWalkCrossCheck(true), true);

const char kFixtureScript[] = R"PY(
# Writes <case>.pkl (the data.pkl of a real torch.save) and <case>.json (truth
# computed by torch from the same objects) into argv[1].
import argparse, collections, io, json, os, sys, warnings, zipfile
warnings.filterwarnings("ignore")
import torch
import torch.nn as nn

out_dir = sys.argv[1]
torch.manual_seed(0)

def tinfo(t):
    if t.is_quantized: kind = "quantized"
    elif t.layout == torch.sparse_coo: kind = "sparse_coo"
    elif t.layout == torch.sparse_csr: kind = "sparse_csr"
    elif t.is_meta: kind = "meta"
    else: kind = "dense"
    d = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "kind": kind,
         "requires_grad": bool(t.requires_grad), "is_parameter": isinstance(t, nn.Parameter),
         "location": "meta" if t.is_meta else str(t.device)}
    if kind in ("dense", "quantized", "meta"):
        d["stride"] = list(t.stride())
    if kind in ("dense", "quantized"):
        d["storage_offset"] = t.storage_offset()
    if kind == "quantized":
        d["qscheme"] = str(t.qscheme()).replace("torch.", "")
    return d

def collect(obj, path, out, primary=None):
    if torch.is_tensor(obj):
        out.append((path, obj)); return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if obj is primary and isinstance(k, str) and torch.is_tensor(v):
                out.append((k, v))
            else:
                collect(v, path + "[" + repr(k) + "]", out, primary)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            collect(v, path + "[" + str(i) + "]", out, primary)

def storage_groups(named):
    groups = collections.OrderedDict()
    for name, t in named:
        if t.layout != torch.strided or t.is_meta: continue
        key = t.storage().data_ptr()
        groups.setdefault(key, [])
        if name not in groups[key]: groups[key].append(name)
    return [sorted(g) for g in groups.values() if len(g) >= 2]

def save(case, obj, layout, named, legacy=False, **extra):
    path = os.path.join(out_dir, case + ".pt")
    if legacy:
        torch.save(obj, path, _use_new_zipfile_serialization=False)
        os.replace(path, os.path.join(out_dir, case + ".legacy"))
    else:
        torch.save(obj, path)
        z = zipfile.ZipFile(path)
        name = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        with open(os.path.join(out_dir, case + ".pkl"), "wb") as f:
            f.write(z.read(name))
        os.remove(path)
    truth = {"layout": layout, "tensors": [dict(name=n, **tinfo(t)) for n, t in named],
             "tied": storage_groups(named)}
    truth.update(extra)
    with open(os.path.join(out_dir, case + ".json"), "w") as f:
        json.dump(truth, f, indent=1)

def opt_truth(path, opt_sd, family):
    groups = []
    for g in opt_sd["param_groups"]:
        groups.append({"params": g["params"], "options": {k: repr(v) for k, v in g.items()
                       if k != "params" and isinstance(v, (int, float, bool, str, type(None), tuple))}})
    keys = []
    for st in opt_sd["state"].values():
        for k in st:
            if k not in keys: keys.append(k)
    return {"path": path, "family": family, "groups": groups, "state_keys": keys}

# --- state dict with BatchNorm (_metadata versions) ------------------------
net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Sequential(nn.Conv2d(1, 2, 3)))
sd = net.state_dict()
named = []; collect(sd, "", named, sd)
save("state_dict", sd, "state-dict", named, state_dict_path="",
     metadata={k: v["version"] for k, v in sd._metadata.items()},
     top_level_keys=list(sd.keys()))

# --- every dtype, views, strides, 0-d, requires_grad, plain dict -----------
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
td = {}
for dt in [torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64,
           torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool,
           torch.complex64, torch.complex128]:
    td["t_" + str(dt).replace("torch.", "")] = torch.ones(2, 3).to(dt)
td["scalar"] = torch.tensor(7)
td["base"] = base
td["row_view"] = base[2]
td["col_view"] = base[:, 1]
td["transposed"] = base.t()
td["grad"] = torch.zeros(5, requires_grad=True)
named = []; collect(td, "", named, td)
save("dtypes", td, "tensor-dict", named, state_dict_path="", metadata=None)

# --- quantized ----------------------------------------------------------------
x = torch.randn(4, 3)
qd = {"q_qint8": torch.quantize_per_tensor(x, 0.1, 2, torch.qint8),
      "q_quint8": torch.quantize_per_tensor(x, 0.05, 128, torch.quint8),
      "q_qint32": torch.quantize_per_tensor(x, 0.01, 0, torch.qint32),
      "q_channel": torch.quantize_per_channel(x, torch.tensor([0.1, 0.2, 0.3, 0.4]),
                                              torch.tensor([0, 1, 2, 3]), 0, torch.qint8)}
named = []; collect(qd, "", named, qd)
save("quantized", qd, "tensor-dict", named, state_dict_path="")

# --- sparse / meta / subclass / parameter in a plain dict ---------------------
class MyTensor(torch.Tensor):
    pass
coo = torch.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3., 4., 5.], (2, 3))
misc = {"coo": coo, "csr": torch.tensor([[0., 1.], [2., 0.]]).to_sparse_csr(),
        "meta": torch.empty(3, 4, device="meta"),
        "sub": torch.ones(2, 2).as_subclass(MyTensor),
        "param": nn.Parameter(torch.ones(3)),
        "frozen": nn.Parameter(torch.ones(2), requires_grad=False)}
named = []; collect(misc, "", named, misc)
save("misc_kinds", misc, "tensor-dict", named, state_dict_path="")

# --- keep_vars parameters and tied weights ------------------------------------
class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.head = nn.Linear(4, 10, bias=False)
        self.head.weight = self.emb.weight
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64))
tied = Tied()
sdk = tied.state_dict(keep_vars=True)
named = []; collect(sdk, "", named, sdk)
save("keep_vars_tied", sdk, "state-dict", named, state_dict_path="")

# --- wrapper dict with Adam, argparse.Namespace --------------------------------
model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
adam = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=False)
model(torch.randn(5, 3)).sum().backward(); adam.step()
wrapper = {"epoch": 3, "model_state_dict": model.state_dict(),
           "optimizer_state_dict": adam.state_dict(), "args": argparse.Namespace(lr=0.001, depth=2),
           "best": 0.5}
named = []; collect(wrapper, "", named, wrapper["model_state_dict"])
save("wrapper", wrapper, "wrapper-dict", named, state_dict_path="['model_state_dict']",
     top_level_keys=list(wrapper.keys()),
     optimizers=[opt_truth("['optimizer_state_dict']", wrapper["optimizer_state_dict"], "Adam/AdamW")],
     globals=[{"module": "argparse", "name": "Namespace", "consumer": "NEWOBJ", "object_path": "['args']"},
              {"module": "torch._utils", "name": "_rebuild_tensor_v2", "consumer": "REDUCE"},
              {"module": "torch", "name": "FloatStorage", "consumer": "persistent-id"},
              {"module": "collections", "name": "OrderedDict", "consumer": "REDUCE"}])

# --- Lightning-like with SGD momentum ---------------------------------------------
class Lit(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
lit = Lit()
sgd = torch.optim.SGD(lit.parameters(), lr=0.1, momentum=0.9)
lit.model(torch.randn(4, 2)).sum().backward(); sgd.step()
ckpt = {"epoch": 1, "global_step": 10, "pytorch-lightning_version": "1.9.0",
        "state_dict": lit.state_dict(), "loops": {"fit_loop": {"epoch_progress": {"current": 1}}},
        "callbacks": {}, "optimizer_states": [sgd.state_dict()], "lr_schedulers": [],
        "hparams_name": "kwargs", "hyper_parameters": {"args": argparse.Namespace(hidden=2), "lr": 0.1}}
named = []; collect(ckpt, "", named, ckpt["state_dict"])
save("lightning", ckpt, "lightning", named, state_dict_path="['state_dict']",
     metadata={k: v["version"] for k, v in ckpt["state_dict"]._metadata.items()},
     optimizers=[opt_truth("['optimizer_states'][0]", ckpt["optimizer_states"][0], "SGD (momentum)")],
     globals=[{"module": "argparse", "name": "Namespace", "consumer": "NEWOBJ",
               "object_path": "['hyper_parameters']['args']"}])

# --- optimizer families alone -------------------------------------------------
def stepped(opt_cls, **kw):
    m = nn.Linear(3, 2)
    o = opt_cls(m.parameters(), **kw)
    m(torch.randn(4, 3)).sum().backward(); o.step()
    return o.state_dict()
for case, cls, kw, family in [("opt_rmsprop", torch.optim.RMSprop, {}, "RMSprop"),
                              ("opt_adagrad", torch.optim.Adagrad, {}, "Adagrad"),
                              ("opt_sgd", torch.optim.SGD, {"lr": 0.1}, "SGD"),
                              ("opt_adamw_amsgrad", torch.optim.AdamW, {"amsgrad": True}, "Adam/AdamW (amsgrad)"),
                              ("opt_adadelta", torch.optim.Adadelta, {}, "Adadelta")]:
    o = stepped(cls, **kw)
    named = []; collect(o, "", named)
    save(case, o, "optimizer-state", named, optimizers=[opt_truth("", o, family)])

# --- pickled module tree ----------------------------------------------------------
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(2)
        self.register_buffer("scratch", torch.zeros(3), persistent=False)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
        self.blocks = nn.ModuleList([Block(), Block()])
        self.head = nn.Linear(4, 2)
        self.register_buffer("position_ids", torch.arange(4), persistent=False)
        self.register_buffer("scale", torch.ones(1))
        self.missing = None
full = Net()
full_sd = full.state_dict(keep_vars=True)
def module_path_name(path, name):
    attr = "".join("._modules[" + repr(p) + "]" for p in path.split(".")) if path else ""
    return attr + "._buffers[" + repr(name) + "]"
named = []
for mpath, m in full.named_modules():
    prefix = mpath + "." if mpath else ""
    for n, p in m._parameters.items():
        if p is not None: named.append((prefix + n, p))
    for n, b in m._buffers.items():
        if b is None: continue
        if n in m._non_persistent_buffers_set: named.append((module_path_name(mpath, n), b))
        else: named.append((prefix + n, b))
assert [n for n, _ in named if not n.startswith(".")] == list(full_sd.keys())
mods = [{"path": p, "module": type(m).__module__, "name": type(m).__name__,
         "parameters": [k + ("=None" if v is None else "") for k, v in m._parameters.items()],
         "buffers": list(m._buffers.keys()), "children": list(m._modules.keys()),
         "non_persistent_buffers": sorted(m._non_persistent_buffers_set)}
        for p, m in full.named_modules()]
save("pickled_module", full, "pickled-module", named, state_dict_path="", modules=mods,
     globals=[{"module": "__main__", "name": "Net", "consumer": "NEWOBJ", "object_path": ""},
              {"module": "torch.nn.modules.linear", "name": "Linear", "consumer": "NEWOBJ",
               "object_path": "._modules['stem']._modules['0']"}])

# --- other: a list of tensors; a bare tensor -------------------------------------
lst = [torch.ones(2), {"a": torch.zeros(1)}]
named = []; collect(lst, "", named)
save("list_other", lst, "other", named)

# --- legacy format (6-tuple persistent ids) --------------------------------------
named = []; collect(sdk, "", named, sdk)
save("legacy_tied", sdk, "state-dict", named, legacy=True, state_dict_path="")

# --- 20,000-tensor state dict for timing ----------------------------------------------
big = collections.OrderedDict(("layer%d.weight" % i, torch.zeros(2)) for i in range(20000))
path = os.path.join(out_dir, "big.pt"); torch.save(big, path)
z = zipfile.ZipFile(path)
open(os.path.join(out_dir, "big.pkl"), "wb").write(z.read([n for n in z.namelist() if n.endswith("/data.pkl")][0]))
os.remove(path)
print("ok")
)PY";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class ObjectInterpreterFixtures : public ::testing::Test {
 protected:
  // Every test case runs in its own process under ctest; the fixtures are
  // made once per build tree (keyed by the script's hash) and shared.
  static void SetUpTestSuite() {
#ifdef PTLINT_BINARY_DIR
    std::string root = PTLINT_BINARY_DIR;
#else
    std::string root = "/tmp";
#endif
    std::string final_dir =
        root + "/object_interpreter_fixtures-" + std::to_string(std::hash<std::string>{}(kFixtureScript));
    if (std::ifstream(final_dir + "/done").good()) {
      dir_ = final_dir;
      return;
    }
    std::string tmpl = root + "/object_interpreter_fixtures-tmp-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* tmp = mkdtemp(buf.data());
    ASSERT_NE(tmp, nullptr);
    std::string tmp_dir = tmp;
    std::string script = tmp_dir + "/make_oi_fixtures.py";
    std::ofstream(script) << kFixtureScript;
    std::string cmd = std::string(PTLINT_PYTHON) + " " + script + " " + tmp_dir + " > " + tmp_dir +
                      "/script.log 2>&1";
    int rc = std::system(cmd.c_str());
    ASSERT_EQ(rc, 0) << "fixture script failed:\n" << ReadFile(tmp_dir + "/script.log");
    std::ofstream(tmp_dir + "/done") << "ok\n";
    // Atomic publish; if a parallel test process won the race, use its copy.
    if (std::rename(tmp_dir.c_str(), final_dir.c_str()) != 0) {
      std::system(("rm -rf '" + tmp_dir + "'").c_str());
    }
    dir_ = final_dir;
  }

  static json Truth(const std::string& name) {
    return json::parse(ReadFile(dir_ + "/" + name + ".json"));
  }

  // A Checkpoint holding the case's data.pkl as its only pickle.
  static Checkpoint Load(const std::string& name) {
    Checkpoint ck;
    ck.path = dir_ + "/" + name + ".pkl";
    ck.format = ContainerFormat::kTorchZip;
    std::string bytes = ReadFile(ck.path);
    PickleStream stream;
    stream.record = "archive/data.pkl";
    stream.file = ck.path;
    stream.graph = PickleMachine().Run(bytes);
    EXPECT_TRUE(stream.graph.complete()) << name << ": "
                                         << (stream.graph.error ? stream.graph.error->message : "");
    ck.pickles.push_back(std::move(stream));
    InterpretObjects(ck, 0);
    return ck;
  }

  // A legacy file: five stacked pickles (magic, protocol, sys_info, object,
  // storage keys) followed by raw storage bytes.
  static Checkpoint LoadLegacy(const std::string& name) {
    Checkpoint ck;
    ck.path = dir_ + "/" + name + ".legacy";
    ck.format = ContainerFormat::kLegacy;
    std::string bytes = ReadFile(ck.path);
    static const char* const kRoles[] = {"magic", "protocol", "sys_info", "object", "storage_keys"};
    uint64_t pos = 0;
    for (int i = 0; i < 5; ++i) {
      PickleStream stream;
      stream.record = kRoles[i];
      stream.index = i;
      stream.graph = PickleMachine().Run(std::string_view(bytes).substr(pos), pos);
      EXPECT_TRUE(stream.graph.complete()) << kRoles[i];
      pos = stream.graph.end_offset;
      ck.pickles.push_back(std::move(stream));
    }
    InterpretObjects(ck, 3);
    return ck;
  }

  static void ExpectMatchesTruth(const Checkpoint& ck, const json& truth) {
    EXPECT_STREQ(LayoutName(ck.layout), truth["layout"].get<std::string>().c_str());
    const json& tensors = truth["tensors"];
    ASSERT_EQ(ck.tensors.size(), tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      const json& want = tensors[i];
      const TensorInfo& got = ck.tensors[i];
      SCOPED_TRACE(want["name"].get<std::string>());
      EXPECT_EQ(got.name, want["name"].get<std::string>());
      EXPECT_EQ(got.dtype, want["dtype"].get<std::string>());
      EXPECT_EQ(got.shape, want["shape"].get<std::vector<int64_t>>());
      EXPECT_EQ(got.kind, want["kind"].get<std::string>());
      EXPECT_EQ(got.requires_grad, want["requires_grad"].get<bool>());
      EXPECT_EQ(got.is_parameter, want["is_parameter"].get<bool>());
      EXPECT_EQ(got.location, want["location"].get<std::string>());
      EXPECT_FALSE(got.rebuild.empty());
      EXPECT_GT(got.offset, 0u);
      if (want.contains("stride")) {
        EXPECT_EQ(got.stride, want["stride"].get<std::vector<int64_t>>());
      }
      if (want.contains("storage_offset")) {
        EXPECT_EQ(got.storage_offset, want["storage_offset"].get<int64_t>());
      }
      if (want.contains("qscheme")) {
        EXPECT_EQ(got.qscheme, want["qscheme"].get<std::string>());
      }
      if (got.kind == "dense" || got.kind == "quantized") {
        // The storage it views exists, has the tensor's element type and is
        // large enough for the view.
        auto s = std::find_if(ck.storages.begin(), ck.storages.end(),
                              [&](const StorageInfo& s) { return s.key == got.storage_key; });
        ASSERT_NE(s, ck.storages.end());
        EXPECT_EQ(s->dtype, got.dtype);
        uint64_t extent = got.numel() == 0 ? 0 : 1;
        for (size_t d = 0; d < got.shape.size(); ++d) extent += (got.shape[d] - 1) * got.stride[d];
        EXPECT_LE(got.storage_offset + extent, s->numel);
        EXPECT_NE(std::find(s->tensors.begin(), s->tensors.end(), got.name), s->tensors.end());
      }
    }
    std::set<std::vector<std::string>> want_tied, got_tied;
    for (const json& g : truth["tied"]) want_tied.insert(g.get<std::vector<std::string>>());
    for (std::vector<std::string> g : ck.tied_groups) {
      std::sort(g.begin(), g.end());
      got_tied.insert(g);
    }
    EXPECT_EQ(got_tied, want_tied);
    if (truth.contains("state_dict_path")) {
      EXPECT_EQ(ck.state_dict_path, truth["state_dict_path"].get<std::string>());
    }
    if (truth.contains("metadata")) {
      if (truth["metadata"].is_null()) {
        EXPECT_FALSE(ck.has_metadata);
        EXPECT_TRUE(ck.metadata_versions.empty());
      } else {
        EXPECT_TRUE(ck.has_metadata);
        std::map<std::string, int64_t> want = truth["metadata"].get<std::map<std::string, int64_t>>();
        EXPECT_EQ(ck.metadata_versions, want);
      }
    }
    if (truth.contains("top_level_keys")) {
      EXPECT_EQ(ck.top_level_keys, truth["top_level_keys"].get<std::vector<std::string>>());
    }
    if (truth.contains("optimizers")) {
      const json& opts = truth["optimizers"];
      ASSERT_EQ(ck.optimizers.size(), opts.size());
      for (size_t i = 0; i < opts.size(); ++i) {
        const OptimizerInfo& got = ck.optimizers[i];
        EXPECT_EQ(got.path, opts[i]["path"].get<std::string>());
        EXPECT_EQ(got.family, opts[i]["family"].get<std::string>());
        EXPECT_EQ(got.state_keys, opts[i]["state_keys"].get<std::vector<std::string>>());
        ASSERT_EQ(got.groups.size(), opts[i]["groups"].size());
        for (size_t g = 0; g < got.groups.size(); ++g) {
          const json& want = opts[i]["groups"][g];
          EXPECT_EQ(got.groups[g].params, want["params"].get<std::vector<int64_t>>());
          for (const auto& [key, value] : want["options"].items()) {
            auto it = got.groups[g].options.find(key);
            ASSERT_NE(it, got.groups[g].options.end()) << key;
            EXPECT_EQ(it->second, value.get<std::string>()) << key;
          }
        }
        // Every per-parameter state tensor is one of the named tensors.
        for (const auto& [param, names] : got.state_tensors) {
          for (const std::string& name : names) {
            EXPECT_TRUE(std::any_of(ck.tensors.begin(), ck.tensors.end(),
                                    [&](const TensorInfo& t) { return t.name == name; }))
                << name;
          }
        }
      }
    }
    if (truth.contains("modules")) {
      const json& mods = truth["modules"];
      ASSERT_EQ(ck.modules.size(), mods.size());
      for (size_t i = 0; i < mods.size(); ++i) {
        const ModuleNode& got = ck.modules[i];
        EXPECT_EQ(got.path, mods[i]["path"].get<std::string>());
        EXPECT_EQ(got.module, mods[i]["module"].get<std::string>());
        EXPECT_EQ(got.name, mods[i]["name"].get<std::string>());
        EXPECT_EQ(got.parameters, mods[i]["parameters"].get<std::vector<std::string>>());
        EXPECT_EQ(got.buffers, mods[i]["buffers"].get<std::vector<std::string>>());
        EXPECT_EQ(got.children, mods[i]["children"].get<std::vector<std::string>>());
        std::vector<std::string> np = got.non_persistent_buffers;
        std::sort(np.begin(), np.end());
        EXPECT_EQ(np, mods[i]["non_persistent_buffers"].get<std::vector<std::string>>());
        EXPECT_NE(std::find(got.attributes.begin(), got.attributes.end(), "_modules"),
                  got.attributes.end());
      }
    }
    if (truth.contains("globals")) {
      for (const json& want : truth["globals"]) {
        auto it = std::find_if(ck.globals.begin(), ck.globals.end(), [&](const GlobalUse& g) {
          return g.module == want["module"].get<std::string>() &&
                 g.name == want["name"].get<std::string>();
        });
        ASSERT_NE(it, ck.globals.end()) << want.dump();
        EXPECT_EQ(it->consumer, want["consumer"].get<std::string>()) << want.dump();
        if (want.contains("object_path")) {
          EXPECT_EQ(it->object_path, want["object_path"].get<std::string>()) << want.dump();
        }
      }
    }
    // Every GLOBAL opcode of every pickle is reported.
    size_t refs = 0;
    for (const PickleStream& p : ck.pickles) refs += p.graph.globals.size();
    EXPECT_EQ(ck.globals.size(), refs);
  }

  static std::string dir_;
};

std::string ObjectInterpreterFixtures::dir_;

TEST_F(ObjectInterpreterFixtures, StateDictWithBatchNormMetadata) {
  Checkpoint ck = Load("state_dict");
  ExpectMatchesTruth(ck, Truth("state_dict"));
  EXPECT_EQ(ck.metadata_versions.at("1"), 2);  // BatchNorm _version = 2
  EXPECT_TRUE(ck.problems.empty());
}

TEST_F(ObjectInterpreterFixtures, EveryDtypeViewsAndStrides) {
  Checkpoint ck = Load("dtypes");
  ExpectMatchesTruth(ck, Truth("dtypes"));
  // Views share the base's storage: base, row_view, col_view, transposed.
  bool found = false;
  for (const auto& g : ck.tied_groups) {
    if (std::find(g.begin(), g.end(), "row_view") != g.end()) {
      found = true;
      EXPECT_EQ(g.size(), 4u);
    }
  }
  EXPECT_TRUE(found);
  auto scalar = std::find_if(ck.tensors.begin(), ck.tensors.end(),
                             [](const TensorInfo& t) { return t.name == "scalar"; });
  ASSERT_NE(scalar, ck.tensors.end());
  EXPECT_EQ(scalar->numel(), 1u);
  EXPECT_TRUE(ck.problems.empty());
}

TEST_F(ObjectInterpreterFixtures, QuantizedPerTensorAndPerChannel) {
  Checkpoint ck = Load("quantized");
  ExpectMatchesTruth(ck, Truth("quantized"));
  // Per-channel scales / zero points are recorded as storages of the tensor,
  // not as state entries.
  int aux = 0;
  for (const StorageInfo& s : ck.storages) {
    for (const std::string& t : s.tensors) {
      if (t == "q_channel.<q_per_channel_scales>") { ++aux; EXPECT_EQ(s.dtype, "float64"); }
      if (t == "q_channel.<q_per_channel_zero_points>") { ++aux; EXPECT_EQ(s.dtype, "int64"); }
    }
  }
  EXPECT_EQ(aux, 2);
  EXPECT_TRUE(ck.problems.empty());
}

TEST_F(ObjectInterpreterFixtures, SparseMetaSubclassAndParameters) {
  Checkpoint ck = Load("misc_kinds");
  ExpectMatchesTruth(ck, Truth("misc_kinds"));
  EXPECT_EQ(ck.tensors[0].rebuild, "_rebuild_sparse_tensor");
  EXPECT_EQ(ck.tensors[1].rebuild, "_rebuild_sparse_csr_tensor");
  EXPECT_EQ(ck.tensors[2].rebuild, "_rebuild_meta_tensor_no_storage");
  EXPECT_TRUE(ck.problems.empty());
}

TEST_F(ObjectInterpreterFixtures, KeepVarsParametersAndTiedWeights) {
  Checkpoint ck = Load("keep_vars_tied");
  ExpectMatchesTruth(ck, Truth("keep_vars_tied"));
  // emb.weight and head.weight are one Parameter: counted once.
  EXPECT_EQ(ck.parameter_count(), 1u + 40u);
  EXPECT_EQ(ck.tensor_bytes(), 8u + 160u);
}

TEST_F(ObjectInterpreterFixtures, WrapperDictWithAdamAndNamespace) {
  Checkpoint ck = Load("wrapper");
  ExpectMatchesTruth(ck, Truth("wrapper"));
  ASSERT_EQ(ck.optimizers.size(), 1u);
  EXPECT_EQ(ck.optimizers[0].state_tensors.at(0),
            (std::vector<std::string>{"['optimizer_state_dict']['state'][0]['step']",
                                      "['optimizer_state_dict']['state'][0]['exp_avg']",
                                      "['optimizer_state_dict']['state'][0]['exp_avg_sq']"}));
  EXPECT_EQ(ck.optimizers[0].groups[0].options.at("betas"), "(0.9, 0.999)");
}

TEST_F(ObjectInterpreterFixtures, LightningCheckpoint) {
  Checkpoint ck = Load("lightning");
  ExpectMatchesTruth(ck, Truth("lightning"));
  EXPECT_EQ(ck.tensors[0].name, "model.0.weight");
}

TEST_F(ObjectInterpreterFixtures, OptimizerFamilies) {
  for (const char* name : {"opt_rmsprop", "opt_adagrad", "opt_sgd", "opt_adamw_amsgrad", "opt_adadelta"}) {
    SCOPED_TRACE(name);
    Checkpoint ck = Load(name);
    ExpectMatchesTruth(ck, Truth(name));
  }
}

TEST_F(ObjectInterpreterFixtures, PickledModuleTree) {
  Checkpoint ck = Load("pickled_module");
  ExpectMatchesTruth(ck, Truth("pickled_module"));
  EXPECT_EQ(ck.modules[0].name, "Net");
  EXPECT_NE(std::find(ck.modules[0].attributes.begin(), ck.modules[0].attributes.end(), "missing"),
            ck.modules[0].attributes.end());
}

TEST_F(ObjectInterpreterFixtures, OtherLayoutUsesSubscriptPaths) {
  Checkpoint ck = Load("list_other");
  ExpectMatchesTruth(ck, Truth("list_other"));
  EXPECT_TRUE(ck.top_level_keys.empty());
}

TEST_F(ObjectInterpreterFixtures, LegacySixTuplePersistentIds) {
  Checkpoint ck = LoadLegacy("legacy_tied");
  ExpectMatchesTruth(ck, Truth("legacy_tied"));
  // Legacy storage keys are object ids, not "0", "1".
  for (const StorageInfo& s : ck.storages) EXPECT_GT(s.key.size(), 3u);
}

// Speed is measured in bench/; here every tensor must come out named.
TEST_F(ObjectInterpreterFixtures, TwentyThousandTensorsAreNamed) {
  std::string bytes = ReadFile(dir_ + "/big.pkl");
  Checkpoint ck;
  ck.pickles.emplace_back();
  ck.pickles[0].graph = PickleMachine().Run(bytes);
  ASSERT_TRUE(ck.pickles[0].graph.complete());
  InterpretObjects(ck, 0);
  ASSERT_EQ(ck.tensors.size(), 20000u);
  EXPECT_EQ(ck.tensors[0].name, "layer0.weight");
  EXPECT_EQ(ck.tensors[19999].name, "layer19999.weight");
  EXPECT_EQ(ck.layout, Layout::kStateDict);
}

// ---------------------------------------------------------------------------
// Hand-built graphs: shapes torch never writes.

class GraphBuilder {
 public:
  NodeId Add(PickleNode node) {
    node.offset = 100 + g.nodes.size();
    g.nodes.push_back(std::move(node));
    return static_cast<NodeId>(g.nodes.size() - 1);
  }
  NodeId Global(std::string module, std::string name) {
    PickleNode n;
    n.kind = PickleKind::kGlobal;
    n.text = g.Text(module);
    n.name = g.Text(name);
    NodeId id = Add(n);
    g.globals.push_back(GlobalRef{module, name, g.nodes[id].offset, 'c', false, id});
    return id;
  }
  NodeId Str(std::string s) {
    PickleNode n;
    n.kind = PickleKind::kStr;
    n.size = s.size();
    n.text = g.Text(s);
    return Add(n);
  }
  NodeId Int(int64_t v) {
    PickleNode n;
    n.kind = PickleKind::kInt;
    n.int_value = v;
    return Add(n);
  }
  NodeId Seq(PickleKind kind, std::vector<NodeId> items) {
    PickleNode n;
    n.kind = kind;
    n.items = g.List(items);
    return Add(n);
  }
  NodeId Tuple(std::vector<NodeId> items) { return Seq(PickleKind::kTuple, std::move(items)); }
  NodeId Call(NodeId callee, NodeId args) {
    PickleNode n;
    n.kind = PickleKind::kCall;
    n.callee = callee;
    n.args = args;
    return Add(n);
  }
  NodeId Pid(NodeId args) {
    PickleNode n;
    n.kind = PickleKind::kPersistentId;
    n.args = args;
    return Add(n);
  }
  // A well-formed _rebuild_tensor_v2 of a float32 (2,) tensor on storage `key`.
  NodeId Tensor(const std::string& key) {
    NodeId pid = Pid(Tuple({Str("storage"), Global("torch", "FloatStorage"), Str(key), Str("cpu"), Int(2)}));
    return Call(Global("torch._utils", "_rebuild_tensor_v2"),
                Tuple({pid, Int(0), Tuple({Int(2)}), Tuple({Int(1)}), Int(0), Tuple({})}));
  }
  Checkpoint Interpret(NodeId root) {
    g.root = root;
    Checkpoint ck;
    PickleStream s;
    s.record = "archive/data.pkl";
    s.graph = g;
    ck.pickles.push_back(std::move(s));
    InterpretObjects(ck, 0);
    return ck;
  }
  PickleGraph g;
};

bool HasProblem(const Checkpoint& ck, const std::string& code) {
  return std::any_of(ck.problems.begin(), ck.problems.end(),
                     [&](const ReaderProblem& p) { return p.code == code; });
}

TEST(ObjectInterpreterHostile, PersistentIdOfUnknownShape) {
  GraphBuilder b;
  NodeId bad_pid = b.Pid(b.Str("storage:0"));
  NodeId short_pid = b.Pid(b.Tuple({b.Str("storage"), b.Global("torch", "FloatStorage"), b.Str("1"), b.Str("cpu")}));
  NodeId rebuild = b.Global("torch._utils", "_rebuild_tensor_v2");
  NodeId t1 = b.Call(rebuild, b.Tuple({bad_pid, b.Int(0), b.Tuple({}), b.Tuple({})}));
  NodeId t2 = b.Call(rebuild, b.Tuple({short_pid, b.Int(0), b.Tuple({}), b.Tuple({})}));
  NodeId good = b.Tensor("2");
  NodeId root = b.Seq(PickleKind::kDict, {b.Str("a"), t1, b.Str("b"), t2, b.Str("c"), good});
  Checkpoint ck = b.Interpret(root);
  ASSERT_EQ(ck.tensors.size(), 1u);
  // One tensor among three values is not a state dict: subscript path.
  EXPECT_EQ(ck.tensors[0].name, "['c']");
  ASSERT_EQ(ck.problems.size(), 2u);
  for (const ReaderProblem& p : ck.problems) {
    EXPECT_EQ(p.code, "object.unrecognised-tensor");
    EXPECT_EQ(p.severity, Severity::kWarning);
    EXPECT_GE(p.offset, 100);
    EXPECT_EQ(p.record, "archive/data.pkl");
  }
}

// torch.save's shape, globals memoized: after the first tensor the walk of
// each tensor's arguments is replayed (ReplayDenseTensorWalk). Tensors that
// differ (a hooks dict with an entry, a size tuple shared by memo) take the
// full walk; every global keeps the consumer and path of its first use.
TEST(ObjectInterpreterHostile, MemoizedStateDictKeepsFirstUsesAndOddTensors) {
  GraphBuilder b;
  NodeId rebuild = b.Global("torch._utils", "_rebuild_tensor_v2");
  NodeId storage_class = b.Global("torch", "FloatStorage");
  NodeId ordered_dict = b.Global("collections", "OrderedDict");
  NodeId storage = b.Str("storage"), cpu = b.Str("cpu"), empty = b.Tuple({});
  auto tensor = [&](const std::string& key, NodeId size, NodeId hooks) {
    NodeId pid = b.Pid(b.Tuple({storage, storage_class, b.Str(key), cpu, b.Int(2)}));
    return b.Call(rebuild, b.Tuple({pid, b.Int(0), size, b.Tuple({b.Int(1)}), b.Int(0), hooks}));
  };
  NodeId shared_size = b.Tuple({b.Int(2)});
  NodeId a = tensor("0", shared_size, b.Call(ordered_dict, empty));
  NodeId c = tensor("1", b.Tuple({b.Int(2)}), b.Call(ordered_dict, empty));
  // A backward hook that is a function: the hooks OrderedDict has an entry.
  NodeId hooks_with_entry = b.Call(ordered_dict, empty);
  NodeId system = b.Global("os", "system");
  b.g.nodes[hooks_with_entry].set_items = b.g.List({b.Int(0), system});
  NodeId d = tensor("2", b.Tuple({b.Int(2)}), hooks_with_entry);
  NodeId e = tensor("3", shared_size, b.Call(ordered_dict, empty));  // size shared with a
  NodeId root = b.Seq(PickleKind::kDict, {b.Str("a"), a, b.Str("c"), c, b.Str("d"), d, b.Str("e"), e});
  Checkpoint ck = b.Interpret(root);

  ASSERT_EQ(ck.tensors.size(), 4u);
  EXPECT_EQ(ck.tensors[0].name, "a");
  EXPECT_EQ(ck.tensors[3].name, "e");
  EXPECT_EQ(ck.tensors[3].shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(ck.layout, Layout::kTensorDict);
  auto use = [&](const std::string& name) {
    auto it = std::find_if(ck.globals.begin(), ck.globals.end(),
                           [&](const GlobalUse& g) { return g.name == name; });
    return it == ck.globals.end() ? GlobalUse{} : *it;
  };
  EXPECT_EQ(use("_rebuild_tensor_v2").consumer, "REDUCE");
  EXPECT_EQ(use("_rebuild_tensor_v2").object_path, "['a']");
  EXPECT_EQ(use("FloatStorage").consumer, "persistent-id");
  EXPECT_EQ(use("FloatStorage").object_path, "['a'][0]");
  EXPECT_EQ(use("OrderedDict").consumer, "REDUCE");
  EXPECT_EQ(use("OrderedDict").object_path, "['a'][5]");
  // Inside the third tensor's hooks: found, with its own path.
  EXPECT_EQ(use("system").consumer, "value");
  EXPECT_EQ(use("system").object_path, "['d'][5][0]");
  EXPECT_TRUE(ck.problems.empty());
}

TEST(ObjectInterpreterHostile, UnknownRebuildFunctionAndWrongArgumentShapes) {
  GraphBuilder b;
  NodeId future = b.Call(b.Global("torch._utils", "_rebuild_from_the_future"), b.Tuple({b.Int(1)}));
  NodeId v3_no_dtype = b.Call(b.Global("torch._utils", "_rebuild_tensor_v3"), b.Tuple({b.Int(1)}));
  NodeId args_not_tuple = b.Call(b.Global("torch._utils", "_rebuild_parameter"), b.Str("x"));
  NodeId root = b.Seq(PickleKind::kList, {future, v3_no_dtype, args_not_tuple});
  Checkpoint ck = b.Interpret(root);
  EXPECT_TRUE(ck.tensors.empty());
  EXPECT_EQ(ck.problems.size(), 3u);
  EXPECT_EQ(ck.layout, Layout::kOther);
}

TEST(ObjectInterpreterHostile, DeeplyNestedParameterWrappers) {
  GraphBuilder b;
  NodeId t = b.Tensor("0");
  NodeId param = b.Global("torch._utils", "_rebuild_parameter");
  for (int i = 0; i < 100; ++i) t = b.Call(param, b.Tuple({t, b.Int(1), b.Tuple({})}));
  Checkpoint ck = b.Interpret(b.Seq(PickleKind::kDict, {b.Str("w"), t}));
  // Nesting beyond the bound is reported, not followed.
  EXPECT_TRUE(HasProblem(ck, "object.unrecognised-tensor"));
}

// Lightning hyper_parameters: literals are kept; a value that expands
// through shared references (4096 refs to a list of 4096 refs to ...) is cut
// by the value budget instead of being materialised.
TEST(ObjectInterpreterHostile, HyperParametersStayBounded) {
  GraphBuilder b;
  NodeId level = b.Seq(PickleKind::kList, {b.Int(1), b.Int(2)});
  for (int i = 0; i < 3; ++i) level = b.Seq(PickleKind::kList, std::vector<NodeId>(4096, level));
  NodeId hp = b.Seq(PickleKind::kDict, {b.Str("hidden"), b.Int(64), b.Str("huge"), level,
                                        b.Str("act"), b.Str("relu")});
  NodeId root = b.Seq(PickleKind::kDict, {b.Str("pytorch-lightning_version"), b.Str("2.1.0"),
                                          b.Str("hyper_parameters"), hp});
  Checkpoint ck = b.Interpret(root);
  EXPECT_EQ(ck.layout, Layout::kLightning);
  ASSERT_EQ(ck.hyper_parameters.count("hidden"), 1u);
  EXPECT_EQ(ck.hyper_parameters.at("hidden"), 64);
  EXPECT_EQ(ck.hyper_parameters.count("huge"), 0u);
  EXPECT_LE(ck.hyper_parameters.size(), 2u);
}

TEST(ObjectInterpreterHostile, BillionLaughsStaysLinear) {
  GraphBuilder b;
  NodeId level = b.Seq(PickleKind::kList, {b.Tensor("0"), b.Tensor("1")});
  for (int i = 0; i < 200; ++i) level = b.Seq(PickleKind::kList, {level, level});
  Checkpoint ck = b.Interpret(level);
  ASSERT_EQ(ck.tensors.size(), 2u);  // each edge into a tensor once, not 2^200 paths
  std::string outer;
  for (int i = 0; i < 200; ++i) outer += "[0]";
  EXPECT_EQ(ck.tensors[0].name, outer + "[0]");
  EXPECT_EQ(ck.tensors[1].name, outer + "[1]");
}

TEST(ObjectInterpreterHostile, DeepNestingAndCycles) {
  GraphBuilder b;
  NodeId inner = b.Tensor("0");
  for (int i = 0; i < 200000; ++i) inner = b.Seq(PickleKind::kList, {inner});
  // A list that contains itself.
  NodeId self = b.Seq(PickleKind::kList, {});
  b.g.nodes[self].items.Append(*b.g.arena, self);
  b.g.nodes[self].items.Append(*b.g.arena, 9999999);  // out of range: ignored
  NodeId root = b.Seq(PickleKind::kTuple, {inner, self});
  Checkpoint ck = b.Interpret(root);
  ASSERT_EQ(ck.tensors.size(), 1u);
  EXPECT_EQ(ck.tensors[0].name.rfind("...", 0), 0u);  // elided, innermost part kept
  EXPECT_LT(ck.tensors[0].name.size(), 2000u);
}

TEST(ObjectInterpreterHostile, BrokenPickleStillReportsConsumers) {
  GraphBuilder b;
  NodeId system = b.Global("os", "system");
  b.Call(system, b.Tuple({b.Str("echo pwned")}));  // never reaches STOP: no root
  Checkpoint ck = b.Interpret(kNoNode);
  ASSERT_EQ(ck.globals.size(), 1u);
  EXPECT_EQ(ck.globals[0].consumer, "REDUCE");
  EXPECT_EQ(ck.globals[0].object_path, "");
  EXPECT_EQ(ck.layout, Layout::kUnknown);
}

TEST(ObjectInterpreterHostile, NonDictRootAndStrangeKeys) {
  GraphBuilder b;
  NodeId root = b.Seq(PickleKind::kDict, {b.Int(3), b.Tensor("0"), b.Tuple({b.Str("a'b"), b.Int(1)}),
                                           b.Tensor("1")});
  Checkpoint ck = b.Interpret(root);
  ASSERT_EQ(ck.tensors.size(), 2u);
  EXPECT_EQ(ck.tensors[0].name, "[3]");
  EXPECT_EQ(ck.tensors[1].name, "[(\"a'b\", 1)]");
  EXPECT_EQ(ck.top_level_keys, (std::vector<std::string>{"3", "(\"a'b\", 1)"}));
  EXPECT_EQ(ck.layout, Layout::kOther);  // not string keys: not a state dict
}

TEST(ObjectInterpreterHostile, PersistentIdsOutsideRebuildCalls) {
  GraphBuilder b;
  NodeId storage = b.Pid(b.Tuple({b.Str("storage"), b.Global("torch", "HalfStorage"), b.Str("7"),
                                  b.Str("cpu"), b.Int(10)}));
  NodeId module = b.Pid(b.Tuple({b.Str("module"), b.Global("__main__", "Net"), b.Str("net.py"),
                                 b.Str("class Net: ...")}));
  NodeId weird = b.Pid(b.Tuple({b.Str("weird"), b.Int(1)}));
  Checkpoint ck = b.Interpret(b.Seq(PickleKind::kList, {storage, module, weird}));
  ASSERT_EQ(ck.storages.size(), 1u);  // a bare storage still needs its record
  EXPECT_EQ(ck.storages[0].key, "7");
  EXPECT_EQ(ck.storages[0].element_size, 2u);
  ASSERT_EQ(ck.problems.size(), 1u);
  EXPECT_EQ(ck.problems[0].code, "object.unrecognised-tensor");
  EXPECT_EQ(ck.problems[0].offset, static_cast<int64_t>(b.g.nodes[weird].offset));
  // The storage class inside a persistent id is consumed by it.
  auto half = std::find_if(ck.globals.begin(), ck.globals.end(),
                           [](const GlobalUse& g) { return g.name == "HalfStorage"; });
  ASSERT_NE(half, ck.globals.end());
  EXPECT_EQ(half->consumer, "persistent-id");
  EXPECT_EQ(half->object_path, "[0]");
}

TEST(ObjectInterpreterHelpers, StorageTypesAndNames) {
  EXPECT_STREQ(StorageTypeDtype("FloatStorage").dtype, "float32");
  EXPECT_EQ(StorageTypeDtype("ComplexDoubleStorage").element_size, 16u);
  EXPECT_EQ(StorageTypeDtype("QUInt4x2Storage").element_size, 1u);
  EXPECT_STREQ(StorageTypeDtype("UntypedStorage").dtype, "uint8");
  EXPECT_STREQ(StorageTypeDtype("NoSuchStorage").dtype, "");
  EXPECT_STREQ(LayoutName(Layout::kWrapperDict), "wrapper-dict");
  EXPECT_STREQ(LayoutName(Layout::kPickledModule), "pickled-module");
  EXPECT_STREQ(ContainerFormatName(ContainerFormat::kTorchZip), "torch-zip");
  EXPECT_STREQ(SeverityName(Severity::kInfo), "info");
  TensorInfo t;
  EXPECT_EQ(t.numel(), 1u);  // 0-d
  t.shape = {4, 0};
  EXPECT_EQ(t.numel(), 0u);
  t.shape = {1 << 30, 1 << 30, 1 << 30};
  EXPECT_EQ(t.numel(), UINT64_MAX);  // saturates
}

TEST(ObjectInterpreterHelpers, RebuildTensorV3WithUntypedStorage) {
  GraphBuilder b;
  NodeId pid = b.Pid(b.Tuple({b.Str("storage"), b.Global("torch", "UntypedStorage"), b.Str("0"),
                              b.Str("cuda:1"), b.Int(12)}));
  NodeId t = b.Call(b.Global("torch._utils", "_rebuild_tensor_v3"),
                    b.Tuple({pid, b.Int(0), b.Tuple({b.Int(3), b.Int(4)}), b.Tuple({b.Int(4), b.Int(1)}),
                             b.Int(0), b.Tuple({}), b.Global("torch", "float8_e4m3fn")}));
  Checkpoint ck = b.Interpret(b.Seq(PickleKind::kDict, {b.Str("w"), t}));
  ASSERT_EQ(ck.tensors.size(), 1u);
  EXPECT_EQ(ck.tensors[0].dtype, "float8_e4m3fn");
  EXPECT_EQ(ck.tensors[0].location, "cuda:1");
  ASSERT_EQ(ck.storages.size(), 1u);
  EXPECT_EQ(ck.storages[0].dtype, "uint8");
  EXPECT_EQ(ck.storages[0].numel, 12u);
  EXPECT_EQ(ck.layout, Layout::kTensorDict);
  EXPECT_TRUE(ck.problems.empty());
}

}  // namespace
}  // namespace ptlint
