#include "analyzer/support/interned_path.h"

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(InternedPath, EqualTextIsOnePathWhereverItWasMadeFrom) {
  std::string a = "/work/project/models/resnet.py";
  std::string b = a;  // another buffer, the same text
  InternedPath pa(a);
  InternedPath pb(b);
  InternedPath pc("/work/project/models/resnet.py");
  EXPECT_EQ(pa, pb);
  EXPECT_EQ(pa, pc);
  EXPECT_EQ(&pa.str(), &pb.str()) << "interned: one string for one text";
  b[b.size() - 1] = 'x';  // the source buffer changing does not reach the path
  EXPECT_EQ(pb.str(), "/work/project/models/resnet.py");
  EXPECT_NE(InternedPath(b), pa);
}

TEST(InternedPath, ReadsLikeTheStringItReplaces) {
  InternedPath empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.str(), "");
  EXPECT_EQ(InternedPath(""), empty);
  EXPECT_EQ(InternedPath(std::string()), empty);

  InternedPath p("models/net.py");
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(p.size(), 13u);
  EXPECT_STREQ(p.c_str(), "models/net.py");
  EXPECT_TRUE(p == "models/net.py");
  EXPECT_TRUE(p == std::string("models/net.py"));
  EXPECT_TRUE(p != "models/other.py");
  EXPECT_EQ(p + ":3", "models/net.py:3");
  EXPECT_EQ("at " + p, "at models/net.py");
  const std::string& as_string = p;
  EXPECT_EQ(as_string, "models/net.py");
  std::ostringstream out;
  out << p;
  EXPECT_EQ(out.str(), "models/net.py");
  // Ordered by text, as std::string is (maps keyed by a location's path).
  std::map<InternedPath, int> by_path{{InternedPath("b.py"), 2}, {InternedPath("a.py"), 1}};
  EXPECT_EQ(by_path.begin()->first, "a.py");
}

TEST(InternedPath, ThreadsInterningTheSamePathsAgree) {
  // Each thread keeps a memory of the last path it interned; paths made on
  // different threads must still be one pointer per text.
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back("/src/pkg/module_" + std::to_string(i % 50) + ".py");
  std::vector<std::vector<InternedPath>> made(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < made.size(); ++t) {
    threads.emplace_back([&, t] {
      for (const std::string& s : texts) made[t].emplace_back(s);
    });
  }
  for (std::thread& th : threads) th.join();
  for (size_t t = 1; t < made.size(); ++t) {
    for (size_t i = 0; i < texts.size(); ++i) {
      ASSERT_EQ(&made[t][i].str(), &made[0][i].str()) << texts[i];
      ASSERT_EQ(made[t][i].str(), texts[i]);
    }
  }
}

}  // namespace
}  // namespace ptlint
