#include "analyzer/analysis/global_safety.h"

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
