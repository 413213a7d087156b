#include "analyzer/analysis/global_safety.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

SafetyContext Ctx(TorchVersion v = TorchVersion::kCurrent) {
  SafetyContext c;
  c.torch_version = v;
  return c;
}

TEST(GlobalSafety, TorchRebuildFunctionsAreAllowlisted) {
  auto c = ClassifyGlobal("torch._utils", "_rebuild_tensor_v2", Ctx());
  EXPECT_EQ(c.tier, SafetyTier::kTorchAllowlist);
  EXPECT_EQ(ClassifyGlobal("collections", "OrderedDict", Ctx()).tier, SafetyTier::kTorchAllowlist);
  EXPECT_EQ(ClassifyGlobal("torch", "FloatStorage", Ctx()).tier, SafetyTier::kTorchAllowlist);
}

TEST(GlobalSafety, AllowlistDependsOnTorchVersion) {
  // _rebuild_tensor_v3 appeared in 2.x; builtins.set in 2.6.
  EXPECT_FALSE(InTorchWeightsOnlyAllowlist("torch._utils._rebuild_tensor_v3", TorchVersion::k1_13));
  EXPECT_TRUE(InTorchWeightsOnlyAllowlist("torch._utils._rebuild_tensor_v3", TorchVersion::k2_4));
  EXPECT_FALSE(InTorchWeightsOnlyAllowlist("builtins.set", TorchVersion::k2_4));
  EXPECT_TRUE(InTorchWeightsOnlyAllowlist("builtins.set", TorchVersion::k2_6));
  EXPECT_FALSE(InTorchWeightsOnlyAllowlist("collections.Counter", TorchVersion::k1_13));
  EXPECT_TRUE(InTorchWeightsOnlyAllowlist("torch._utils._rebuild_sparse_csr_tensor", TorchVersion::k1_13));
  // torch 1.13's own list has exactly 90 names (evaluated on Debian's torch).
  EXPECT_EQ(TorchWeightsOnlyAllowlist(TorchVersion::k1_13).size(), 90u);
  EXPECT_GT(TorchWeightsOnlyAllowlist(TorchVersion::kCurrent).size(),
            TorchWeightsOnlyAllowlist(TorchVersion::k2_6).size());
}

TEST(GlobalSafety, CodeExecutionTier) {
  for (auto [m, n] : std::vector<std::pair<const char*, const char*>>{
           {"os", "system"}, {"posix", "system"}, {"nt", "system"}, {"subprocess", "Popen"},
           {"builtins", "eval"}, {"builtins", "exec"}, {"builtins", "getattr"},
           {"builtins", "__import__"}, {"runpy", "_run_code"}, {"marshal", "loads"},
           {"types", "FunctionType"}, {"importlib", "import_module"}, {"torch.hub", "load"},
           {"torch", "load"}, {"torch.storage", "_load_from_bytes"}, {"pickle", "loads"},
           {"multiprocessing.util", "spawnv_passfds"}, {"_interpreters", "create"}}) {
    auto c = ClassifyGlobal(m, n, Ctx());
    EXPECT_EQ(c.tier, SafetyTier::kCodeExecution) << m << "." << n;
    EXPECT_FALSE(c.why.empty()) << m << "." << n;
  }
}

TEST(GlobalSafety, NetworkFileSystemAndGadgetTiers) {
  for (const char* m : {"smtplib", "imaplib", "ftplib", "poplib", "telnetlib", "nntplib", "socket",
                        "urllib.request", "http.client", "requests"}) {
    EXPECT_EQ(ClassifyGlobal(m, "X", Ctx()).tier, SafetyTier::kNetwork) << m;
  }
  EXPECT_EQ(ClassifyGlobal("shutil", "rmtree", Ctx()).tier, SafetyTier::kFileSystem);
  EXPECT_EQ(ClassifyGlobal("io", "open", Ctx()).tier, SafetyTier::kFileSystem);
  EXPECT_EQ(ClassifyGlobal("_io", "FileIO", Ctx()).tier, SafetyTier::kFileSystem);
  EXPECT_EQ(ClassifyGlobal("logging", "FileHandler", Ctx()).tier, SafetyTier::kFileSystem);
  EXPECT_EQ(ClassifyGlobal("linecache", "getline", Ctx()).tier, SafetyTier::kFileSystem);
  EXPECT_EQ(ClassifyGlobal("functools", "partial", Ctx()).tier, SafetyTier::kGadget);
  EXPECT_EQ(ClassifyGlobal("builtins", "print", Ctx()).tier, SafetyTier::kGadget);
}

