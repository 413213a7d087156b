// Unit tests of the pieces the source rules (PTL1xx/3xx/5xx/7xx) are built
// from; the rules end to end are tested by tests/rules/<CODE>/ (rule_cases_test).
#include <gtest/gtest.h>

#include "rules/references/ptl101_unresolved_module.h"
#include "rules/references/ptl104_pickled_attribute_drift.h"
#include "rules/core/source_rule_support.h"

namespace ptlint {
namespace {

void Add(ModuleIndex& index, const std::string& path, const std::string& module, std::string source) {
  DiscoveredFile f;
  f.path = path;
  f.module_name = module;
  f.is_package = path.size() >= 11 && path.compare(path.size() - 11, 11, "__init__.py") == 0;
  f.size = source.size();
  ASSERT_TRUE(index.AddFile(f, std::move(source)).ok()) << path;
}

TEST(SourceRuleSupport, EditDistanceIsCapped) {
  EXPECT_EQ(EditDistance("TinyNet", "TinyNetV2", 2), 2u);
  EXPECT_EQ(EditDistance("Net", "Net", 2), 0u);
  EXPECT_EQ(EditDistance("Net", "Network", 2), 3u);  // cap + 1
  EXPECT_EQ(EditDistance("abc", "xyz", 5), 3u);
}

TEST(SourceRuleSupport, ModuleReprElidesTheSysPathEntry) {
  EXPECT_EQ(ModuleReprFromFile("models.yolo", false), "<module 'models.yolo' from '.../models/yolo.py'>");
  EXPECT_EQ(ModuleReprFromFile("models", true), "<module 'models' from '.../models/__init__.py'>");
}

TEST(UnresolvedModule, NamesTheFirstMissingComponentAsPythonDoes) {
  ModuleIndex index;
  Add(index, "yolo/__init__.py", "yolo", "");
  Add(index, "yolo/models/yolo.py", "yolo.models.yolo", "class Model: pass\n");
  Add(index, "ns/inner.py", "ns.inner", "");  // a namespace package (no __init__.py)
  EXPECT_EQ(FirstMissingModule(index, "models.yolo"), "models");
  EXPECT_EQ(FirstMissingModule(index, "yolo.models.yolo"), "");
  EXPECT_EQ(FirstMissingModule(index, "yolo.nets.yolo"), "yolo.nets");
  EXPECT_EQ(FirstMissingModule(index, "ns.inner"), "");
  EXPECT_EQ(FirstMissingModule(index, "ns.other"), "ns.other");
}

TEST(PickledAttributeDrift, CollectsInitAttributesReadsAndDefaults) {
  ModuleIndex index;
  Add(index, "models.py", "models",
      "import torch.nn as nn\n"
      "class Base(nn.Module):\n"
      "    def __init__(self):\n"
      "        super().__init__()\n"
      "        self.base_attr = 1\n"
      "class Net(Base):\n"
      "    default = 3\n"
      "    def __init__(self, flag):\n"
      "        super().__init__()\n"
      "        self.fc = nn.Linear(2, 2)\n"
      "        self.a, self.b = 1, 2\n"
      "        self.register_buffer('buf', None)\n"
      "        if flag:\n"
      "            self.maybe = 1\n"
      "    def forward(self, x):\n"
      "        return self.fc(x) * self.a\n"
      "    def later(self):\n"
      "        self.late = 1\n");
  const ClassInfo* net = index.FindClass("models.Net");
  ASSERT_NE(net, nullptr);
  ClassAttributeFacts f = CollectClassAttributeFacts(index, *net);
  for (const char* name : {"fc", "a", "b", "buf", "base_attr"}) {
    ASSERT_TRUE(f.sets.count(name)) << name;
    EXPECT_TRUE(f.sets.at(name).unconditional) << name;
  }
  ASSERT_TRUE(f.sets.count("maybe"));
  EXPECT_FALSE(f.sets.at("maybe").unconditional);
  ASSERT_TRUE(f.sets.count("late"));
  EXPECT_FALSE(f.sets.at("late").in_init);
  EXPECT_TRUE(f.reads.count("a"));
  EXPECT_FALSE(f.reads.count("b"));
  EXPECT_EQ(f.class_level, std::vector<std::string>{"default"});
  EXPECT_TRUE(f.complete);
  EXPECT_FALSE(f.dynamic);
  EXPECT_FALSE(f.custom_state);
}

TEST(PickledAttributeDrift, DynamicAndCustomStateAreNoticed) {
  ModuleIndex index;
  Add(index, "m.py", "m",
      "import torch.nn as nn\n"
      "from elsewhere import Mixin\n"
      "class Net(nn.Module, Mixin):\n"
      "    def __init__(self, names):\n"
      "        super().__init__()\n"
      "        for n in names:\n"
      "            setattr(self, n, nn.Linear(2, 2))\n"
      "    def __setstate__(self, state):\n"
      "        self.__dict__.update(state)\n");
  const ClassInfo* net = index.FindClass("m.Net");
  ASSERT_NE(net, nullptr);
  ClassAttributeFacts f = CollectClassAttributeFacts(index, *net);
  EXPECT_TRUE(f.dynamic);
  EXPECT_TRUE(f.custom_state);
  EXPECT_FALSE(f.complete);  // Mixin is not in the index
}

}  // namespace
}  // namespace ptlint
