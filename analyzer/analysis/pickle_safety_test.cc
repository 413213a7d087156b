#include "analyzer/analysis/pickle_safety.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/formats/pickle_machine.h"

namespace ptlint {
namespace {

using std::string_literals::operator""s;

std::vector<SafetyFinding> Scan(const std::string& bytes, PickleSafetyOptions options = {}) {
  PickleGraph g = PickleMachine().Run(bytes, 1000);
  return AnalyzePickleGraph(g, 3, "archive/data.pkl", "x.pt", options);
}

const SafetyFinding* Find(const std::vector<SafetyFinding>& fs, const std::string& rule) {
  for (const auto& f : fs) {
    if (f.rule == rule) return &f;
  }
  return nullptr;
}

TEST(PickleSafety, EvalReduceIsCodeExecutionWithCallChain) {
  // builtins.eval('print(1)')
  std::string p = "\x80\x02" "c__builtin__\neval\nX\x08\x00\x00\x00print(1)\x85R."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL601");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->module, "builtins");
  EXPECT_EQ(f->name, "eval");
  EXPECT_EQ(f->raw_global, "__builtin__.eval");
  EXPECT_EQ(f->offset, 1002);
  EXPECT_EQ(f->pickle, 3);
  EXPECT_EQ(f->record, "archive/data.pkl");
  EXPECT_EQ(f->consumer, "REDUCE");
  ASSERT_FALSE(f->call_chain.empty());
  EXPECT_NE(f->call_chain[0].find("REDUCE"), std::string::npos);
  EXPECT_NE(f->call_chain[0].find("'print(1)'"), std::string::npos);
  EXPECT_FALSE(f->why.empty());
  EXPECT_EQ(f->severity, Severity::kError);
}

TEST(PickleSafety, NetworkAndFileSystemAreDangerous) {
  std::string p = "\x80\x02" "csmtplib\nSMTP\nX\x09\x00\x00\x00" "127.0.0.1\x85R."s;
  auto network = Scan(p);  // keep the findings alive while pointing into them
  const SafetyFinding* f = Find(network, "PTL602");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->tier, SafetyTier::kNetwork);
  std::string q = "\x80\x02" "cshutil\nrmtree\nX\x01\x00\x00\x00/\x85R."s;
  auto files = Scan(q);
  const SafetyFinding* g = Find(files, "PTL602");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->tier, SafetyTier::kFileSystem);
}

TEST(PickleSafety, UnknownGlobalIsAWarningUnlessStrict) {
  std::string p = "\x80\x02" "cmymodels\nNet\n)\x81}b."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL603");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(f->consumer, "NEWOBJ");
  PickleSafetyOptions strict;
  strict.strict = true;
  EXPECT_EQ(Find(Scan(p, strict), "PTL603")->severity, Severity::kError);
  PickleSafetyOptions project;
  project.context.project_class = [](std::string_view m, std::string_view n) {
    return m == "mymodels" && n == "Net";
  };
  EXPECT_TRUE(Scan(p, project).empty());
}

TEST(PickleSafety, BenignStateDictHasNoFindings) {
  std::string p = "\x80\x02\x63\x63\x6f\x6c\x6c\x65\x63\x74\x69\x6f\x6e\x73\x0a\x4f\x72\x64\x65\x72\x65\x64\x44\x69\x63\x74\x0a\x71\x00\x29\x52\x71\x01\x58\x01\x00\x00\x00\x77\x71\x02\x63\x74\x6f\x72\x63\x68\x2e\x5f\x75\x74\x69\x6c\x73\x0a\x5f\x72\x65\x62\x75\x69\x6c\x64\x5f\x74\x65\x6e\x73\x6f\x72\x5f\x76\x32\x0a\x71\x03\x28\x28\x58\x07\x00\x00\x00\x73\x74\x6f\x72\x61\x67\x65\x71\x04\x63\x74\x6f\x72\x63\x68\x0a\x46\x6c\x6f\x61\x74\x53\x74\x6f\x72\x61\x67\x65\x0a\x71\x05\x58\x01\x00\x00\x00\x30\x71\x06\x58\x03\x00\x00\x00\x63\x70\x75\x71\x07\x4b\x01\x74\x71\x08\x51\x4b\x00\x4b\x01\x85\x4b\x01\x85\x89\x68\x00\x29\x52\x71\x09\x74\x71\x0a\x52\x71\x0b\x73\x2e"s;
  PickleGraph g = PickleMachine().Run(p, 0);
  ASSERT_TRUE(g.complete()) << (g.error ? g.error->message : "");
  auto fs = AnalyzePickleGraph(g, 0, "data.pkl", "x.pt", {});
  for (const auto& f : fs) ADD_FAILURE() << FormatSafetyFinding(f);
}