TEST(GlobalSafety, Python2NamesAreMappedBeforeClassifying) {
  auto c = ClassifyGlobal("__builtin__", "eval", Ctx());
  EXPECT_EQ(c.tier, SafetyTier::kCodeExecution);
  EXPECT_EQ(c.normalized.qualified(), "builtins.eval");
  EXPECT_EQ(NormalizeGlobal("copy_reg", "_reconstructor").qualified(), "copyreg._reconstructor");
  EXPECT_EQ(NormalizeGlobal("__builtin__", "set").qualified(), "builtins.set");
  EXPECT_EQ(NormalizeGlobal("exceptions", "ValueError").qualified(), "builtins.ValueError");
  EXPECT_EQ(NormalizeGlobal("commands", "getoutput").qualified(), "subprocess.getoutput");
  EXPECT_EQ(ClassifyGlobal("commands", "getoutput", Ctx()).tier, SafetyTier::kCodeExecution);
  EXPECT_EQ(ClassifyGlobal("__builtin__", "set", Ctx()).tier, SafetyTier::kTorchAllowlist);
}

TEST(GlobalSafety, DottedNamesResolveThroughAttributeChains) {
  // pathlib + "os.system" is os.system with protocol 4.
  auto c = ClassifyGlobal("pathlib", "os.system", Ctx());
  EXPECT_EQ(c.tier, SafetyTier::kCodeExecution);
  EXPECT_NE(c.why.find("os.system"), std::string::npos);
  auto intro = ClassifyGlobal("builtins", "print.__class__.__base__.__subclasses__", Ctx());
  EXPECT_EQ(intro.tier, SafetyTier::kGadget);
  EXPECT_EQ(ClassifyGlobal("numpy", "__builtins__", Ctx()).tier, SafetyTier::kGadget);
}

// issue 12 §1: a `*` allowlist entry vouches for the names a module defines,
// never for what a protocol-4 dotted chain reaches through it. Each chain
// below ran code under real torch 1.13 (tests/security_redteam_test.cc
// confirms it with a marker file).
TEST(GlobalSafety, WildcardsDoNotVouchForChainsThroughTheirModules) {
  auto dotted = ClassifyGlobal("torch.nn.modules.module", "torch._import_dotted_name", Ctx());
  EXPECT_EQ(dotted.tier, SafetyTier::kCodeExecution);
  EXPECT_NE(dotted.why.find("torch._utils._import_dotted_name"), std::string::npos) << dotted.why;
  EXPECT_TRUE(CanRunCode(dotted));
  for (auto [m, n] : std::vector<std::pair<const char*, const char*>>{
           {"torch.nn.modules.module", "torch.inspect.tokenize._builtin_open"},
           {"torch.optim.optimizer", "torch.inspect.tokenize._builtin_open"},
           {"torch._utils", "traceback.linecache.tokenize._builtin_open"},
           {"torch.nn.modules.linear", "torch.inspect.tokenize._builtin_open"}}) {
    auto c = ClassifyGlobal(m, n, Ctx());
    EXPECT_EQ(c.tier, SafetyTier::kFileSystem) << m << " + " << n << ": " << c.why;
    EXPECT_NE(c.why.find("_builtin_open"), std::string::npos) << c.why;
  }
  // A chain whose end no list knows is not vouched for by where it starts:
  // fail closed (PTL604), for wildcard and exact entries alike.
  for (auto [m, n] : std::vector<std::pair<const char*, const char*>>{
           {"torch.nn.modules.linear", "Linear.forward"},
           {"torch.nn.modules", "linear.Linear"},
           {"torch.optim.sgd", "SGD.step"},
           {"torch._utils", "_rebuild_tensor_v2.__call__"},
           {"collections", "OrderedDict.fromkeys"},
           {"torch", "nn.modules.module.torch.ops"}}) {
    auto c = ClassifyGlobal(m, n, Ctx());
    EXPECT_FALSE(IsSafeTier(c.tier)) << m << " + " << n;
    EXPECT_TRUE(c.unresolvable) << m << " + " << n << ": " << c.why;
    EXPECT_TRUE(CanRunCode(c)) << m << " + " << n;
  }
  // A chain in a module nobody vouches for is as unknown as the module.
  auto plain = ClassifyGlobal("mylib.models", "Net.Block", Ctx());
  EXPECT_EQ(plain.tier, SafetyTier::kUnknown);
  EXPECT_FALSE(plain.unresolvable);
  // What honest pickles name stays safe.
  EXPECT_EQ(ClassifyGlobal("torch.nn.modules.linear", "Linear", Ctx()).tier, SafetyTier::kStdlibSafe);
  EXPECT_EQ(ClassifyGlobal("torch.optim.sgd", "SGD", Ctx()).tier, SafetyTier::kStdlibSafe);
  EXPECT_EQ(ClassifyGlobal("torch._utils", "_rebuild_tensor_v2", Ctx()).tier, SafetyTier::kTorchAllowlist);
  // A chain spelled exactly as an allowlisted name is that name.
  EXPECT_EQ(ClassifyGlobal("torch", "_utils._rebuild_tensor_v2", Ctx()).tier, SafetyTier::kTorchAllowlist);
}

