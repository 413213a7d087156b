#include "analyzer/formats/pickle_machine.h"
#include "analyzer/formats/pickle_fuzz_input.h"
#include "analyzer/formats/zip_reader.h"
#include "analyzer/support/byte_source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

namespace ptlint {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

// A Python-like rendering of a node, for comparing whole graphs at once.
// Mutations of opaque objects are shown as .build()/.append()/.setitems().
std::string Render(const PickleGraph& g, NodeId id, std::set<NodeId>& on_path) {
  if (id == kNoNode) return "<none>";
  if (on_path.count(id)) return "<cycle>";
  on_path.insert(id);
  const PickleNode& n = g.at(id);
  auto list = [&](const NodeList& items, const char* sep) {
    std::string s;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) s += (sep[0] == ':' && i % 2 == 1) ? ": " : ", ";
      s += Render(g, items[i], on_path);
    }
    return s;
  };
  std::ostringstream out;
  switch (n.kind) {
    case PickleKind::kNone: out << "None"; break;
    case PickleKind::kBool: out << (n.int_value ? "True" : "False"); break;
    case PickleKind::kInt: out << n.int_value; break;
    case PickleKind::kBigInt: out << n.text; break;
    case PickleKind::kFloat: out << n.float_value; break;
    case PickleKind::kStr: out << "'" << n.text << "'"; break;
    case PickleKind::kBytes: out << (n.opcode == 0x96 ? "bytearray(b'" : "b'") << n.text
                                 << (n.opcode == 0x96 ? "')" : "'"); break;
    case PickleKind::kTuple:
      out << "(" << list(n.items, ",") << (n.items.size() == 1 ? ",)" : ")");
      break;
    case PickleKind::kList: out << "[" << list(n.items, ",") << "]"; break;
    case PickleKind::kDict: out << "{" << list(n.items, ":") << "}"; break;
    case PickleKind::kSet: out << "{" << list(n.items, ",") << "}"; break;
    case PickleKind::kFrozenSet: out << "frozenset({" << list(n.items, ",") << "})"; break;
    case PickleKind::kGlobal: out << (n.dynamic ? "dyn:" : "") << n.text << "." << n.name; break;
    case PickleKind::kCall:
      out << Render(g, n.callee, on_path) << Render(g, n.args, on_path);
      break;
    case PickleKind::kNewObj:
      out << "new " << Render(g, n.callee, on_path) << Render(g, n.args, on_path);
      if (n.kwargs != kNoNode) out << "**" << Render(g, n.kwargs, on_path);
      break;
    case PickleKind::kPersistentId: out << "persid(" << Render(g, n.args, on_path) << ")"; break;
    case PickleKind::kExtension: out << "ext(" << n.int_value << ")"; break;
  }
  for (NodeId b : n.builds) out << ".build(" << Render(g, b, on_path) << ")";
  if (!n.appended.empty()) out << ".append(" << list(n.appended, ",") << ")";
  if (!n.set_items.empty()) out << ".setitems(" << list(n.set_items, ":") << ")";
  on_path.erase(id);
  return out.str();
}

std::string Render(const PickleGraph& g, NodeId id) {
  std::set<NodeId> on_path;
  return Render(g, id, on_path);
}
std::string RenderRoot(const PickleGraph& g) { return Render(g, g.root); }

PickleGraph RunPickle(std::string_view bytes, PickleLimits limits = {},
                PickleFraming framing = PickleFraming::kFileStream, uint64_t base = 0) {
  return PickleMachine(limits, framing).Run(bytes, base);
}

// A string literal with its embedded NULs.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}

std::string ErrorCode(const PickleGraph& g) { return g.error ? g.error->code : "ok"; }

std::multiset<std::string> AnomalyCodes(const PickleGraph& g) {
  std::multiset<std::string> codes;
  for (const PickleAnomaly& a : g.anomalies) codes.insert(a.code);
  return codes;
}

