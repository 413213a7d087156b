#include "analyzer/analysis/weights_only_simulation.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/formats/pickle_machine.h"

namespace ptlint {
namespace {

using std::string_literals::operator""s;

// {"lr": 0.01}: protocol 2 with a BINFLOAT.
const std::string kDictWithFloat = "\x80\x02}q\x00X\x02\x00\x00\x00lrq\x01G?\x84z\xe1G\xae\x14{s."s;
// A pickled __main__.Net instance: GLOBAL, EMPTY_TUPLE, NEWOBJ.
const std::string kMainNet = "\x80\x02" "c__main__\nNet\nq\x00)\x81q\x01}b."s;
const std::string kOsSystem = "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R."s;
const std::string kPy2Set = "\x80\x02" "c__builtin__\nset\n]\x85R."s;
const std::string kGetattr = "\x80\x02" "c__builtin__\ngetattr\n."s;
const std::string kProto4 = "\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94."s;
const std::string kStateDict =
    "\x80\x02" "ccollections\nOrderedDict\nq\x00)Rq\x01."s;

TEST(WeightsOnlyUnpickler, Torch113RejectsFloatsWithOperand71) {
  auto run = RunWeightsOnlyUnpickler(kDictWithFloat, 100, TorchVersion::k1_13);
  EXPECT_FALSE(run.ok);
  EXPECT_EQ(run.inner_message, "Unsupported operand 71");
  EXPECT_EQ(run.exception, "RuntimeError");
  EXPECT_EQ(run.offset, 100u + 14);  // the BINFLOAT opcode, absolute
  EXPECT_TRUE(RunWeightsOnlyUnpickler(kDictWithFloat, 0, TorchVersion::k2_4).ok);
  EXPECT_TRUE(RunWeightsOnlyUnpickler(kDictWithFloat, 0, TorchVersion::kCurrent).ok);
  EXPECT_EQ(TorchLoadErrorMessage(run, TorchVersion::k1_13),
            "_pickle.UnpicklingError: Weights only load failed. Re-running `torch.load` with "
            "`weights_only` set to `False` will likely succeed, but it can result in arbitrary "
            "code execution.Do it only if you get the file from a trusted source. "
            "WeightsUnpickler error: Unsupported operand 71");
}

TEST(WeightsOnlyUnpickler, UnsupportedGlobalWordingPerVersion) {
  EXPECT_EQ(RunWeightsOnlyUnpickler(kMainNet, 0, TorchVersion::k1_13).inner_message,
            "Unsupported class __main__.Net");
  EXPECT_EQ(RunWeightsOnlyUnpickler(kMainNet, 0, TorchVersion::k2_4).inner_message,
            "Unsupported global: GLOBAL __main__.Net was not an allowed global by default. Please "
            "use `torch.serialization.add_safe_globals([Net])` to allowlist this global if you "
            "trust this class/function.");
  EXPECT_EQ(RunWeightsOnlyUnpickler(kMainNet, 0, TorchVersion::k2_6).inner_message,
            "Unsupported global: GLOBAL __main__.Net was not an allowed global by default. Please "
            "use `torch.serialization.add_safe_globals([Net])` or the "
            "`torch.serialization.safe_globals([Net])` context manager to allowlist this global if "
            "you trust this class/function.");
  auto current = RunWeightsOnlyUnpickler(kMainNet, 0, TorchVersion::kCurrent);
  EXPECT_EQ(current.inner_message,
            "Unsupported global: GLOBAL __main__.Net was not an allowed global by default. Please "
            "use `torch.serialization.add_safe_globals([__main__.Net])` or the "
            "`torch.serialization.safe_globals([__main__.Net])` context manager to allowlist this "
            "global if you trust this class/function.");
  EXPECT_EQ(current.offset, 2u);
  std::string full = TorchLoadErrorMessage(current, TorchVersion::kCurrent);
  EXPECT_EQ(full.rfind("_pickle.UnpicklingError: Weights only load failed. This file can still be "
                       "loaded, to do so you have two options, \033[1mdo those steps only if you "
                       "trust the source of the checkpoint\033[0m. \n\t(1) In PyTorch 2.6, we "
                       "changed the default value",
                       0),
            0u);
  EXPECT_NE(full.find("\n\tWeightsUnpickler error: Unsupported global: GLOBAL __main__.Net"),
            std::string::npos);
  EXPECT_NE(full.find("https://pytorch.org/docs/stable/generated/torch.load.html."), std::string::npos);
}

TEST(WeightsOnlyUnpickler, BuiltinsArePrintedShortInCurrent) {
  auto run = RunWeightsOnlyUnpickler(kGetattr, 0, TorchVersion::kCurrent);
  EXPECT_NE(run.inner_message.find("GLOBAL builtins.getattr was not an allowed global"), std::string::npos);
  EXPECT_NE(run.inner_message.find("add_safe_globals([getattr])"), std::string::npos);
}

TEST(WeightsOnlyUnpickler, BlockedModules) {
  EXPECT_EQ(RunWeightsOnlyUnpickler(kOsSystem, 0, TorchVersion::k1_13).inner_message,
            "Unsupported class os.system");
  auto run = RunWeightsOnlyUnpickler(kOsSystem, 0, TorchVersion::k2_6, {"os.system"});
  EXPECT_EQ(run.inner_message, "Trying to load unsupported GLOBAL os.system whose module os is blocked.");
  std::string full = TorchLoadErrorMessage(run, TorchVersion::k2_6);
  // Blocked modules get no "please file an issue" line.
  EXPECT_EQ(full.find("Please file an issue"), std::string::npos);
  EXPECT_NE(full.find("In PyTorch 2.6, we changed"), std::string::npos);
}

TEST(WeightsOnlyUnpickler, Python2NamesAndTheSetAllowlist) {
  EXPECT_EQ(RunWeightsOnlyUnpickler(kPy2Set, 0, TorchVersion::k1_13).inner_message,
            "Unsupported class __builtin__.set");
  EXPECT_NE(RunWeightsOnlyUnpickler(kPy2Set, 0, TorchVersion::k2_4).inner_message.find("GLOBAL builtins.set"),
            std::string::npos);
  EXPECT_TRUE(RunWeightsOnlyUnpickler(kPy2Set, 0, TorchVersion::k2_6).ok);
}

TEST(WeightsOnlyUnpickler, Protocol4FailsOnFrame) {
  auto run = RunWeightsOnlyUnpickler(kProto4, 0, TorchVersion::kCurrent);
  EXPECT_EQ(run.inner_message, "Unsupported operand 149");
  EXPECT_EQ(run.offset, 2u);
}

TEST(WeightsOnlyUnpickler, StateDictContainerLoads) {
  for (TorchVersion v : kAllTorchVersions) EXPECT_TRUE(RunWeightsOnlyUnpickler(kStateDict, 0, v).ok);
}

TEST(WeightsOnlyUnpickler, TruncatedAndEmptyInputsNeverCrash) {
  for (TorchVersion v : kAllTorchVersions) {
    for (size_t n = 0; n < kStateDict.size(); ++n) {
      auto run = RunWeightsOnlyUnpickler(std::string_view(kStateDict).substr(0, n), 0, v);
      EXPECT_FALSE(run.ok) << n;
      EXPECT_FALSE(run.exception.empty()) << n;
    }
  }
}

Checkpoint OnePickle(ContainerFormat format, const std::string& bytes) {
  Checkpoint c;
  c.path = "mem.pt";
  c.format = format;
  PickleStream s;
  s.record = "archive/data.pkl";
  s.index = 0;
  s.graph = PickleMachine().Run(bytes, 0);
  c.pickles.push_back(std::move(s));
  return c;
}

TEST(SimulateWeightsOnly, OffendersAndMinimalAddSafeGlobalsLine) {
  // {'args': argparse.Namespace(), 'sc': numpy.core.multiarray.scalar(...)}
  std::string bytes =
      "\x80\x02}q\x00(X\x04\x00\x00\x00" "argsq\x01" "cargparse\nNamespace\nq\x02)\x81q\x03}q\x04b"
      "X\x02\x00\x00\x00scq\x05" "cnumpy.core.multiarray\nscalar\nq\x06)Rq\x07u."s;
  Checkpoint c = OnePickle(ContainerFormat::kTorchZip, bytes);
  GlobalUse use;
  use.module = "argparse";
  use.name = "Namespace";
  use.offset = bytes.find("cargparse");
  use.object_path = "['args']";
  c.globals.push_back(use);
  WeightsOnlyOptions options;
  options.pickle_bytes = [&](const Checkpoint&, const PickleStream&) { return std::optional<std::string>(bytes); };
  auto p = SimulateWeightsOnly(c, TorchVersion::k2_6, options);
  EXPECT_TRUE(p.default_weights_only);
  EXPECT_FALSE(p.loads);
  EXPECT_TRUE(p.exact);
  EXPECT_EQ(p.offset, static_cast<int64_t>(bytes.find("cargparse")));
  ASSERT_EQ(p.offenders.size(), 2u);
  EXPECT_EQ(p.offenders[0].qualified, "argparse.Namespace");
  EXPECT_EQ(p.offenders[0].object_path, "['args']");
  EXPECT_EQ(p.offenders[1].qualified, "numpy.core.multiarray.scalar");
  EXPECT_EQ(p.add_safe_globals, "torch.serialization.add_safe_globals([Namespace, scalar])");
  ASSERT_EQ(p.imports.size(), 2u);
  EXPECT_EQ(p.imports[0], "from argparse import Namespace");
  EXPECT_EQ(p.imports[1], "from numpy.core.multiarray import scalar");
  EXPECT_TRUE(p.loads_after_allowlisting) << p.message_after_allowlisting;

  auto old = SimulateWeightsOnly(c, TorchVersion::k2_4, options);
  EXPECT_FALSE(old.default_weights_only);
  // 2.4 only lets NEWOBJ build classes the user allowlisted: it works after allowlisting too.
  EXPECT_TRUE(old.loads_after_allowlisting) << old.message_after_allowlisting;
}

TEST(SimulateWeightsOnly, DangerousGlobalsStayOutOfTheAllowlistLine) {
  Checkpoint c = OnePickle(ContainerFormat::kRawPickle, kOsSystem);
  WeightsOnlyOptions options;
  options.pickle_bytes = [&](const Checkpoint&, const PickleStream&) { return std::optional<std::string>(kOsSystem); };
  auto p = SimulateWeightsOnly(c, TorchVersion::kCurrent, options);
  ASSERT_EQ(p.offenders.size(), 1u);
  EXPECT_TRUE(p.offenders[0].blocked);
  EXPECT_EQ(p.offenders[0].tier, SafetyTier::kCodeExecution);
  EXPECT_TRUE(p.add_safe_globals.empty());
  EXPECT_NE(p.message.find("whose module os is blocked"), std::string::npos);
}

// issue 12 §1: PTL303's fix must never allowlist what can run code. A
// re-export of torch's importer is not blocked by torch (module `torch`),
// so only ptlint's classification keeps it out of the line.
TEST(SimulateWeightsOnly, ReexportsAndChainsStayOutOfTheAllowlistLine) {
  std::string bytes = "\x80\x02}(X\x01\x00\x00\x00" "acargparse\nNamespace\n)\x81"
                      "X\x01\x00\x00\x00" "bctorch\n_import_dotted_name\nu."s;
  Checkpoint c = OnePickle(ContainerFormat::kTorchZip, bytes);
  WeightsOnlyOptions options;
  options.pickle_bytes = [&](const Checkpoint&, const PickleStream&) { return std::optional<std::string>(bytes); };
  auto p = SimulateWeightsOnly(c, TorchVersion::k2_6, options);
  ASSERT_EQ(p.offenders.size(), 2u);
  EXPECT_FALSE(p.offenders[0].can_run_code);
  EXPECT_EQ(p.offenders[1].qualified, "torch._import_dotted_name");
  EXPECT_TRUE(p.offenders[1].can_run_code);
  EXPECT_FALSE(p.offenders[1].blocked);
  EXPECT_EQ(p.add_safe_globals, "torch.serialization.add_safe_globals([Namespace])");
  EXPECT_EQ(p.add_safe_globals.find("_import_dotted_name"), std::string::npos);
}

// torch keys add_safe_globals by the class's own __module__.__qualname__: a
// class the file names `configs.TrainConfig`, defined today in configs.train
// and re-exported, needs the (class, name) form (2.6+), which 2.4 lacks.
TEST(SimulateWeightsOnly, ClassDefinedElsewhereIsAllowlistedUnderTheFilesName) {
  std::string bytes = "\x80\x02}(X\x01\x00\x00\x00" "ccconfigs\nTrainConfig\n)\x81u."s;
  Checkpoint c = OnePickle(ContainerFormat::kTorchZip, bytes);
  WeightsOnlyOptions options;
  options.pickle_bytes = [&](const Checkpoint&, const PickleStream&) { return std::optional<std::string>(bytes); };
  options.defined_as = [](const std::string& module, const std::string& name)
      -> std::optional<std::pair<std::string, std::string>> {
    if (module == "configs" && name == "TrainConfig") return std::make_pair(std::string("configs.train"), name);
    return std::nullopt;
  };
  auto p = SimulateWeightsOnly(c, TorchVersion::k2_6, options);
  ASSERT_EQ(p.offenders.size(), 1u);
  EXPECT_EQ(p.add_safe_globals, "torch.serialization.add_safe_globals([(TrainConfig, \"configs.TrainConfig\")])");
  EXPECT_EQ(p.imports, std::vector<std::string>{"from configs.train import TrainConfig"});
  EXPECT_EQ(p.defined_elsewhere, std::vector<std::string>{"configs.TrainConfig (defined as configs.train.TrainConfig)"});
  EXPECT_TRUE(p.loads_after_allowlisting) << p.message_after_allowlisting;

  auto old = SimulateWeightsOnly(c, TorchVersion::k2_4, options);
  EXPECT_TRUE(old.add_safe_globals.empty()) << old.add_safe_globals;
  EXPECT_EQ(old.defined_elsewhere.size(), 1u);
  EXPECT_FALSE(old.loads_after_allowlisting);

  // Defined where the file says: the plain form, as before.
  options.defined_as = [](const std::string& module, const std::string& name)
      -> std::optional<std::pair<std::string, std::string>> { return std::make_pair(module, name); };
  auto same = SimulateWeightsOnly(c, TorchVersion::k2_6, options);
  EXPECT_EQ(same.add_safe_globals, "torch.serialization.add_safe_globals([TrainConfig])");
  EXPECT_TRUE(same.defined_elsewhere.empty());
}

// issue 12 §5: 10^6 nested tuples once overflowed the stack when the
// symbolic values were destroyed (each tuple owned its items).
TEST(WeightsOnlyUnpickler, MillionNestedTuplesDoNotRecurse) {
  std::string tuples = "\x80\x02N"s + std::string(1000000, '\x85') + ".";
  for (TorchVersion v : kAllTorchVersions) {
    WeightsOnlyPickleRun run = RunWeightsOnlyUnpickler(tuples, 0, v);
    EXPECT_TRUE(run.ok) << run.inner_message;
  }
  std::string marked = "\x80\x02"s;
  for (int i = 0; i < 100000; ++i) marked += "(";
  marked += "N";
  for (int i = 0; i < 100000; ++i) marked += "t";
  marked += ".";
  EXPECT_TRUE(RunWeightsOnlyUnpickler(marked, 0, TorchVersion::kCurrent).ok);
}

// torch checks pid[0] of any tuple persistent id, however long; the old
// port kept items only for tuples of up to 8 and let longer ones through.
TEST(WeightsOnlyUnpickler, PersistentIdOfAnyLengthIsChecked) {
  std::string pid = "\x80\x02(X\x04\x00\x00\x00" "evilNNNNNNNNNNtQ."s;
  WeightsOnlyPickleRun run = RunWeightsOnlyUnpickler(pid, 0, TorchVersion::kCurrent);
  EXPECT_FALSE(run.ok);
  EXPECT_EQ(run.inner_message, "Only persistent_load of storage is allowed, but got evil");
}

TEST(SimulateWeightsOnly, TorchScriptAndLegacyTar) {
  Checkpoint ts = OnePickle(ContainerFormat::kTorchScript, kStateDict);
  auto modern = SimulateWeightsOnly(ts, TorchVersion::k2_6);
  EXPECT_FALSE(modern.loads);
  EXPECT_EQ(modern.message.rfind("RuntimeError: Cannot use ``weights_only=True`` with TorchScript "
                                 "archives passed to ``torch.load``. In PyTorch 2.6",
                                 0),
            0u);
  auto old = SimulateWeightsOnly(ts, TorchVersion::k1_13);
  EXPECT_TRUE(old.loads);
  EXPECT_NE(old.note.find("torch.jit.load"), std::string::npos);
  Checkpoint tar = OnePickle(ContainerFormat::kLegacyTar, kStateDict);
  EXPECT_NE(SimulateWeightsOnly(tar, TorchVersion::kCurrent).message.find("legacy .tar format"),
            std::string::npos);
  Checkpoint st;
  st.format = ContainerFormat::kSafetensors;
  EXPECT_FALSE(SimulateWeightsOnly(st, TorchVersion::kCurrent).applicable);
}

TEST(SimulateWeightsOnly, FallsBackToTheGraphWithoutBytes) {
  Checkpoint c = OnePickle(ContainerFormat::kRawPickle, kMainNet);
  WeightsOnlyOptions options;
  options.pickle_bytes = [](const Checkpoint&, const PickleStream&) { return std::optional<std::string>(); };
  auto p = SimulateWeightsOnly(c, TorchVersion::k1_13, options);
  EXPECT_FALSE(p.exact);
  EXPECT_FALSE(p.loads);
  EXPECT_NE(p.message.find("Unsupported class __main__.Net"), std::string::npos);
}

// Differential test against the real torch 1.13 on files this test makes
// itself (never on the peer corpus): the predicted message must be the one
// torch.load(weights_only=True) raises, byte for byte.
TEST(SimulateWeightsOnly, MatchesRealTorch113) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(PTLINT_BINARY_DIR) / "h5_weights_only_oracle";
  fs::create_directories(dir);
  fs::path script = dir / "make.py";
  std::ofstream(script) << R"PY(
import sys, argparse, collections, torch, torch.nn as nn
out = sys.argv[1]
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
m(torch.randn(4, 2)).sum().backward(); opt.step()
cases = {
  'state_dict.pt': (m.state_dict(), {}),
  'adam.pt': (opt.state_dict(), {}),
  'module.pt': (m, {}),
  'namespace.pt': ({'args': argparse.Namespace(lr=1), 'sd': m.state_dict()}, {}),
  'legacy_state_dict.pt': (m.state_dict(), {'_use_new_zipfile_serialization': False}),
  'legacy_module.pt': (m, {'_use_new_zipfile_serialization': False}),
  'proto4.pt': ({'w': torch.zeros(2)}, {'pickle_protocol': 4}),
}
for name, (obj, kw) in cases.items():
    torch.save(obj, f'{out}/{name}', **kw)
# The same archive with every record deflated: torch's miniz reader inflates
# it; the pickle's bytes are not in the file as they are unpickled.
import zipfile
with zipfile.ZipFile(f'{out}/module.pt') as src, zipfile.ZipFile(f'{out}/deflated.pt', 'w', zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))
cases['deflated.pt'] = None
for name in cases:
    try:
        torch.load(f'{out}/{name}', weights_only=True)
        msg = 'OK'
    except Exception as e:
        msg = f'{type(e).__module__}.{type(e).__name__}: {e}'.replace('builtins.', '', 1) if type(e).__module__ == 'builtins' else f'{type(e).__module__}.{type(e).__name__}: {e}'
    open(f'{out}/{name}.expected', 'w').write(msg)
)PY";
  std::string cmd = std::string(PTLINT_PYTHON) + " " + script.string() + " " + dir.string() +
                    " > " + (dir / "log.txt").string() + " 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "torch 1.13 not available: see " << (dir / "log.txt");
  for (const char* name : {"state_dict.pt", "adam.pt", "module.pt", "namespace.pt",
                           "legacy_state_dict.pt", "legacy_module.pt", "proto4.pt",
                           "deflated.pt"}) {
    std::ifstream in(dir / (std::string(name) + ".expected"));
    std::stringstream expected;
    expected << in.rdbuf();
    // The simulation works from what the reader handed over: the file is
    // gone before it runs, and the run is still exact.
    fs::path copy = dir / (std::string(name) + ".read-then-removed");
    fs::copy_file(dir / name, copy, fs::copy_options::overwrite_existing);
    Checkpoint c = ReadCheckpoint(copy.string());
    fs::remove(copy);
    auto p = SimulateWeightsOnly(c, TorchVersion::k1_13);
    std::string predicted = p.loads ? "OK" : p.message;
    EXPECT_EQ(predicted, expected.str()) << name;
    EXPECT_TRUE(p.exact) << name;
  }
}

}  // namespace
}  // namespace ptlint