TEST(GlobalSafety, ConfigWildcardsVouchOnlyForSingleNames) {
  SafetyContext c = Ctx();
  c.safe_globals = {"omegaconf.*"};
  EXPECT_EQ(ClassifyGlobal("omegaconf.dictconfig", "DictConfig", c).tier, SafetyTier::kConfigSafe);
  auto chain = ClassifyGlobal("omegaconf.dictconfig", "DictConfig.__init__.x", c);
  EXPECT_FALSE(IsSafeTier(chain.tier));
  EXPECT_TRUE(CanRunCode(chain));
  auto unknown_end = ClassifyGlobal("omegaconf.dictconfig", "DictConfig.copy", c);
  EXPECT_TRUE(unknown_end.unresolvable) << unknown_end.why;
}

// issue 12 §1: `torch._import_dotted_name` and every other re-export of a
// dangerous primitive is dangerous, judged by what it is.
TEST(GlobalSafety, ReexportsAreJudgedByWhatTheyAre) {
  EXPECT_EQ(ReexportOrigin("torch._import_dotted_name"), "torch._utils._import_dotted_name");
  EXPECT_EQ(ReexportOrigin("tokenize._builtin_open"), "io.open");
  EXPECT_EQ(ReexportOrigin("torch.nn.modules.linear.Linear"), "");
  auto c = ClassifyGlobal("torch", "_import_dotted_name", Ctx());
  EXPECT_EQ(c.tier, SafetyTier::kCodeExecution);
  EXPECT_NE(c.why.find("re-exported"), std::string::npos) << c.why;
  EXPECT_EQ(ClassifyGlobal("torch.serialization", "_import_dotted_name", Ctx()).tier,
            SafetyTier::kCodeExecution);
  EXPECT_EQ(ClassifyGlobal("tokenize", "_builtin_open", Ctx()).tier, SafetyTier::kFileSystem);
  EXPECT_EQ(ClassifyGlobal("bz2", "_builtin_open", Ctx()).tier, SafetyTier::kFileSystem);
  EXPECT_EQ(ClassifyGlobal("torchvision.models.resnet", "partial", Ctx()).tier, SafetyTier::kGadget);
  // A module a wildcard-vouched module merely imports: not vouched for.
  EXPECT_EQ(ClassifyGlobal("torch._utils", "sys", Ctx()).tier, SafetyTier::kCodeExecution);
  auto imported = ClassifyGlobal("torch.nn.modules.module", "torch", Ctx());
  EXPECT_FALSE(IsSafeTier(imported.tier));
  EXPECT_TRUE(imported.unresolvable) << imported.why;
  // A harmless re-export is as safe as its origin.
  EXPECT_TRUE(IsSafeTier(ClassifyGlobal("torch.nn.modules.module", "OrderedDict", Ctx()).tier));
  EXPECT_TRUE(IsSafeTier(ClassifyGlobal("torch.nn.modules.linear", "Tensor", Ctx()).tier));
}

// Every row of the generated table is found by the lookup (which also
// proves the table is sorted for the binary search).
TEST(GlobalSafety, ReexportTableIsSortedAndComplete) {
  std::ifstream in(std::string(PTLINT_SOURCE_DIR) + "/analyzer/analysis/global_safety.reexports.inc");
  ASSERT_TRUE(in) << "global_safety.reexports.inc";
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.rfind("{\"", 0) != 0) continue;
    size_t a = line.find('"', 2);
    size_t b = line.find('"', a + 1);
    size_t c = line.find('"', b + 1);
    size_t d = line.find('"', c + 1);
    size_t e = line.find('"', d + 1);
    ASSERT_NE(e, std::string::npos) << line;
    std::string alias = line.substr(2, a - 2);
    std::string module = line.substr(b + 1, c - b - 1);
    std::string name = line.substr(d + 1, e - d - 1);
    EXPECT_EQ(ReexportOrigin(alias), name.empty() ? module : module + "." + name) << alias;
    ++rows;
  }
  EXPECT_GT(rows, 300);
}