bool HasAnomaly(const PickleGraph& g, const std::string& code) {
  return AnomalyCodes(g).count(code) > 0;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------------------
// Real pickle.dumps output, protocols 0-5.

// Produced by /usr/bin/python3 (3.11):
//   obj = {"a": [1, 2.5, "x", b"y", None, True, False, (1, 2)], "big": 2**70,
//          "neg": -5, "u": "h\u00e9llo"}
//   pickle.dumps(obj, protocol=N).hex()   for N in 0..5
const char* const kDictHex[6] = {
    "286470300a56610a70310a286c70320a49310a6146322e350a6156780a70330a61635f636f646563730a656e63"
    "6f64650a70340a2856790a70350a566c6174696e310a70360a7470370a5270380a614e614930310a614930300a"
    "612849310a49320a7470390a6173566269670a7031300a4c31313830353931363230373137343131333033343234"
    "4c0a73566e65670a7031310a492d350a7356750a7031320a5668e96c6c6f0a7031330a732e",
    "7d71002858010000006171015d7102284b014740040000000000005801000000787103635f636f646563730a656e"
    "636f64650a710428580100000079710558060000006c6174696e3171067471075271084e4930310a4930300a284b"
    "014b02747109655803000000626967710a4c313138303539313632303731373431313330333432344c0a58030000"
    "006e6567710b4afbffffff580100000075710c580600000068c3a96c6c6f710d752e",
    "80027d71002858010000006171015d7102284b014740040000000000005801000000787103635f636f646563730a"
    "656e636f64650a7104580100000079710558060000006c6174696e3171068671075271084e88894b014b02867109"
    "655803000000626967710a8a0900000000000000004058030000006e6567710b4afbffffff580100000075710c58"
    "0600000068c3a96c6c6f710d752e",
    "80037d71002858010000006171015d7102284b01474004000000000000580100000078710343017971044e88894b"
    "014b0286710565580300000062696771068a0900000000000000004058030000006e656771074afbffffff580100"
    "0000757108580600000068c3a96c6c6f7109752e",
    "80049552000000000000007d94288c0161945d94284b014740040000000000008c017894430179944e88894b014b"
    "028694658c03626967948a090000000000000000408c036e6567944afbffffff8c0175948c0668c3a96c6c6f9475"
    "2e",
    "80059552000000000000007d94288c0161945d94284b014740040000000000008c017894430179944e88894b014b"
    "028694658c03626967948a090000000000000000408c036e6567944afbffffff8c0175948c0668c3a96c6c6f9475"
    "2e",
};

TEST(PickleMachineRealPickles, DictOfEverythingAtEveryProtocol) {
  // Protocols 0-2 have no bytes opcode: pickle writes _codecs.encode(str, 'latin1').
  const std::string old_bytes = "_codecs.encode('y', 'latin1')";
  for (int proto = 0; proto <= 5; ++proto) {
    SCOPED_TRACE("protocol " + std::to_string(proto));
    std::string bytes = Unhex(kDictHex[proto]);
    PickleGraph g = RunPickle(bytes);
    ASSERT_TRUE(g.complete()) << ErrorCode(g) << " " << (g.error ? g.error->message : "");
    EXPECT_EQ(g.protocol, proto < 2 ? 0 : proto);
    EXPECT_EQ(g.end_offset, bytes.size());
    EXPECT_TRUE(g.anomalies.empty()) << g.anomalies[0].code << ": " << g.anomalies[0].message;
    std::string bytes_text = proto < 3 ? old_bytes : "b'y'";
    EXPECT_EQ(RenderRoot(g), "{'a': [1, 2.5, 'x', " + bytes_text +
                                 ", None, True, False, (1, 2)], 'big': 1180591620717411303424, "
                                 "'neg': -5, 'u': 'h\xc3\xa9llo'}");
    if (proto < 3) {
      ASSERT_EQ(g.globals.size(), 1u);
      EXPECT_EQ(g.globals[0].module, "_codecs");
      EXPECT_EQ(g.globals[0].name, "encode");
      EXPECT_EQ(g.globals[0].opcode, 'c');
      EXPECT_FALSE(g.globals[0].dynamic);
      EXPECT_EQ(bytes.substr(g.globals[0].offset, 8), "c_codecs");
      EXPECT_EQ(g.at(g.globals[0].node).kind, PickleKind::kGlobal);
    } else {
      EXPECT_TRUE(g.globals.empty());
    }
  }
}

TEST(PickleMachineRealPickles, OrderedDictIsAReduceWithSetItems) {
  // pickle.dumps(collections.OrderedDict([("w", 1)]), protocol=2)
  PickleGraph g = RunPickle(Unhex(
      "800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000007771024b01732e"));
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(RenderRoot(g), "collections.OrderedDict().setitems('w': 1)");
  EXPECT_EQ(g.at(g.root).kind, PickleKind::kCall);
  EXPECT_EQ(g.at(g.root).opcode, 'R');
}

TEST(PickleMachineRealPickles, MemoSharesNodes) {
  // l = [1]; pickle.dumps((l, l), protocol=2)
  PickleGraph g = RunPickle(Unhex("80025d71004b016168008671012e"));
  ASSERT_TRUE(g.complete());
  const PickleNode& root = g.at(g.root);
  ASSERT_EQ(root.items.size(), 2u);
  EXPECT_EQ(root.items[0], root.items[1]);  // the same node, not a copy
  EXPECT_EQ(RenderRoot(g), "([1], [1])");
}

TEST(PickleMachineRealPickles, RecursiveStructuresAreCycles) {
  // r = []; r.append(r); pickle.dumps(r, protocol=0)
  PickleGraph g = RunPickle(Unhex("286c70300a67300a612e"));
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(g.at(g.root).items.at(0), g.root);
  // t = []; tt = (t,); t.append(tt); pickle.dumps(tt, protocol=0): protocol 0
  // pops the tuple's MARK with POP (no POP_MARK), which is honest there.
  g = RunPickle(Unhex("28286c70300a2867300a7470310a61303067310a2e"));
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_TRUE(g.anomalies.empty());
  EXPECT_EQ(RenderRoot(g), "([<cycle>],)");
}

TEST(PickleMachineRealPickles, Protocol5SetsFrozensetBytearray) {
  // pickle.dumps([{3}, frozenset({4}), bytearray(b"z")], protocol=5)
  PickleGraph g = RunPickle(Unhex(
      "8005951b000000000000005d94288f94284b0390284b0491949601000000000000007a94652e"));
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_TRUE(g.anomalies.empty());
  EXPECT_EQ(RenderRoot(g), "[{3}, frozenset({4}), bytearray(b'z')]");
}

TEST(PickleMachineRealPickles, LegacyMagicNumberIsABigIntInDecimal) {
  // pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
  PickleGraph g = RunPickle(Unhex("80028a0a6cfc9c46f9206aa850192e"));
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(g.at(g.root).kind, PickleKind::kBigInt);
  EXPECT_EQ(g.at(g.root).text, "119547037146038801333356");
}

// data.pkl of torch.save(nn.Sequential(nn.Linear(2,2), nn.BatchNorm1d(2)).state_dict())
// (torch 1.13, protocol 2); the same bytes are the fuzz seed
// tests/fuzz/pickle_machine/torch_state_dict_data.pkl.
TEST(PickleMachineRealPickles, TorchStateDict) {
  std::string bytes = ReadFile(std::filesystem::path(PTLINT_SOURCE_DIR) /
                               "tests/fuzz/pickle_machine/torch_state_dict_data.pkl");
  ASSERT_EQ(bytes.size(), 680u);
  PickleGraph g = RunPickle(bytes);
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_TRUE(g.anomalies.empty());
  const PickleNode& root = g.at(g.root);
  ASSERT_EQ(root.kind, PickleKind::kCall);
  EXPECT_EQ(Render(g, root.callee), "collections.OrderedDict");
  ASSERT_EQ(root.set_items.size(), 14u);  // 7 tensors
  EXPECT_EQ(Render(g, root.set_items[0]), "'0.weight'");
  EXPECT_EQ(Render(g, root.set_items[1]),
            "torch._utils._rebuild_tensor_v2(persid(('storage', torch.FloatStorage, '0', 'cpu', "
            "4)), 0, (2, 2), (2, 1), False, collections.OrderedDict())");
  EXPECT_EQ(Render(g, root.set_items[13]),
            "torch._utils._rebuild_tensor_v2(persid(('storage', torch.LongStorage, '6', 'cpu', "
            "1)), 0, (), (), False, collections.OrderedDict())");
  // BUILD on the OrderedDict carries _metadata.
  ASSERT_EQ(root.builds.size(), 1u);
  EXPECT_EQ(Render(g, root.builds[0]),
            "{'_metadata': collections.OrderedDict().setitems('': {'version': 1}, '0': "
            "{'version': 1}, '1': {'version': 2})}");
  std::set<std::string> globals;
  for (const GlobalRef& ref : g.globals) globals.insert(ref.module + "." + ref.name);
  EXPECT_EQ(globals, (std::set<std::string>{"collections.OrderedDict",
                                            "torch._utils._rebuild_tensor_v2",
                                            "torch.FloatStorage", "torch.LongStorage"}));
}

// ---------------------------------------------------------------------------
// Hand-assembled opcode groups.

TEST(PickleMachineOpcodes, Integers) {
  EXPECT_EQ(RenderRoot(RunPickle("(I42\nI-7\nI00\nI01\nI010\nI0x1f\nI1_000\nI99999999999999999999\nt.")),
            "(42, -7, False, True, 8, 31, 1000, 99999999999999999999)");
  EXPECT_EQ(RenderRoot(RunPickle("(L123L\nL-5\nL123456789012345678901234567890L\nt.")),
            "(123, -5, 123456789012345678901234567890)");
  EXPECT_EQ(RenderRoot(RunPickle(B("(J\xfe\xff\xff\xffK\xffM\xff\xff\x8a\x00\x8a\x01\xff"
                                       "\x8a\x02\x00\x80\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                       "\x8b\x02\x00\x00\x00\x01\x02t."))),
            "(-2, 255, 65535, 0, -1, -32768, -1, 513)");
  // LONG1 beyond int64: 2**64 and -(2**64).
  EXPECT_EQ(RenderRoot(RunPickle(B("(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01"
                                       "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xfft."))),
            "(18446744073709551616, -18446744073709551616)");
  EXPECT_EQ(RenderRoot(RunPickle("\x88\x89\x86.")), "(True, False)");
}

TEST(PickleMachineOpcodes, Floats) {
  PickleGraph g = RunPickle(B("(F1.5\nF-inf\nG\x3f\xf8\x00\x00\x00\x00\x00\x00t."));
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  const PickleNode& t = g.at(g.root);
  EXPECT_EQ(g.at(t.items[0]).float_value, 1.5);
  EXPECT_TRUE(std::isinf(g.at(t.items[1]).float_value));
  EXPECT_EQ(g.at(t.items[2]).float_value, 1.5);
  EXPECT_EQ(g.at(t.items[2]).kind, PickleKind::kFloat);
}

TEST(PickleMachineOpcodes, StringsAndBytes) {
  std::string s = B("(S'a\\x41\\n\\'\\101'\nS\"q\"\nT\x02\x00\x00\x00hiU\x01zVa\\u20ac\\\\u\xe9\n"
                  "X\x02\x00\x00\x00ok\x8c\x01s\x8d\x01\x00\x00\x00\x00\x00\x00\x00" "e"
                  "B\x01\x00\x00\x00" "bC\x01" "c\x8e\x01\x00\x00\x00\x00\x00\x00\x00" "d"
                  "\x96\x01\x00\x00\x00\x00\x00\x00\x00" "et.");
  PickleGraph g = RunPickle(s);
  ASSERT_TRUE(g.complete()) << ErrorCode(g) << (g.error ? g.error->message : "");
  EXPECT_EQ(RenderRoot(g),
            "('aA\n'A', 'q', 'hi', 'z', 'a\xe2\x82\xac\\\\u\xc3\xa9', 'ok', 's', 'e', b'b', b'c', "
            "b'd', bytearray(b'e'))");
}

TEST(PickleMachineOpcodes, TextIsCappedButSizeIsReal) {
  PickleLimits limits;
  limits.max_text_kept = 4;
  PickleGraph g = RunPickle(B("X\x0a\x00\x00\x00" "0123456789."), limits);
  ASSERT_TRUE(g.complete());
  const PickleNode& n = g.at(g.root);
  EXPECT_EQ(n.text, "0123");
  EXPECT_EQ(n.size, 10u);
  EXPECT_TRUE(n.truncated);
  // A multi-byte code point that does not fit is dropped whole (found by the fuzzer).
  limits.max_text_kept = 3;
  g = RunPickle("Vab\\u20acc\n.", limits);
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_EQ(g.at(g.root).text, "ab");
  EXPECT_EQ(g.at(g.root).size, 6u);
  EXPECT_TRUE(g.at(g.root).truncated);
}

TEST(PickleMachineOpcodes, Containers) {
  EXPECT_EQ(RenderRoot(RunPickle("(K\x01K\x02l.")), "[1, 2]");
  EXPECT_EQ(RenderRoot(RunPickle("(K\x01K\x02t.")), "(1, 2)");
  EXPECT_EQ(RenderRoot(RunPickle("(K\x01K\x02" "d.")), "{1: 2}");
  EXPECT_EQ(RenderRoot(RunPickle("}K\x01K\x02s.")), "{1: 2}");
  EXPECT_EQ(RenderRoot(RunPickle("}(K\x01K\x02K\x03K\x04u.")), "{1: 2, 3: 4}");
  EXPECT_EQ(RenderRoot(RunPickle("]K\x01" "a(K\x02K\x03" "e.")), "[1, 2, 3]");
  EXPECT_EQ(RenderRoot(RunPickle("()K\x01\x85K\x01K\x02\x86K\x01K\x02K\x03\x87t.")),
            "((), (1,), (1, 2), (1, 2, 3))");
  EXPECT_EQ(RenderRoot(RunPickle("\x8f(K\x01K\x02\x90.")), "{1, 2}");
  EXPECT_EQ(RenderRoot(RunPickle("(K\x01\x91.")), "frozenset({1})");
  EXPECT_EQ(RenderRoot(RunPickle("N(K\x01K\x02\x31.")), "None");  // POP_MARK
  EXPECT_EQ(RenderRoot(RunPickle("NK\x01\x30.")), "None");         // POP
  PickleGraph g = RunPickle("]\x32\x86.");                          // DUP
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(g.at(g.root).items[0], g.at(g.root).items[1]);
}

TEST(PickleMachineOpcodes, MemoVariants) {
  EXPECT_EQ(RenderRoot(RunPickle("K\x07p12\n0g12\n.")), "7");
  EXPECT_EQ(RenderRoot(RunPickle("K\x07q\x05\x30h\x05.")), "7");
  EXPECT_EQ(RenderRoot(RunPickle(B("K\x07r\x00\x00\x01\x00\x30j\x00\x00\x01\x00."))), "7");
  // MEMOIZE uses the count of memo entries as its index.
  EXPECT_EQ(RenderRoot(RunPickle(B("\x80\x04K\x07\x94K\x08\x94\x86h\x00h\x01\x86\x86."))),
            "((7, 8), (7, 8))");
  // A hostile sparse index is fine and does not allocate 4 GiB.
  EXPECT_EQ(RenderRoot(RunPickle("K\x07r\xff\xff\xff\xff\x30j\xff\xff\xff\xff.")), "7");
}

TEST(PickleMachineOpcodes, GlobalsCallsAndObjects) {
  PickleGraph g = RunPickle(B("\x80\x02" "cos\nsystem\nq\x00X\x02\x00\x00\x00ls\x85R."));
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(RenderRoot(g), "os.system('ls',)");
  ASSERT_EQ(g.globals.size(), 1u);
  EXPECT_EQ(g.globals[0].offset, 2u);
  EXPECT_EQ(g.globals[0].opcode, 'c');

  // INST: mark, args, module/class lines.
  g = RunPickle("(S'x'\nibuiltins\nprint\n.");
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_EQ(RenderRoot(g), "builtins.print('x',)");
  ASSERT_EQ(g.globals.size(), 1u);
  EXPECT_EQ(g.globals[0].opcode, 'i');
  EXPECT_EQ(g.at(g.root).kind, PickleKind::kCall);

  // OBJ: mark, class, args.
  g = RunPickle("(cbuiltins\nprint\nK\x01o.");
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_EQ(RenderRoot(g), "builtins.print(1,)");

  // STACK_GLOBAL with constant strings.
  g = RunPickle("\x80\x04\x8c\x02os\x8c\x06system\x93.");
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(RenderRoot(g), "os.system");
  EXPECT_EQ(g.globals.at(0).opcode, 0x93);
  EXPECT_FALSE(g.globals.at(0).dynamic);
  EXPECT_TRUE(g.anomalies.empty());

  // NEWOBJ and NEWOBJ_EX; BUILD, APPEND and SETITEM on the opaque results.
  g = RunPickle("\x80\x04(cm\nC\n)\x81}\x62" "cm\nC\n)}\x92K\x01" "aK\x01K\x02sl.");
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_EQ(RenderRoot(g), "[new m.C().build({}), new m.C()**{}.append(1).setitems(1: 2)]");
  EXPECT_TRUE(g.anomalies.empty());
}

TEST(PickleMachineOpcodes, PersistentIdsAndExtensions) {
  EXPECT_EQ(RenderRoot(RunPickle("Pabc\n.")), "persid('abc')");
  EXPECT_EQ(RenderRoot(RunPickle(B("(X\x01\x00\x00\x00sK\x01tQ."))), "persid(('s', 1))");
  PickleGraph g = RunPickle(B("\x80\x02(\x82\x01\x83\x00\x01\x84\x00\x00\x00\x01t."));
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(RenderRoot(g), "(ext(1), ext(256), ext(16777216))");
  EXPECT_EQ(AnomalyCodes(g).count("extension.code"), 3u);
}

TEST(PickleMachineOpcodes, OffsetsAreAbsolute) {
  PickleGraph g = RunPickle("\x80\x02" "cos\nsystem\n.", {}, PickleFraming::kFileStream, 1000);
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(g.start_offset, 1000u);
  EXPECT_EQ(g.end_offset, 1000u + 14);
  EXPECT_EQ(g.globals[0].offset, 1002u);
  EXPECT_EQ(g.at(g.root).offset, 1002u);
  g = RunPickle("\x80\x02v", {}, PickleFraming::kFileStream, 500);
  ASSERT_TRUE(g.error);
  EXPECT_EQ(g.error->offset, 502);
}

TEST(PickleMachineOpcodes, EndOffsetIgnoresTrailingBytes) {
  PickleGraph g = RunPickle(B("N.\x80\x02N."));
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(g.end_offset, 2u);  // the caller decides what the rest is
}

// ---------------------------------------------------------------------------
// STACK_GLOBAL with computed operands.

TEST(PickleMachineStackGlobal, ComputedOperandsAreDynamic) {
  // module = builtins.str('os') (a REDUCE result), name = 'system'
  PickleGraph g = RunPickle("\x80\x04\x8c\x08\x62uiltins\x8c\x03str\x93\x8c\x02os\x85R\x8c\x06system\x93)R.");
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  ASSERT_EQ(g.globals.size(), 2u);
  EXPECT_FALSE(g.globals[0].dynamic);
  const GlobalRef& dyn = g.globals[1];
  EXPECT_TRUE(dyn.dynamic);
  EXPECT_EQ(dyn.name, "system");
  EXPECT_NE(dyn.module.find("<computed by REDUCE"), std::string::npos) << dyn.module;
  EXPECT_TRUE(g.at(dyn.node).dynamic);
  EXPECT_TRUE(HasAnomaly(g, "global.dynamic"));
}

TEST(PickleMachineStackGlobal, ModelscanIssue85BuildThenMemoStackGlobal) {
  std::filesystem::path path = std::filesystem::path(PTLINT_CORPUS_DIR) /
                               "issues/modelscan_issue85_build_setattr_memo.pkl";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "corpus not present";
  PickleGraph g = RunPickle(ReadFile(path));
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_EQ(AnomalyCodes(g).count("build.on-global"), 2u);
  EXPECT_TRUE(HasAnomaly(g, "global.dynamic"));
  ASSERT_EQ(g.globals.size(), 4u);
  EXPECT_TRUE(g.globals[3].dynamic);
  EXPECT_EQ(g.globals[3].module, "<value of numpy.prod.a>");
  EXPECT_EQ(g.globals[3].name, "<value of numpy.prod.b>");
  // The BUILD states are kept on the imported object's node.
  EXPECT_EQ(Render(g, g.globals[0].node),
            "numpy.prod.build((None, {'a': 'os'})).build((None, {'b': 'system'}))");
}

TEST(PickleMachineStackGlobal, ChainedDynamicGlobalsKeepTextsBounded) {
  // Found by fuzzing in CI: each DUP, STACK_GLOBAL pair quoted both operands'
  // descriptions, doubling the text, so 60 pairs asked for 2^60 bytes.
  std::string p = "\x80\x04\x8c\x01\x61\x8c\x01\x62\x93";  // a.b
  for (int i = 0; i < 60; ++i) p += "2\x93";                       // DUP STACK_GLOBAL
  p += ".";
  PickleGraph g = RunPickle(p);
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  ASSERT_EQ(g.globals.size(), 61u);
  EXPECT_FALSE(g.globals[0].dynamic);
  EXPECT_EQ(g.globals[1].module, "<value of a.b>");
  for (size_t i = 2; i < g.globals.size(); ++i) {
    EXPECT_TRUE(g.globals[i].dynamic);
    EXPECT_EQ(g.globals[i].module.rfind("<computed by STACK_GLOBAL at offset ", 0), 0u)
        << g.globals[i].module;
    EXPECT_LT(g.globals[i].module.size() + g.globals[i].name.size(), 100u);
  }
}

TEST(PickleMachineStackGlobal, NonStringOperandIsATypeError) {
  PickleGraph g = RunPickle("\x80\x04K\x01\x8c\x01x\x93.");
  EXPECT_EQ(ErrorCode(g), "pickle.type-error");
  EXPECT_NE(g.error->message.find("STACK_GLOBAL requires str"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Anomalies.

TEST(PickleMachineAnomalies, EachCode) {
  struct Case {
    const char* name;
    std::string bytes;
    const char* code;
  };
  const Case cases[] = {
      {"memo overwrite", B("K\x01q\x00K\x02q\x00\x86."), "memo.overwrite"},
      {"PUT then MEMOIZE", "\x80\x04K\x01q\x01K\x02\x94\x86.", "memo.overwrite"},
      {"stack not empty", "NN.", "stop.stack-not-empty"},
      {"mark open", "(N.", "stop.mark-open"},
      {"duplicate PROTO", "\x80\x02\x80\x02N.", "proto.duplicate"},
      {"PROTO not first", "N\x30\x80\x02N.", "proto.not-first"},
      {"opcode newer than protocol", "\x80\x02\x8c\x01\x61\x8c\x01\x62\x93.",
       "opcode.newer-than-protocol"},
      {"POP of a MARK", "\x80\x02N(\x30.", "pop.mark"},
      {"BUILD on a global", "\x80\x02\x63m\nf\n}b.", "build.on-global"},
      {"BUILD on an int", "\x80\x02K\x01}b.", "build.on-non-object"},
      {"dotted GLOBAL at proto 2", "\x80\x02\x63os\npath.join\n.",
       "global.dotted-name-before-proto4"},
      {"SETITEM on a list", B("]K\x00K\x01s."), "setitem.on-non-dict"},
      {"READONLY_BUFFER alone", "\x80\x05\x43\x01x\x98.", "buffer.readonly-without-next-buffer"},
      {"BINSTRING latin-1", "U\x01\xe9.", "string.py2-not-utf8"},
      {"STRING latin-1", "S'\\xe9'\n.", "string.py2-not-utf8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PickleGraph g = RunPickle(c.bytes);
    EXPECT_TRUE(g.complete()) << ErrorCode(g) << " " << (g.error ? g.error->message : "");
    EXPECT_TRUE(HasAnomaly(g, c.code));
    for (const PickleAnomaly& a : g.anomalies) EXPECT_FALSE(a.message.empty());
  }
  // Dotted names are honest from protocol 4 on.
  EXPECT_FALSE(HasAnomaly(RunPickle("\x80\x04\x63os\npath.join\n."), "global.dotted-name-before-proto4"));
  // BUILD with None state is fine on anything.
  EXPECT_TRUE(RunPickle("\x80\x02K\x01N\x62.").anomalies.empty());
}

TEST(PickleMachineAnomalies, FloodsAreCappedAndCounted) {
  std::string s = "K\x01";
  for (int i = 0; i < 100; ++i) s += B("q\x00");
  s += ".";
  PickleGraph g = RunPickle(s);
  ASSERT_TRUE(g.complete());
  EXPECT_EQ(AnomalyCodes(g).count("memo.overwrite"), 16u);
  ASSERT_TRUE(HasAnomaly(g, "anomaly.suppressed"));
  EXPECT_NE(g.anomalies.back().message.find("83 more 'memo.overwrite'"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Frames.

TEST(PickleMachineFrames, FrameMismatchesAreAnomalies) {
  // STOP before the declared end of the frame.
  PickleGraph g = RunPickle(B("\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00N.NNN"));
  ASSERT_TRUE(g.complete());
  EXPECT_TRUE(HasAnomaly(g, "frame.length-mismatch"));
  // A new frame before the previous one ends.
  g = RunPickle(B("\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00"
                      "\x00\x00N."));
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_TRUE(HasAnomaly(g, "frame.length-mismatch"));
  // A frame longer than the data is truncation (CPython checks it up front).
  g = RunPickle(B("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N."));
  EXPECT_EQ(ErrorCode(g), "pickle.truncated");
}

// fickling's test_frame_boundary_*: the file unpickler (torch.load) and
// pickletools disagree on what runs.
TEST(PickleMachineFrames, FicklingFrameBoundaryDivergence) {
  std::filesystem::path path =
      std::filesystem::path(PTLINT_CORPUS_DIR) /
      "fickling_tests/test_bypasses.TestBypasses.test_frame_boundary_divergence.0.pkl";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "corpus not present";
  std::string bytes = ReadFile(path);
  PickleGraph file = RunPickle(bytes, {}, PickleFraming::kFileStream);
  EXPECT_TRUE(HasAnomaly(file, "frame.skipped-bytes"));
  bool sees_system = false;
  for (const GlobalRef& ref : file.globals) sees_system |= ref.module == "os" && ref.name == "system";
  EXPECT_TRUE(sees_system) << "torch.load runs os.system here; the machine must see it";

  PickleGraph linear = RunPickle(bytes, {}, PickleFraming::kBytesBuffer);
  EXPECT_TRUE(linear.complete()) << ErrorCode(linear);
  EXPECT_TRUE(linear.globals.empty());  // what pickletools shows: one long BINBYTES
  EXPECT_TRUE(HasAnomaly(linear, "frame.length-mismatch"));
}

TEST(PickleMachineFrames, FicklingStraddleVariantsAndWellFormedFrames) {
  std::filesystem::path dir = std::filesystem::path(PTLINT_CORPUS_DIR) / "fickling_tests";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus not present";
  int straddles = 0, well_formed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    std::string bytes = ReadFile(entry.path());
    if (name.find("test_frame_boundary_straddle_variants") != std::string::npos) {
      SCOPED_TRACE(name);
      ++straddles;
      for (PickleFraming framing : {PickleFraming::kFileStream, PickleFraming::kBytesBuffer}) {
        PickleGraph g = RunPickle(bytes, {}, framing);
        bool flagged = false;
        for (const PickleAnomaly& a : g.anomalies) flagged |= a.code.rfind("frame.", 0) == 0;
        EXPECT_TRUE(flagged || g.error) << "framing " << static_cast<int>(framing);
      }
    } else if (name.find("test_well_formed_frames_are_not_flagged") != std::string::npos) {
      SCOPED_TRACE(name);
      ++well_formed;
      PickleGraph g = RunPickle(bytes);
      EXPECT_TRUE(g.complete()) << ErrorCode(g);
      for (const PickleAnomaly& a : g.anomalies) EXPECT_NE(a.code.rfind("frame.", 0), 0u) << a.message;
    }
  }
  EXPECT_EQ(straddles, 7);
  EXPECT_EQ(well_formed, 15);
}

// ---------------------------------------------------------------------------
// Errors.

TEST(PickleMachineErrors, EachCode) {
  struct Case {
    const char* name;
    std::string bytes;
    const char* code;
    const char* message_part;
  };
  const Case cases[] = {
      {"empty", "", "pickle.truncated", "Ran out of input"},
      {"LFS pointer", "version https://git-lfs.github.com/spec/v1\n", "pickle.bad-opcode",
       "invalid load key, 'v'."},
      {"HTML", "<html>", "pickle.bad-opcode", "invalid load key, '<'."},
      {"non-printable", B("\x80\x02\xff"), "pickle.bad-opcode",
       "invalid load key, '\\xff'."},
      {"no STOP", "N", "pickle.truncated", "without a STOP"},
      {"cut argument", "J\x01\x02", "pickle.truncated", "BININT"},
      {"cut line", "I12", "pickle.truncated", "line"},
      {"protocol 6", "\x80\x06N.", "pickle.unsupported-protocol", "unsupported pickle protocol: 6"},
      {"POP on empty", "0", "pickle.stack-underflow", "underflow"},
      {"REDUCE above a MARK", "N)(R", "pickle.stack-underflow", "MARK"},
      {"STOP on empty", ".", "pickle.stack-underflow", "STOP"},
      {"TUPLE without MARK", "Nt.", "pickle.mark-not-found", "could not find MARK"},
      {"POP_MARK without MARK", "N1.", "pickle.mark-not-found", "could not find MARK"},
      {"GET never PUT", "h\x05.", "pickle.memo-missing", "Memo value not found at index 5"},
      {"text GET never PUT", "g7\n.", "pickle.memo-missing", "index 7"},
      {"odd DICT", "(Nd.", "pickle.type-error", "odd number of items for DICT"},
      {"odd SETITEMS", "}(Nu.", "pickle.type-error", "odd number of items for SETITEMS"},
      {"APPEND onto tuple", ")Na.", "pickle.type-error", "'tuple' object has no attribute 'append'"},
      {"APPENDS onto int", "K\x01(Ne.", "pickle.type-error", "'int' object"},
      {"SETITEM onto None", "NNNs.", "pickle.type-error", "does not support item assignment"},
      {"ADDITEMS onto list", "](N\x90.", "pickle.type-error", "'list' object has no attribute 'add'"},
      {"unhashable key", "(]Nd.", "pickle.type-error", "unhashable type: 'list'"},
      {"REDUCE on None", "N)R.", "pickle.type-error", "'NoneType' object is not callable"},
      {"REDUCE with list args", "cos\nsystem\n]R.", "pickle.type-error", "must be a tuple"},
      {"NEWOBJ on int", "K\x01)\x81.", "pickle.type-error", "class argument must be a type"},
      {"NEWOBJ_EX with list kwargs", "cm\nC\n)]\x92.", "pickle.type-error", "kwargs"},
      {"READONLY_BUFFER on int", "K\x01\x98.", "pickle.type-error", "bytes-like object"},
      {"NEXT_BUFFER", "\x80\x05\x97.", "pickle.out-of-band-buffer", "out-of-band"},
      {"unquoted STRING", "Sabc\n.", "pickle.bad-value", "must be quoted"},
      {"bad \\x escape", "S'\\xZZ'\n.", "pickle.bad-value", "invalid \\x escape"},
      {"bad INT", "Iabc\n.", "pickle.bad-value", "could not convert string to int"},
      {"bad LONG", "L12x\n.", "pickle.bad-value", "invalid literal"},
      {"bad FLOAT", "F1.5x\n.", "pickle.bad-value", "could not convert string to float"},
      {"huge FLOAT", "F1e999\n.", "pickle.bad-value", "too large"},
      {"negative PUT", "Np-1\n.", "pickle.bad-value", "negative PUT argument"},
      {"bad GET", "gx\n.", "pickle.bad-value", "base 10"},
      {"EXT code 0", B("\x82\x00."), "pickle.bad-value", "EXT specifies code <= 0"},
      {"negative LONG4", "\x8b\xff\xff\xff\xff.", "pickle.bad-value", "negative byte count"},
      {"negative BINSTRING", "T\xff\xff\xff\xff.", "pickle.bad-value", "negative byte count"},
      {"non-ASCII PERSID", "P\xe9\n.", "pickle.bad-value", "ASCII"},
      {"BINBYTES8 2^63", B("\x8e\x00\x00\x00\x00\x00\x00\x00\x80."),
       "pickle.bad-value", "maximum size"},
      {"BINBYTES8 2^63-1", B("\x8e\xff\xff\xff\xff\xff\xff\xff\x7f."),
       "pickle.truncated", "9223372036854775807"},
      {"BINUNICODE8 2^62", B("\x8d\x00\x00\x00\x00\x00\x00\x00\x40."),
       "pickle.truncated", "truncated"},
      {"FRAME 2^63", B("\x95\x00\x00\x00\x00\x00\x00\x00\x80."), "pickle.bad-value",
       "FRAME length"},
      {"bad UTF-8", B("X\x01\x00\x00\x00\xff."), "pickle.bad-utf8", "can't decode byte 0xff"},
      {"bad UTF-8 global", "c\xff\nx\n.", "pickle.bad-utf8", "UTF-8"},
      {"bad \\u escape", "Vab\\u12\n.", "pickle.bad-utf8", "truncated \\uXXXX"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PickleGraph g = RunPickle(c.bytes);
    ASSERT_TRUE(g.error.has_value());
    EXPECT_EQ(g.error->code, c.code) << g.error->message;
    EXPECT_NE(g.error->message.find(c.message_part), std::string::npos) << g.error->message;
    EXPECT_FALSE(g.error->hint.empty());
    EXPECT_GE(g.error->offset, 0);
    EXPECT_LE(static_cast<uint64_t>(g.error->offset), c.bytes.size());
    EXPECT_FALSE(g.complete());
  }
}

TEST(PickleMachineErrors, PartialGraphAndGlobalsAreKept) {
  PickleGraph g = RunPickle(B("\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00lsh\x09"));
  EXPECT_EQ(ErrorCode(g), "pickle.memo-missing");
  EXPECT_EQ(g.error->offset, 20);  // the BINGET
  ASSERT_EQ(g.globals.size(), 1u);
  EXPECT_EQ(g.globals[0].module, "os");
  EXPECT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.root, kNoNode);
}

TEST(PickleMachineErrors, EveryPrefixOfAValidPickleFailsCleanly) {
  std::vector<std::string> pickles;
  for (const char* hex : kDictHex) pickles.push_back(Unhex(hex));
  pickles.push_back(ReadFile(std::filesystem::path(PTLINT_SOURCE_DIR) /
                             "tests/fuzz/pickle_machine/torch_state_dict_data.pkl"));
  for (const std::string& full : pickles) {
    ASSERT_FALSE(full.empty());
    for (PickleFraming framing : {PickleFraming::kFileStream, PickleFraming::kBytesBuffer}) {
      ASSERT_TRUE(RunPickle(full, {}, framing).complete());
      for (size_t len = 0; len < full.size(); ++len) {
        PickleGraph g = RunPickle(std::string_view(full).substr(0, len), {}, framing);
        ASSERT_TRUE(g.error.has_value()) << "prefix " << len;
        EXPECT_EQ(g.error->code, "pickle.truncated") << "prefix " << len << ": " << g.error->message;
        EXPECT_LE(static_cast<uint64_t>(g.error->offset), len);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Limits.

TEST(PickleMachineLimits, EachLimit) {
  struct Case {
    const char* code;
    const char* field;
    PickleLimits limits;
    std::string bytes;
  };
  PickleLimits opcodes;
  opcodes.max_opcodes = 3;
  PickleLimits nodes;
  nodes.max_nodes = 2;
  PickleLimits memo;
  memo.max_memo = 2;
  PickleLimits stack;
  stack.max_stack = 3;
  PickleLimits marks;
  marks.max_mark_depth = 2;
  std::string many;
  for (int i = 0; i < 8; ++i) many += "N";
  const Case cases[] = {
      {"pickle.limit.opcodes", "max_opcodes", opcodes, many + "."},
      {"pickle.limit.nodes", "max_nodes", nodes, "]]]]]]]]."},  // None would be shared
      {"pickle.limit.memo", "max_memo", memo, B("Nq\x00q\x01q\x02.")},
      {"pickle.limit.stack", "max_stack", stack, many + "."},
      {"pickle.limit.mark-depth", "max_mark_depth", marks, "(((."},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    PickleGraph g = RunPickle(c.bytes, c.limits);
    ASSERT_TRUE(g.error.has_value());
    EXPECT_EQ(g.error->code, c.code);
    EXPECT_NE(g.error->message.find(c.field), std::string::npos) << g.error->message;
    EXPECT_NE(g.error->hint.find(std::string("raise PickleLimits::") + c.field), std::string::npos)
        << g.error->hint;
  }
}

// The opcodes torch.save writes most (BINGET, LONG_BINPUT, BININT1, MARK,
// BINUNICODE, TUPLE*, REDUCE, BINPERSID, EMPTY_*) have short paths in the
// machine; a limit hit on exactly such an opcode must still be reported at
// that opcode, like any other.
TEST(PickleMachineLimits, HitOnTheCommonOpcodes) {
  struct Case {
    const char* name;
    std::string bytes;
    PickleLimits limits;
    const char* code;
    int64_t offset;
  };
  PickleLimits stack2, stack3, nodes1, nodes2, memo2;
  stack2.max_stack = 2;
  stack3.max_stack = 3;
  nodes1.max_nodes = 1;
  nodes2.max_nodes = 2;
  memo2.max_memo = 2;
  const Case cases[] = {
      {"BININT1 push", B("K\x01K\x02K\x03K\x04."), stack3, "pickle.limit.stack", 6},
      {"BINGET push", B("Nq\x00h\x00h\x00h\x00."), stack3, "pickle.limit.stack", 7},
      {"shared None push", "NNN.", stack2, "pickle.limit.stack", 2},
      {"EMPTY_DICT push", "}}}.", stack2, "pickle.limit.stack", 2},
      // TUPLE pushes its result where the MARK was: at max_stack there.
      {"TUPLE at a full MARK", "NN(t.", stack2, "pickle.limit.stack", 3},
      {"BINUNICODE node", B("X\x01\x00\x00\x00" "aX\x01\x00\x00\x00" "b."), nodes1,
       "pickle.limit.nodes", 6},
      {"TUPLE1 node", B("]\x85\x85."), nodes2, "pickle.limit.nodes", 2},
      {"TUPLE node", "](t.", nodes1, "pickle.limit.nodes", 2},
      {"REDUCE node", "c__builtin__\nlist\n)R.", nodes2, "pickle.limit.nodes", 19},
      {"BINPERSID node", "NQ.", nodes1, "pickle.limit.nodes", 1},
      {"LONG_BINPUT memo", B("Nr\x00\x00\x00\x00r\x01\x00\x00\x00r\x02\x00\x00\x00."), memo2,
       "pickle.limit.memo", 11},
      {"BINGET of an index never PUT", B("Nq\x05h\x03."), {}, "pickle.memo-missing", 3},
      {"BINPUT of an empty MARK", B("N(q\x00."), {}, "pickle.stack-underflow", 2},
      {"REDUCE on a non-callable", "N)R.", {}, "pickle.type-error", 2},
      {"TUPLE2 across a MARK", B("N(N\x86."), {}, "pickle.stack-underflow", 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PickleGraph g = RunPickle(c.bytes, c.limits, PickleFraming::kFileStream, 100);
    ASSERT_TRUE(g.error.has_value());
    EXPECT_EQ(g.error->code, c.code) << g.error->message;
    EXPECT_EQ(g.error->offset, 100 + c.offset) << g.error->message;
  }
  // One opcode under each limit still completes.
  PickleGraph g = RunPickle(B("K\x01K\x02K\x03\x87."), stack3);
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_EQ(RenderRoot(g), "(1, 2, 3)");
}

// The opcode budget is checked at every opcode, also next to the points
// where the clock is read (every 4096 opcodes).
TEST(PickleMachineLimits, OpcodeBudgetAroundClockChecks) {
  std::string s;
  for (int i = 0; i < 2100; ++i) s += "N0";
  s += "N.";  // 4202 one-byte opcodes
  for (uint64_t max : {4095u, 4096u, 4097u, 4201u}) {
    SCOPED_TRACE(max);
    PickleLimits limits;
    limits.max_opcodes = max;
    PickleGraph g = RunPickle(s, limits);
    ASSERT_TRUE(g.error.has_value());
    EXPECT_EQ(g.error->code, "pickle.limit.opcodes");
    EXPECT_EQ(g.error->offset, static_cast<int64_t>(max));  // opcode max + 1
    EXPECT_EQ(g.opcode_count, max + 1);
  }
  PickleLimits limits;
  limits.max_opcodes = 4202;
  EXPECT_TRUE(RunPickle(s, limits).complete());
}

TEST(PickleMachineOpcodes, UnicodeValidationAtWordEdges) {
  auto binunicode = [](std::string_view text) {
    uint32_t n = static_cast<uint32_t>(text.size());
    std::string s = "X";
    for (int i = 0; i < 4; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
    return s + std::string(text) + ".";
  };
  // ASCII and valid UTF-8 of every length around the 8-byte words.
  for (size_t len = 0; len <= 17; ++len) {
    SCOPED_TRACE(len);
    std::string ascii(len, 'a');
    PickleGraph g = RunPickle(binunicode(ascii));
    ASSERT_TRUE(g.complete()) << ErrorCode(g);
    EXPECT_EQ(g.at(g.root).text, ascii);
    if (len >= 2) {
      std::string accented = std::string(len - 2, 'a') + "\xc3\xa9";  // é last
      g = RunPickle(binunicode(accented));
      ASSERT_TRUE(g.complete()) << ErrorCode(g);
      EXPECT_EQ(g.at(g.root).text, accented);
    }
    if (len >= 1) {  // an invalid byte last, then first
      std::string bad = std::string(len - 1, 'a') + "\xff";
      g = RunPickle(binunicode(bad));
      ASSERT_TRUE(g.error.has_value());
      EXPECT_EQ(g.error->code, "pickle.bad-utf8");
      EXPECT_EQ(g.error->offset, static_cast<int64_t>(5 + len - 1));
      bad = "\x80" + std::string(len - 1, 'a');
      g = RunPickle(binunicode(bad));
      ASSERT_TRUE(g.error.has_value());
      EXPECT_EQ(g.error->offset, 5);
    }
  }
  // BINUNICODE decodes with "surrogatepass": a lone surrogate is accepted.
  PickleGraph g = RunPickle(binunicode("abcdefgh\xed\xa0\x80"));
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  EXPECT_EQ(g.at(g.root).size, 11u);
  // SHORT_BINUNICODE takes the same checks.
  g = RunPickle(B("\x8c\x02\xc3\x28."));
  ASSERT_TRUE(g.error.has_value());
  EXPECT_EQ(g.error->code, "pickle.bad-utf8");
}

// Reads inside and across a FRAME for the common opcodes: torch.load's file
// unpickler drops the frame's rest when a read straddles its end, while
// pickle.loads reads on.
TEST(PickleMachineFrames, CommonOpcodesStraddlingAFrame) {
  // FRAME(4) holds N, LONG_BINPUT and 2 of its 4 index bytes; the file
  // unpickler drops those 2 and takes the index from the 4 bytes after the
  // frame (7), the bytes reader takes 0x00070000 from the 2 + 2 bytes.
  std::string s = B("\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00Nr\x00\x00\x07\x00\x00\x00")
                  + B("h\x07.");
  PickleGraph file = RunPickle(s, {}, PickleFraming::kFileStream);
  ASSERT_TRUE(file.complete()) << ErrorCode(file);
  EXPECT_TRUE(HasAnomaly(file, "frame.skipped-bytes"));
  EXPECT_EQ(RenderRoot(file), "None");
  PickleGraph bytes = RunPickle(s, {}, PickleFraming::kBytesBuffer);
  ASSERT_TRUE(bytes.error.has_value());  // memo 0x00070000 was PUT, BINGET 0 was not
  EXPECT_FALSE(HasAnomaly(bytes, "frame.skipped-bytes"));
  // A BINUNICODE whose text runs past its frame.
  // The file unpickler drops "ab" and reads "c.N"; the bytes reader "abc".
  s = B("\x80\x04\x95\x07\x00\x00\x00\x00\x00\x00\x00X\x03\x00\x00\x00" "ab") + "c.N.";
  file = RunPickle(s, {}, PickleFraming::kFileStream);
  ASSERT_TRUE(file.complete()) << ErrorCode(file);
  EXPECT_TRUE(HasAnomaly(file, "frame.skipped-bytes"));
  EXPECT_EQ(file.at(file.root).text, "c.N");
  bytes = RunPickle(s, {}, PickleFraming::kBytesBuffer);
  ASSERT_TRUE(bytes.complete()) << ErrorCode(bytes);
  EXPECT_TRUE(HasAnomaly(bytes, "frame.length-mismatch"));
  EXPECT_EQ(bytes.at(bytes.root).text, "abc");
  // Whole opcodes inside two frames, and after them.
  s = B("\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x05(\x95\x04\x00\x00\x00\x00\x00\x00\x00"
        "K\x06t\x86") + ".";
  for (PickleFraming f : {PickleFraming::kFileStream, PickleFraming::kBytesBuffer}) {
    PickleGraph g = RunPickle(s, {}, f);
    ASSERT_TRUE(g.complete()) << ErrorCode(g);
    EXPECT_TRUE(g.anomalies.empty()) << g.anomalies[0].code;
    EXPECT_EQ(RenderRoot(g), "(5, (6,))");
  }
}

TEST(PickleMachineLimits, TimeBudget) {
  PickleLimits limits;
  limits.max_millis = 0;
  std::string s;
  for (int i = 0; i < 10000; ++i) s += "N0";
  s += "N.";
  PickleGraph g = RunPickle(s, limits);
  ASSERT_TRUE(g.error.has_value());
  EXPECT_EQ(g.error->code, "pickle.limit.time");
  EXPECT_NE(g.error->hint.find("max_millis"), std::string::npos);
  EXPECT_TRUE(RunPickle(s).complete());
}

// Billion laughs: level i is a list of ten references to level i-1, so the
// object expands to 10^depth leaves. Sharing keeps the graph linear.
TEST(PickleMachineLimits, BillionLaughsStaysLinear) {
  constexpr int kDepth = 50000;
  std::string s = B("\x80\x02]r\x00\x00\x00\x00");
  for (uint32_t level = 1; level <= kDepth; ++level) {
    std::string get = "j";
    uint32_t prev = level - 1;
    get.append(reinterpret_cast<const char*>(&prev), 4);  // little-endian host
    s += "(";
    for (int k = 0; k < 10; ++k) s += get;
    s += "lr";
    s.append(reinterpret_cast<const char*>(&level), 4);
    s += "0";
  }
  s += "j";
  uint32_t last = kDepth;
  s.append(reinterpret_cast<const char*>(&last), 4);
  s += ".";
  PickleGraph g = RunPickle(s);
  ASSERT_TRUE(g.complete()) << ErrorCode(g);
  // Linear: one node per level and one opcode count proportional to the
  // bytes, never to the 10^depth expansion.
  EXPECT_EQ(g.nodes.size(), kDepth + 1u);
  EXPECT_EQ(g.at(g.root).items.size(), 10u);
  EXPECT_LE(g.opcode_count, s.size());
}

// What torch.save writes for a 20,000-tensor state dict (protocol 2, memo via
// BINPUT/LONG_BINPUT, shared globals via BINGET/LONG_BINGET).
class StateDictWriter {
 public:
  std::string bytes = "\x80\x02";
  void Put() {
    uint32_t idx = next_++;
    if (idx < 256) {
      bytes += 'q';
      bytes += static_cast<char>(idx);
    } else {
      bytes += 'r';
      bytes.append(reinterpret_cast<const char*>(&idx), 4);
    }
  }
  uint32_t PutIndex() { Put(); return next_ - 1; }
  void Get(uint32_t idx) {
    if (idx < 256) {
      bytes += 'h';
      bytes += static_cast<char>(idx);
    } else {
      bytes += 'j';
      bytes.append(reinterpret_cast<const char*>(&idx), 4);
    }
  }
  void Str(const std::string& s) {
    uint32_t n = static_cast<uint32_t>(s.size());
    bytes += 'X';
    bytes.append(reinterpret_cast<const char*>(&n), 4);
    bytes += s;
  }

 private:
  uint32_t next_ = 0;
};

std::string MakeStateDict(int tensors) {
  StateDictWriter w;
  w.bytes += "ccollections\nOrderedDict\n";
  uint32_t od = w.PutIndex();
  w.bytes += ")R";
  w.Put();
  w.bytes += "(";
  uint32_t rebuild = 0, storage_str = 0, float_storage = 0, cpu = 0;
  for (int i = 0; i < tensors; ++i) {
    w.Str("layers." + std::to_string(i / 2) + (i % 2 ? ".bias" : ".weight"));
    w.Put();
    if (i == 0) {
      w.bytes += "ctorch._utils\n_rebuild_tensor_v2\n";
      rebuild = w.PutIndex();
    } else {
      w.Get(rebuild);
    }
    w.bytes += "((";
    if (i == 0) {
      w.Str("storage");
      storage_str = w.PutIndex();
      w.bytes += "ctorch\nFloatStorage\n";
      float_storage = w.PutIndex();
    } else {
      w.Get(storage_str);
      w.Get(float_storage);
    }
    w.Str(std::to_string(i));
    w.Put();
    if (i == 0) {
      w.Str("cpu");
      cpu = w.PutIndex();
    } else {
      w.Get(cpu);
    }
    w.bytes += B("M\x00\x01t");
    w.Put();
    w.bytes += B("QK\x00K\x10K\x10\x86");
    w.Put();
    w.bytes += "K\x10K\x01\x86";
    w.Put();
    w.bytes += "\x89";
    w.Get(od);
    w.bytes += ")R";
    w.Put();
    w.bytes += "t";
    w.Put();
    w.bytes += "R";
    w.Put();
  }
  w.bytes += "u}";
  w.Put();
  w.Str("_metadata");
  w.Put();
  w.Get(od);
  w.bytes += ")R";
  w.Put();
  w.bytes += "sb.";
  return w.bytes;
}

// The benign file fickling calls a billion-laughs attack: it must read
// completely under the default limits. Its speed is measured in bench/.
TEST(PickleMachineLimits, TwentyThousandTensorStateDictStaysUnderTheLimits) {
  std::string s = MakeStateDict(20000);
  PickleGraph g = RunPickle(s);
  ASSERT_TRUE(g.complete()) << ErrorCode(g) << " " << (g.error ? g.error->message : "");
  ASSERT_TRUE(g.anomalies.empty()) << g.anomalies[0].code;
  ASSERT_EQ(g.at(g.root).set_items.size(), 40000u);
  ASSERT_EQ(g.globals.size(), 3u);
  EXPECT_LE(g.opcode_count, s.size());
}

// ---------------------------------------------------------------------------
// The peer security corpus: every raw pickle (first byte 0x80) must finish
// with a graph or an error, never crash or hang.

TEST(PickleMachineCorpus, EveryRawPickleFinishes) {
  std::filesystem::path dir(PTLINT_CORPUS_DIR);
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus not present at " << dir;
  PickleLimits limits;
  limits.max_millis = 2000;
  int files = 0, complete = 0, errors = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string bytes = ReadFile(entry.path());
    if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != 0x80) continue;
    SCOPED_TRACE(entry.path().string());
    ++files;
    for (PickleFraming framing : {PickleFraming::kFileStream, PickleFraming::kBytesBuffer}) {
      PickleGraph g = RunPickle(bytes, limits, framing);
      EXPECT_TRUE(g.complete() || g.error.has_value());
      EXPECT_LE(g.end_offset, bytes.size());
      if (framing == PickleFraming::kFileStream) {
        (g.complete() ? complete : errors)++;
        if (g.error) std::printf("  %s: %s %s\n", entry.path().filename().c_str(),
                                 g.error->code.c_str(), g.error->message.c_str());
      }
    }
  }
  std::printf("corpus: %d raw pickles, %d complete, %d with an error\n", files, complete, errors);
  EXPECT_GT(files, 100);
}

TEST(PickleMachineNames, KindAndOpcodeNames) {
  EXPECT_STREQ(PickleKindName(PickleKind::kGlobal), "global");
  EXPECT_STREQ(PickleKindName(PickleKind::kPersistentId), "persistent-id");
  EXPECT_EQ(PickleOpcodeName(0x93), "STACK_GLOBAL");
  EXPECT_EQ(PickleOpcodeName('q'), "BINPUT");
  EXPECT_EQ(PickleOpcodeName(0x98), "READONLY_BUFFER");
  EXPECT_EQ(PickleOpcodeName(0xff), "0xff");
  int known = 0;
  for (int b = 0; b < 256; ++b) known += PickleOpcodeName(static_cast<uint8_t>(b)).rfind("0x", 0) != 0;
  EXPECT_EQ(known, 68);
}

}  // namespace
}  // namespace ptlint

// ---------------------------------------------------------------------------
// Fast paths: on and off, the machine builds the same graph.

namespace ptlint {
namespace {

// Every pickle in a file: a zip's *.pkl records, else the pickles that
// follow one another from offset 0 (a legacy file holds five).
std::vector<std::string> PicklesOf(const std::filesystem::path& path) {
  std::vector<std::string> out;
  std::string bytes = ReadFile(path);
  MemoryByteSource source(bytes);
  if (auto zip = ZipArchive::Open(source); zip.ok()) {
    for (const ZipEntry& e : zip->entries()) {
      if (e.name.size() < 4 || e.name.compare(e.name.size() - 4, 4, ".pkl") != 0) continue;
      if (auto data = zip->Read(e); data.ok()) out.push_back(std::move(*data));
    }
    return out;
  }
  uint64_t at = 0;
  while (at < bytes.size() && out.size() < 8) {
    std::string_view rest = std::string_view(bytes).substr(at);
    out.emplace_back(rest);
    PickleGraph g = PickleMachine().Run(rest);
    if (!g.complete() || g.end_offset == 0) break;
    at += g.end_offset;
  }
  return out;
}

TEST(PickleMachineFastPaths, SameGraphOnSeedsAndFixtures) {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {PTLINT_SOURCE_DIR "/tests/fuzz/pickle_machine", PTLINT_FIXTURE_DIR,
                          PTLINT_CORPUS_DIR}) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file() && it->file_size() < (64u << 20)) files.push_back(it->path());
    }
  }
  ASSERT_FALSE(files.empty());
  size_t compared = 0;
  for (const auto& file : files) {
    for (const std::string& pickle : PicklesOf(file)) {
      for (PickleFraming framing : {PickleFraming::kFileStream, PickleFraming::kBytesBuffer}) {
        PickleGraph fast = PickleMachine({}, framing, PickleFastPaths::kOn).Run(pickle, 7);
        PickleGraph slow = PickleMachine({}, framing, PickleFastPaths::kOff).Run(pickle, 7);
        EXPECT_EQ(PickleGraphDifference(fast, slow), "") << file;
        ++compared;
      }
    }
  }
  std::printf("compared %zu runs over %zu files\n", compared, files.size());
}

TEST(PickleMachineFastPaths, TheComparerSeesADifference) {
  std::string pickle = Unhex(kDictHex[2]);
  PickleGraph a = PickleMachine().Run(pickle);
  PickleGraph b = PickleMachine().Run(pickle, 1);
  EXPECT_EQ(PickleGraphDifference(a, a), "");
  EXPECT_NE(PickleGraphDifference(a, b), "");
}

// The fuzz targets' "DEEP" recipes (pickle_fuzz_input.h) and what the
// machine builds from them: one node per level, no recursion, a complete
// graph at 10^6 levels.
TEST(PickleFuzzInput, DeepRecipesExpandAndTheMachineBuildsThem) {
  auto recipe = [](uint32_t count, std::string_view head, std::string_view unit, std::string_view tail) {
    std::string r = "DEEP";
    for (int i = 0; i < 3; ++i) r += static_cast<char>((count >> (8 * i)) & 0xff);
    r += static_cast<char>(head.size());
    r += head;
    r += static_cast<char>(unit.size());
    r += unit;
    r += tail;
    return r;
  };
  std::string bytes = ExpandPickleFuzzInput(recipe(1000000, "\x80\x02N", "\x85", "."));
  ASSERT_EQ(bytes.size(), 3u + 1000000u + 1u);
  EXPECT_EQ(bytes.substr(0, 3), "\x80\x02N");
  EXPECT_EQ(bytes.back(), '.');
  PickleGraph g = PickleMachine().Run(bytes, 0);
  ASSERT_TRUE(g.complete()) << (g.error ? g.error->message : "");
  EXPECT_EQ(g.nodes.size(), 1000001u);
  // Not a recipe: unchanged. A recipe that would expand past 4 MiB is capped.
  EXPECT_EQ(ExpandPickleFuzzInput("\x80\x02N."), "\x80\x02N.");
  EXPECT_LE(ExpandPickleFuzzInput(recipe(0xffffff, "", std::string(16, 'N'), ".")).size(),
            (4u << 20) + 1);
}

}  // namespace
}  // namespace ptlint