TEST(PickleSafety, DynamicStackGlobalIsPTL604) {
  // STACK_GLOBAL on a module name built by a call: str.join-like computed value.
  std::string p = "\x80\x04" "\x8c\x08" "builtins\x8c\x03str\x93\x8c\x02os\x85R"
                  "\x8c\x06system\x93."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL604");
  ASSERT_NE(f, nullptr) << fs.size();
  EXPECT_EQ(f->opcode, "STACK_GLOBAL");
}

TEST(PickleSafety, TruncatedPickleFailsClosed) {
  std::string p = "\x80\x02" "ccollections\nOrderedDict\nq\x00)R"s;  // no STOP
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL604");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("could not be read to the end"), std::string::npos);
}

TEST(PickleSafety, GetattrIntrospectionGadget) {
  // getattr(print, '__globals__') style chain: getattr(builtins.print, '__self__').
  std::string p = "\x80\x02" "cbuiltins\ngetattr\ncbuiltins\nprint\nX\x08\x00\x00\x00__self__\x86R."s;
  auto fs = Scan(p);
  bool gadget = false;
  for (const auto& f : fs) {
    if (f.rule == "PTL602" && f.tier == SafetyTier::kGadget && f.message.find("__self__") != std::string::npos) {
      gadget = true;
    }
  }
  EXPECT_TRUE(gadget);
  EXPECT_NE(Find(fs, "PTL601"), nullptr);  // getattr itself
}

TEST(PickleSafety, BuildOnImportedFunctionIsAGadget) {
  // BUILD sets state on numpy.prod itself (modelscan#85 pattern).
  std::string p = "\x80\x02\x63\x6e\x75\x6d\x70\x79\x0a\x70\x72\x6f\x64\x0a\x4e\x7d\x58\x01\x00\x00\x00\x61\x58\x02\x00\x00\x00\x6f\x73\x73\x86\x62\x2e"s;
  auto fs = Scan(p);
  bool gadget = false;
  for (const auto& f : fs) gadget |= f.rule == "PTL602" && f.opcode == "BUILD";
  std::string all;
  for (const auto& f : fs) all += FormatSafetyFinding(f) + "\n";
  EXPECT_TRUE(gadget) << all;
}

TEST(PickleSafety, DottedNameThroughAllowedModule) {
  std::string p = "\x80\x04\x8c\x07pathlib\x8c\x09os.system\x93\x8c\x02id\x85R."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL601");
  ASSERT_NE(f, nullptr);
}

TEST(PickleSafety, FormatMentionsRuleOffsetAndWhy) {
  std::string p = "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00id\x85R."s;
  auto fs = Scan(p);
  ASSERT_FALSE(fs.empty());
  std::string text = FormatSafetyFinding(fs[0]);
  EXPECT_NE(text.find("PTL601"), std::string::npos);
  EXPECT_NE(text.find("os.system"), std::string::npos);
  EXPECT_NE(text.find("offset 1002"), std::string::npos);
  EXPECT_NE(text.find("why:"), std::string::npos);
}

// A pickle torch.load would not read (a member with pickle magic in a zip
// that is not a torch archive, which other loaders still unpickle) is found
// by the reader, handed over in
// Checkpoint::unread_pickles and judged from there: the file is gone
// before the analysis runs.
TEST(PickleSafety, UnreadPicklesComeFromTheReaderNotTheFile) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("ptlint_unread_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "ckpt.pt";
  std::ofstream(dir / "make.py") << R"PY(
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('readme.txt', b'weights')
    z.writestr('payload/blob.bin', b'\x80\x02cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R.')
)PY";
  std::string cmd = std::string(PTLINT_PYTHON) + " " + (dir / "make.py").string() + " " + file.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Checkpoint cp = ReadCheckpoint(file.string());
  fs::remove_all(dir);
  ASSERT_EQ(cp.unread_pickles.size(), 1u);
  EXPECT_EQ(cp.unread_pickles[0].record, "payload/blob.bin");
  EXPECT_EQ(cp.unread_pickles[0].index, static_cast<int>(cp.pickles.size()));
  PickleSafetyReport report = AnalyzePickleSafety(cp, {});
  EXPECT_TRUE(report.can_execute_code);
  const SafetyFinding* f = Find(report.findings, "PTL601");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->record, "payload/blob.bin");
}

}  // namespace
}  // namespace ptlint