TEST(GlobalSafety, ChainsTooLongToFollowAreUnresolvable) {
  std::string many = "a";
  for (int i = 0; i < 40; ++i) many += ".a";
  auto c = ClassifyGlobal("torch.nn.modules.module", many, Ctx());
  EXPECT_TRUE(c.unresolvable);
  EXPECT_FALSE(IsSafeTier(c.tier));
  std::string wide = "Linear." + std::string(2000, 'x');
  EXPECT_TRUE(ClassifyGlobal("torch.nn.modules.linear", wide, Ctx()).unresolvable);
}

TEST(GlobalSafety, UnknownUnlessSomethingVouches) {
  auto c = ClassifyGlobal("ultralytics.nn.tasks", "DetectionModel", Ctx());
  EXPECT_EQ(c.tier, SafetyTier::kUnknown);
  EXPECT_FALSE(c.why.empty());
  EXPECT_EQ(ClassifyGlobal("__main__", "Net", Ctx()).tier, SafetyTier::kUnknown);
}

TEST(GlobalSafety, ProjectClassesAndConfigSafeGlobals) {
  SafetyContext c = Ctx();
  c.project_class = [](std::string_view module, std::string_view name) {
    return module == "models.yolo" && name == "Detect";
  };
  c.safe_globals = {"omegaconf.*", "my.Thing"};
  EXPECT_EQ(ClassifyGlobal("models.yolo", "Detect", c).tier, SafetyTier::kProjectOwn);
  EXPECT_EQ(ClassifyGlobal("models.yolo", "Other", c).tier, SafetyTier::kUnknown);
  EXPECT_EQ(ClassifyGlobal("omegaconf.listconfig", "ListConfig", c).tier, SafetyTier::kConfigSafe);
  EXPECT_EQ(ClassifyGlobal("my", "Thing", c).tier, SafetyTier::kConfigSafe);
  // A config entry cannot make a code-execution global safe.
  c.safe_globals.insert("os.system");
  auto os = ClassifyGlobal("os", "system", c);
  EXPECT_EQ(os.tier, SafetyTier::kCodeExecution);
  EXPECT_NE(os.overridden_allowlist.find("os.system"), std::string::npos);
}

TEST(GlobalSafety, StdlibSafeDataConstructors) {
  EXPECT_EQ(ClassifyGlobal("argparse", "Namespace", Ctx()).tier, SafetyTier::kStdlibSafe);
  EXPECT_EQ(ClassifyGlobal("numpy.core.multiarray", "_reconstruct", Ctx()).tier, SafetyTier::kStdlibSafe);
  EXPECT_EQ(ClassifyGlobal("torch.nn.modules.linear", "Linear", Ctx()).tier, SafetyTier::kStdlibSafe);
  // ...but not a torch helper that imports by name.
  EXPECT_EQ(ClassifyGlobal("torch._utils", "_import_dotted_name", Ctx()).tier, SafetyTier::kCodeExecution);
  EXPECT_EQ(ClassifyGlobal("uuid", "_get_command_stdout", Ctx()).tier, SafetyTier::kCodeExecution);
  EXPECT_EQ(ClassifyGlobal("uuid", "UUID", Ctx()).tier, SafetyTier::kStdlibSafe);
}

TEST(GlobalSafety, ParsesTorchVersions) {
  EXPECT_EQ(ParseTorchVersion("1.13"), TorchVersion::k1_13);
  EXPECT_EQ(ParseTorchVersion("1.13.1+cpu"), TorchVersion::k1_13);
  EXPECT_EQ(ParseTorchVersion("2.4"), TorchVersion::k2_4);
  EXPECT_EQ(ParseTorchVersion("2.5.1"), TorchVersion::k2_4);
  EXPECT_EQ(ParseTorchVersion("2.6.0"), TorchVersion::k2_6);
  EXPECT_EQ(ParseTorchVersion("2.9"), TorchVersion::k2_6);
  EXPECT_EQ(ParseTorchVersion("2.10"), TorchVersion::kCurrent);
  EXPECT_EQ(ParseTorchVersion("current"), TorchVersion::kCurrent);
  EXPECT_FALSE(ParseTorchVersion("banana").has_value());
  EXPECT_FALSE(ParseTorchVersion("2").has_value());
  EXPECT_TRUE(WeightsOnlyIsDefault(TorchVersion::k2_6));
  EXPECT_FALSE(WeightsOnlyIsDefault(TorchVersion::k2_4));
}

}  // namespace
}  // namespace ptlint
