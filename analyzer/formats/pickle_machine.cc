// The static pickle machine. See pickle_machine.h for the contract.
//
// Semantics follow CPython 3.11 Modules/_pickle.c (the C unpickler torch.load
// uses), opcode by opcode; where the C code raises, we end the run with an
// Error whose message uses CPython's wording where one exists, so users can
// match it against what torch.load printed.
#include "analyzer/formats/pickle_machine.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace ptlint {

namespace op = pickle_op;

namespace {

enum class Anomaly : uint8_t {
  kMemoOverwrite, kStopStackNotEmpty, kStopMarkOpen, kFrameLengthMismatch, kFrameSkippedBytes,
  kProtoDuplicate, kProtoNotFirst, kOpcodeNewerThanProtocol, kPopMark, kBuildOnGlobal,
  kBuildOnNonObject, kSetitemOnNonDict, kGlobalDottedBeforeProto4, kGlobalDynamic,
  kExtensionCode, kReadonlyBufferAlone, kPy2StringNotUtf8, kCount,
};

constexpr std::array<const char*, static_cast<size_t>(Anomaly::kCount)> kAnomalyCodes = {
    "memo.overwrite", "stop.stack-not-empty", "stop.mark-open", "frame.length-mismatch",
    "frame.skipped-bytes", "proto.duplicate", "proto.not-first",
    "opcode.newer-than-protocol", "pop.mark", "build.on-global", "build.on-non-object",
    "setitem.on-non-dict", "global.dotted-name-before-proto4", "global.dynamic",
    "extension.code", "buffer.readonly-without-next-buffer", "string.py2-not-utf8",
};
static_assert(kAnomalyCodes.back() != nullptr, "one code per Anomaly");
constexpr uint32_t kMaxAnomaliesPerCode = 16;

constexpr const char* kCorruptHint =
    "the pickle is corrupt or was crafted to confuse scanners: do not load it; "
    "re-download it from its source and compare its hash";
constexpr const char* kTruncatedHint =
    "the file is cut short (interrupted download or copy?): re-download it and compare its "
    "size and hash with the source";

// Values whose runtime type we cannot know statically: the result of a call,
// an imported object, a persistent id, an extension.
bool IsOpaque(PickleKind k) {
  return k == PickleKind::kGlobal || k == PickleKind::kCall || k == PickleKind::kNewObj ||
         k == PickleKind::kPersistentId || k == PickleKind::kExtension;
}

const char* PythonTypeName(const PickleNode& n) {
  switch (n.kind) {
    case PickleKind::kNone: return "NoneType";
    case PickleKind::kBool: return "bool";
    case PickleKind::kInt:
    case PickleKind::kBigInt: return "int";
    case PickleKind::kFloat: return "float";
    case PickleKind::kStr: return "str";
    case PickleKind::kBytes: return n.opcode == op::BYTEARRAY8 ? "bytearray" : "bytes";
    case PickleKind::kTuple: return "tuple";
    case PickleKind::kList: return "list";
    case PickleKind::kDict: return "dict";
    case PickleKind::kSet: return "set";
    case PickleKind::kFrozenSet: return "frozenset";
    default: return "object";
  }
}

bool IsUnhashable(PickleKind k) {
  return k == PickleKind::kList || k == PickleKind::kDict || k == PickleKind::kSet;
}

uint64_t LoadLE(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Whether s[0..len) is all ASCII (so valid UTF-8): the keys and storage
// names of a state dict, checked a word at a time, the last word overlapping.
bool IsAscii(const uint8_t* s, size_t len) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  if (len < 8) {
    uint8_t any = 0;
    for (size_t i = 0; i < len; ++i) any |= s[i];
    return (any & 0x80) == 0;
  }
  uint64_t any = 0, w;
  for (size_t i = 0; i + 8 <= len; i += 8) {
    std::memcpy(&w, s + i, 8);
    any |= w;
  }
  std::memcpy(&w, s + len - 8, 8);
  return ((any | w) & kHigh) == 0;
}

// UTF-8 validation as CPython's decoder does it; `allow_surrogates` is the
// "surrogatepass" error handler BINUNICODE uses. Returns the offset of the
// first bad byte, or `len` if the text is valid.
size_t FindInvalidUtf8(const uint8_t* s, size_t len, bool allow_surrogates) {
  size_t i = 0;
  while (i < len) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= len) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= len) break;
    uint8_t c = s[i];
    if (c < 0x80) { ++i; continue; }
    size_t need;
    uint32_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed && !allow_surrogates) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return i;
    }
    if (need > len - i - 1) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k <= need; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return i;
    }
    i += need + 1;
  }
  return len;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

int HexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsPySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Little-endian two's-complement bytes (LONG1/LONG4 payload) in decimal.
std::string SignedLittleEndianToDecimal(const uint8_t* p, size_t n) {
  bool negative = n > 0 && (p[n - 1] & 0x80);
  // Magnitude as base-2^32 limbs, least significant first.
  std::vector<uint32_t> limbs((n + 3) / 4, 0);
  for (size_t i = 0; i < n; ++i) {
    uint8_t b = negative ? static_cast<uint8_t>(~p[i]) : p[i];
    limbs[i / 4] |= static_cast<uint32_t>(b) << (8 * (i % 4));
  }
  if (negative) {  // two's complement: magnitude = ~x + 1
    for (uint32_t& limb : limbs) {
      if (++limb != 0) break;
    }
  }
  while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
  if (limbs.empty()) return "0";
  std::string digits;
  while (!limbs.empty()) {
    uint64_t rem = 0;
    for (size_t i = limbs.size(); i-- > 0;) {
      uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = static_cast<uint32_t>(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
    for (int k = 0; k < 9; ++k) {
      digits.push_back(static_cast<char>('0' + rem % 10));
      rem /= 10;
      if (limbs.empty() && rem == 0) break;
    }
  }
  if (negative) digits.push_back('-');
  return std::string(digits.rbegin(), digits.rend());
}

// The value of an INT/LONG/GET/PUT text argument.
struct ParsedInt {
  bool fits = true;       // value holds it; otherwise `text` does
  int64_t value = 0;
  std::string text;       // decimal digits (with sign) or the literal as written
};

// PyLong_FromString(s, NULL, base) with base 0 or 10: optional whitespace,
// sign, base prefix (base 0), digits with single underscores between them.
bool ParsePyLong(std::string_view s, int base, ParsedInt* out) {
  size_t i = 0, n = s.size();
  while (i < n && IsPySpace(s[i])) ++i;
  while (n > i && IsPySpace(s[n - 1])) --n;
  bool negative = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  int radix = 10;
  bool prefixed = false;
  if (base == 0 && i + 1 < n && s[i] == '0') {
    char p = static_cast<char>(s[i + 1] | 0x20);
    if (p == 'x') radix = 16; else if (p == 'o') radix = 8; else if (p == 'b') radix = 2;
    if (radix != 10) { i += 2; prefixed = true; }
  }
  if (prefixed && i < n && s[i] == '_') ++i;  // "0x_1f" is valid
  size_t digits_start = i;
  std::string digits;
  bool last_underscore = false;
  unsigned __int128 acc = 0;
  bool overflow = false;
  for (; i < n; ++i) {
    char c = s[i];
    if (c == '_') {
      if (last_underscore || i == digits_start) return false;
      last_underscore = true;
      continue;
    }
    int d = HexValue(static_cast<uint8_t>(c));
    if (d < 0 || d >= radix) return false;
    last_underscore = false;
    if (digits.size() < (1u << 16)) digits.push_back(c);
    if (!overflow) {
      acc = acc * radix + d;
      if (acc > (static_cast<unsigned __int128>(1) << 64)) overflow = true;
    }
  }
  if (digits.empty() || last_underscore) return false;
  // Decimal with base 0: no leading zeros except for zero itself.
  if (base == 0 && radix == 10 && digits.size() > 1 && digits[0] == '0') {
    if (digits.find_first_not_of('0') != std::string::npos) return false;
  }
  if (!overflow && (negative ? acc <= (static_cast<unsigned __int128>(1) << 63)
                             : acc < (static_cast<unsigned __int128>(1) << 63))) {
    out->fits = true;
    out->value = acc == 0   ? 0
                 : negative ? -static_cast<int64_t>(acc - 1) - 1
                            : static_cast<int64_t>(acc);
    return true;
  }
  out->fits = false;
  if (radix == 10) {
    size_t nz = digits.find_first_not_of('0');
    out->text = (negative ? "-" : "") + digits.substr(nz == std::string::npos ? 0 : nz);
  } else {
    out->text = std::string(s.substr(0, n));
  }
  return true;
}

template <size_t N>
std::array<NodeId, N> MakeNoNodes() {
  std::array<NodeId, N> a;
  a.fill(kNoNode);
  return a;
}

// The machine's value stack: the part of std::vector's interface the machine
// uses, with a push_back small enough to be inlined into the opcode fast
// paths (GCC keeps std::vector's out of line in the big main loop, and would
// this one too without the attribute).
class NodeStack {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  NodeId& back() { return buf_[size_ - 1]; }
  NodeId& operator[](size_t i) { return buf_[i]; }
  const NodeId* data() const { return buf_.data(); }
  void pop_back() { --size_; }
  [[gnu::always_inline]] void push_back(NodeId id) {
    if (size_ == buf_.size()) [[unlikely]] buf_.resize(std::max<size_t>(2 * size_, 256));
    buf_[size_++] = id;
  }
  [[gnu::always_inline]] void resize(size_t n) {
    if (n <= size_) [[likely]] {  // the machine only ever shrinks the stack
      size_ = n;
      return;
    }
    if (n > buf_.size()) buf_.resize(n);
    std::fill(buf_.begin() + size_, buf_.begin() + n, NodeId{0});
    size_ = n;
  }

 private:
  std::vector<NodeId> buf_;  // capacity: its size
  size_t size_ = 0;
};

// The machine state for one Run.
class MachineRun {
 public:
  MachineRun(const PickleLimits& limits, PickleFraming framing, std::string_view data,
             uint64_t base, PickleGraph& graph)
      : limits_(limits),
        file_mode_(framing == PickleFraming::kFileStream),
        data_(reinterpret_cast<const uint8_t*>(data.data())),
        size_(data.size()),
        base_(base),
        g_(graph) {
    buf_end_ = file_mode_ ? 0 : size_;
    fast_end_ = size_;
  }

  // Runs with the opcode fast paths (kFastPaths) or with every opcode
  // through Step, the reference the differential fuzzer compares against.
  template <bool kFastPaths>
  void Execute();

 private:
  // ---- errors and anomalies ----
  bool Fail(const char* code, std::string message, std::string hint, uint64_t offset) {
    g_.error = MakeError(code, std::move(message), std::move(hint),
                         static_cast<int64_t>(base_ + offset));
    return false;
  }
  std::string Where() const {
    return std::string(OpName()) + " at offset " + std::to_string(base_ + op_start_);
  }
  const char* OpName() const {
    const char* n = kPickleOpcodes[opcode_].name;
    return n ? n : "?";
  }
  void Note(Anomaly a, uint64_t offset, std::string message) {
    uint32_t& count = anomaly_counts_[static_cast<size_t>(a)];
    if (++count > kMaxAnomaliesPerCode) return;
    g_.anomalies.push_back(
        PickleAnomaly{kAnomalyCodes[static_cast<size_t>(a)], std::move(message), base_ + offset});
  }
  bool Underflow() {
    if (!marks_.empty() && stack_.size() <= marks_.back()) {
      return Fail("pickle.stack-underflow",
                  "unexpected MARK found: " + Where() +
                      " needs a value but the stack holds nothing above the MARK at offset " +
                      std::to_string(base_ + mark_offsets_.back()),
                  kCorruptHint, op_start_);
    }
    return Fail("pickle.stack-underflow",
                "unpickling stack underflow: " + Where() + " needs more values than the stack (" +
                    std::to_string(stack_.size()) + ") holds",
                kCorruptHint, op_start_);
  }
  bool TypeError(std::string what) {
    return Fail("pickle.type-error", Where() + ": " + what, kCorruptHint, op_start_);
  }
  bool BadValue(std::string what) {
    return Fail("pickle.bad-value", Where() + ": " + what, kCorruptHint, op_start_);
  }
  bool LimitHit(const char* code, const char* field, uint64_t value) {
    return Fail(code,
                std::string("pickle exceeds PickleLimits::") + field + " = " +
                    std::to_string(value) + " at " + Where(),
                std::string("if the file is trusted to be this large, raise PickleLimits::") +
                    field + " (ReadOptions::pickle_limits); otherwise treat it as a "
                    "resource-exhaustion attempt",
                op_start_);
  }

  // ---- reading (see PickleFraming) ----
  bool Truncated(uint64_t need, uint64_t at) {
    uint64_t remain = at <= size_ ? size_ - at : 0;
    return Fail("pickle.truncated",
                "pickle data was truncated: " + Where() + " needs " + std::to_string(need) +
                    " byte(s) at offset " + std::to_string(base_ + at) + " but only " +
                    std::to_string(remain) + " remain",
                kTruncatedHint, at);
  }
  // In file mode, a read that does not fit the current frame buffer drops the
  // rest of that buffer, exactly like _Unpickler_ReadFromFile.
  void DropBuffer() {
    if (buf_end_ > pos_) {
      Note(Anomaly::kFrameSkippedBytes, pos_,
           Where() + " reads past the end of its FRAME: torch.load (CPython's file unpickler) "
           "discards the " + std::to_string(buf_end_ - pos_) + " byte(s) left in the frame at "
           "offset " + std::to_string(base_ + pos_) + " and continues at offset " +
           std::to_string(base_ + buf_end_) + ", while pickletools and pickle.loads read them");
      pos_ = buf_end_;
      SyncFastEnd();
    }
  }
  void SyncFastEnd() { fast_end_ = file_mode_ && buf_end_ > pos_ ? buf_end_ : size_; }
  // Reads that fit before fast_end_ (every read of an unframed pickle, and
  // the reads inside a frame) take the inline path; the rest (frame ends,
  // truncation) the slow one.
  bool Read(uint64_t n, const uint8_t** p) {
    if (n <= fast_end_ - pos_) [[likely]] {
      *p = data_ + pos_;
      pos_ += n;
      return true;
    }
    return ReadSlow(n, p);
  }
  bool ReadSlow(uint64_t n, const uint8_t** p) {
    if (file_mode_) DropBuffer();
    if (n > size_ - pos_) return Truncated(n, pos_);
    *p = data_ + pos_;
    pos_ += n;
    SyncFastEnd();
    return true;
  }
  // A text line without its '\n'.
  bool ReadLine(std::string_view* line) {
    const void* nl = buf_end_ > pos_ ? std::memchr(data_ + pos_, '\n', buf_end_ - pos_) : nullptr;
    if (!nl && file_mode_) {
      DropBuffer();
      nl = pos_ < size_ ? std::memchr(data_ + pos_, '\n', size_ - pos_) : nullptr;
    }
    if (!nl) {
      return Fail("pickle.truncated",
                  "pickle data was truncated: " + Where() +
                      " needs a line ending in '\\n' from offset " + std::to_string(base_ + pos_) +
                      " but the data ends first",
                  kTruncatedHint, pos_);
    }
    uint64_t end = static_cast<const uint8_t*>(nl) - data_;
    *line = std::string_view(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
    pos_ = end + 1;
    SyncFastEnd();
    return true;
  }
  bool ReadLength(int width, uint64_t* n) {
    const uint8_t* p = nullptr;
    if (!Read(width, &p)) return false;
    *n = LoadLE(p, width);
    return true;
  }

  // ---- nodes, stack, marks, memo ----
  bool CanAddNode() const { return g_.nodes.size() < limits_.max_nodes; }
  bool CanPush() const { return stack_.size() < limits_.max_stack; }
  // The caller checked CanAddNode().
  [[gnu::always_inline]] NodeId AddNode(PickleKind kind) {
    NodeId id = static_cast<NodeId>(g_.nodes.size());
    PickleNode& n = g_.nodes.emplace_back();
    n.kind = kind;
    n.opcode = opcode_;
    n.offset = base_ + op_start_;
    return id;
  }
  bool NewNode(PickleKind kind, NodeId* id) {
    if (!CanAddNode()) return LimitHit("pickle.limit.nodes", "max_nodes", limits_.max_nodes);
    *id = AddNode(kind);
    return true;
  }
  PickleNode& N(NodeId id) { return g_.nodes[id]; }
  bool Push(NodeId id) {
    if (!CanPush()) return LimitHit("pickle.limit.stack", "max_stack", limits_.max_stack);
    stack_.push_back(id);
    return true;
  }
  bool PushNew(PickleKind kind, NodeId* id) { return NewNode(kind, id) && Push(*id); }
  uint64_t Fence() const { return marks_.empty() ? 0 : marks_.back(); }
  // The stack holds `n` values above the innermost MARK.
  bool HasArgs(uint64_t n) const { return stack_.size() >= Fence() + n; }
  bool Pop(NodeId* id) {
    if (stack_.size() <= Fence()) return Underflow();
    *id = stack_.back();
    stack_.pop_back();
    return true;
  }
  bool Top(NodeId* id) {
    if (stack_.size() <= Fence()) return Underflow();
    *id = stack_.back();
    return true;
  }
  bool PopMark(uint64_t* mark) {
    if (marks_.empty()) {
      return Fail("pickle.mark-not-found", "could not find MARK: " + Where() + " needs one",
                  kCorruptHint, op_start_);
    }
    *mark = marks_.back();
    marks_.pop_back();
    mark_offsets_.pop_back();
    return true;
  }
  // Moves stack_[from..] into `items` and truncates the stack.
  [[gnu::always_inline]] void MoveFrom(uint64_t from, NodeList& items) {
    if (from < stack_.size()) items.Append(*g_.arena, stack_.data() + from, stack_.size() - from);
    stack_.resize(from);
  }
  PickleText Text(std::string_view s) { return PickleText(*g_.arena, s); }
  NodeId MemoGet(uint64_t idx) const {
    if (idx < memo_dense_.size()) return memo_dense_[idx];
    auto it = memo_sparse_.find(idx);
    return it == memo_sparse_.end() ? kNoNode : it->second;
  }
  bool MemoPut(uint64_t idx, NodeId value);
  bool MemoGetOp(uint64_t idx);

  bool PushText(PickleKind kind, const uint8_t* p, uint64_t len) {
    NodeId id = kNoNode;
    if (!PushNew(kind, &id)) return false;
    SetText(N(id), p, len);
    return true;
  }
  void SetText(PickleNode& n, const uint8_t* p, uint64_t len) {
    n.size = len;
    uint64_t keep = len < limits_.max_text_kept ? len : limits_.max_text_kept;
    n.text = Text(std::string_view(reinterpret_cast<const char*>(p), keep));
    n.truncated = keep < len;
  }
  // None, True, False, () and the ints -5..256 are singletons in CPython, so
  // sharing one node per value is what the unpickler itself does (identity
  // included); it also keeps a 20k-tensor state dict at ~60% of the nodes.
  bool PushShared(NodeId& cache, PickleKind kind, int64_t v) {
    if (cache == kNoNode) {
      if (!NewNode(kind, &cache)) return false;
      N(cache).int_value = v;
    }
    return Push(cache);
  }
  bool PushInt(int64_t v, PickleKind kind = PickleKind::kInt) {
    if (kind == PickleKind::kInt && v >= -5 && v <= 256) {
      return PushShared(small_ints_[v + 5], kind, v);
    }
    if (kind == PickleKind::kBool) return PushShared(v ? true_ : false_, kind, v);
    NodeId id = kNoNode;
    if (!PushNew(kind, &id)) return false;
    N(id).int_value = v;
    return true;
  }
  bool PushParsedInt(const ParsedInt& v) {
    if (v.fits) return PushInt(v.value);
    NodeId id = kNoNode;
    if (!PushNew(PickleKind::kBigInt, &id)) return false;
    N(id).text = Text(v.text);
    return true;
  }
  bool AddGlobal(NodeId id, bool dynamic) {
    const PickleNode& n = N(id);
    g_.globals.push_back(GlobalRef{n.text, n.name, n.offset, n.opcode, dynamic, id, n.truncated});
    return true;
  }
  bool MakeGlobalFromLines(NodeId* id);

  // ---- the main loop ----
  bool CheckBudget(std::chrono::steady_clock::time_point start);
  uint64_t NextBudgetCheck() const;
  void NoteNewerOpcode();
  void UpdateNewerOpcodes();

  // ---- fast paths ----
  // Execute tries these first for the opcodes torch.save pickles are made
  // of. Each handles its opcode only when Step() would neither fail, nor note
  // an anomaly, nor take an unusual branch, and checks that before changing
  // any state; otherwise it returns false and Step() runs the opcode. Step()
  // stays the one definition of the semantics: a fast path only skips the
  // generic checks and calls (PickleMachine::Run was ~240 instructions per
  // opcode on a 20k-tensor state dict before them).
  template <int kWidth>
  bool FastPut() {  // BINPUT, LONG_BINPUT
    if (kWidth > fast_end_ - pos_) return false;
    uint64_t idx = LoadLE(data_ + pos_, kWidth);
    // A new dense entry, within max_memo, of a value above the MARK.
    if (idx >= memo_dense_.size() || memo_dense_[idx] != kNoNode ||
        memo_len_ >= limits_.max_memo || !HasArgs(1)) {
      return false;
    }
    memo_dense_[idx] = stack_.back();
    ++memo_len_;
    pos_ += kWidth;
    return true;
  }
  template <int kWidth>
  bool FastGet() {  // BINGET, LONG_BINGET
    if (kWidth > fast_end_ - pos_) return false;
    uint64_t idx = LoadLE(data_ + pos_, kWidth);
    // (An index below memo_dense_.size() is never in memo_sparse_.)
    if (idx >= memo_dense_.size() || memo_dense_[idx] == kNoNode || !CanPush()) return false;
    stack_.push_back(memo_dense_[idx]);
    pos_ += kWidth;
    return true;
  }
  bool FastShared(NodeId cached) {  // a singleton (see PushShared) seen before
    if (cached == kNoNode || !CanPush()) return false;
    stack_.push_back(cached);
    return true;
  }
  bool FastBinInt1() {  // 0..255: all shared small ints
    if (pos_ >= fast_end_ || !FastShared(small_ints_[data_[pos_] + 5])) return false;
    ++pos_;
    return true;
  }
  bool FastMark() {
    if (marks_.size() >= limits_.max_mark_depth) return false;
    marks_.push_back(stack_.size());
    mark_offsets_.push_back(op_start_);
    return true;
  }
  bool FastPushNew(PickleKind kind) {  // EMPTY_DICT, EMPTY_LIST, EMPTY_SET
    if (!CanAddNode() || !CanPush()) return false;
    stack_.push_back(AddNode(kind));
    return true;
  }
  template <int kWidth>
  bool FastUnicode() {  // BINUNICODE, SHORT_BINUNICODE
    if (kWidth > fast_end_ - pos_) return false;
    uint64_t len = LoadLE(data_ + pos_, kWidth);
    if (len > fast_end_ - pos_ - kWidth) return false;
    const uint8_t* p = data_ + pos_ + kWidth;
    if (!CanAddNode() || !CanPush()) return false;
    if (!IsAscii(p, len) && FindInvalidUtf8(p, len, true) != len) return false;
    pos_ += kWidth + len;
    NodeId id = AddNode(PickleKind::kStr);
    SetText(N(id), p, len);
    stack_.push_back(id);
    return true;
  }
  // Stack sizes never exceed max_stack (Push checks), so a node that
  // replaces one or more popped values can always be pushed.
  bool FastTupleN(uint64_t count) {  // TUPLE1, TUPLE2, TUPLE3
    if (!HasArgs(count) || !CanAddNode()) return false;
    NodeId id = AddNode(PickleKind::kTuple);
    MoveFrom(stack_.size() - count, N(id).items);
    stack_.push_back(id);
    return true;
  }
  bool FastTuple() {  // TUPLE
    // The tuple replaces everything above the MARK, so it is pushed at the
    // MARK's stack size: that must be below max_stack.
    if (marks_.empty() || marks_.back() >= limits_.max_stack || !CanAddNode()) return false;
    uint64_t mark = marks_.back();
    marks_.pop_back();
    mark_offsets_.pop_back();
    NodeId id = AddNode(PickleKind::kTuple);
    MoveFrom(mark, N(id).items);
    stack_.push_back(id);
    return true;
  }
  bool FastReduce() {
    if (!HasArgs(2) || !CanAddNode()) return false;
    NodeId callee = stack_[stack_.size() - 2], args = stack_.back();
    PickleKind args_kind = N(args).kind;
    if ((args_kind != PickleKind::kTuple && !IsOpaque(args_kind)) || !IsOpaque(N(callee).kind)) {
      return false;
    }
    NodeId id = AddNode(PickleKind::kCall);
    N(id).callee = callee;
    N(id).args = args;
    stack_.pop_back();
    stack_.back() = id;
    return true;
  }
  bool FastBinPersId() {
    if (!HasArgs(1) || !CanAddNode()) return false;
    NodeId id = AddNode(PickleKind::kPersistentId);
    N(id).args = stack_.back();
    stack_.back() = id;
    return true;
  }

  // ---- opcode groups ----
  bool Step();
  bool OpString(uint64_t len_width);
  bool OpUnicode(uint64_t len_width);
  bool OpBytes(uint64_t len_width);
  bool OpTextString();
  bool OpTextUnicode();
  bool OpInt();
  bool OpLong();
  bool OpFloat();
  bool OpLongBinary(int len_width);
  bool OpAppend(NodeId list, uint64_t from);
  bool OpSetItems(NodeId dict, uint64_t from);
  bool OpAddItems(NodeId set, uint64_t from);
  bool OpBuild();
  bool OpStackGlobal();
  bool OpFrame();
  bool OpStop();

  const PickleLimits limits_;
  const bool file_mode_;
  const uint8_t* data_;
  const uint64_t size_;
  const uint64_t base_;
  PickleGraph& g_;

  uint64_t pos_ = 0;
  // File mode: while buf_end_ > pos_, [pos_, buf_end_) is what is left of the
  // current frame buffer; otherwise the buffer is empty (CPython reads from
  // the file directly) and buf_end_ is stale. Bytes mode: buf_end_ == size_.
  uint64_t buf_end_ = 0;
  // Reads up to here have no frame-buffer effect: buf_end_ while a file-mode
  // buffer holds bytes, size_ otherwise. pos_ <= fast_end_ always.
  uint64_t fast_end_ = 0;
  uint64_t op_start_ = 0;
  uint8_t opcode_ = 0;
  bool stopped_ = false;

  bool frame_active_ = false;
  uint64_t frame_start_ = 0;
  uint64_t frame_end_ = 0;  // declared
  bool frame_mismatch_noted_ = false;

  bool proto_seen_ = false;
  bool last_was_next_buffer_ = false;
  std::array<bool, 256> newer_opcode_noted_{};
  // Opcodes that would note opcode.newer-than-protocol now: newer than the
  // declared PROTO and not noted yet (all false before a PROTO).
  std::array<bool, 256> note_newer_{};
  std::array<uint32_t, static_cast<size_t>(Anomaly::kCount)> anomaly_counts_{};

  std::array<NodeId, 262> small_ints_ = MakeNoNodes<262>();
  NodeId true_ = kNoNode, false_ = kNoNode, none_ = kNoNode, empty_tuple_ = kNoNode;

  NodeStack stack_;
  std::vector<uint64_t> marks_;         // stack sizes at each MARK
  std::vector<uint64_t> mark_offsets_;  // where each MARK is, for messages
  std::vector<NodeId> memo_dense_;
  std::unordered_map<uint64_t, NodeId> memo_sparse_;
  uint64_t memo_len_ = 0;  // occupied entries: MEMOIZE's index
};

bool MachineRun::MemoPut(uint64_t idx, NodeId value) {
  NodeId* slot = nullptr;
  if (idx < memo_dense_.size()) {
    slot = &memo_dense_[idx];
  } else if (idx < 2 * memo_len_ + 4096) {
    // Dense growth is bounded by the number of entries, so a hostile
    // LONG_BINPUT 0xffffffff cannot make us allocate 16 GiB.
    size_t new_size = std::max<size_t>(idx + 1, memo_dense_.size() * 2);
    new_size = std::min<size_t>(new_size, 2 * memo_len_ + 4096);
    memo_dense_.resize(new_size, kNoNode);
    for (auto it = memo_sparse_.begin(); it != memo_sparse_.end();) {
      if (it->first < new_size) {
        memo_dense_[it->first] = it->second;
        it = memo_sparse_.erase(it);
      } else {
        ++it;
      }
    }
    slot = &memo_dense_[idx];
  }
  bool existed;
  if (slot) {
    existed = *slot != kNoNode;
    *slot = value;
  } else {
    auto [it, inserted] = memo_sparse_.try_emplace(idx, value);
    existed = !inserted;
    it->second = value;
  }
  if (existed) {
    Note(Anomaly::kMemoOverwrite, op_start_,
         Where() + " overwrites memo entry " + std::to_string(idx) +
             ": honest picklers never reuse a memo index; later GETs of it see the new value");
    return true;
  }
  if (++memo_len_ > limits_.max_memo) return LimitHit("pickle.limit.memo", "max_memo", limits_.max_memo);
  return true;
}

bool MachineRun::MemoGetOp(uint64_t idx) {
  NodeId id = MemoGet(idx);
  if (id == kNoNode) {
    return Fail("pickle.memo-missing",
                "Memo value not found at index " + std::to_string(idx) + " (" + Where() +
                    " reads a memo entry no PUT ever stored)",
                kCorruptHint, op_start_);
  }
  return Push(id);
}

// GLOBAL and INST: two text lines, module and name, decoded as strict UTF-8.
bool MachineRun::MakeGlobalFromLines(NodeId* id) {
  std::string_view module, name;
  if (!ReadLine(&module) || !ReadLine(&name)) return false;
  for (std::string_view part : {module, name}) {
    size_t bad = FindInvalidUtf8(reinterpret_cast<const uint8_t*>(part.data()), part.size(), false);
    if (bad != part.size()) {
      return Fail("pickle.bad-utf8",
                  Where() + ": module or class name is not valid UTF-8 (byte at offset " +
                      std::to_string(base_ + (reinterpret_cast<const uint8_t*>(part.data()) - data_) + bad) + ")",
                  kCorruptHint, op_start_);
    }
  }
  if (!NewNode(PickleKind::kGlobal, id)) return false;
  PickleNode& n = N(*id);
  n.text = Text(module.substr(0, limits_.max_text_kept));
  n.name = Text(name.substr(0, limits_.max_text_kept));
  n.truncated = module.size() > limits_.max_text_kept || name.size() > limits_.max_text_kept;
  if (g_.protocol < 4 && name.find('.') != std::string_view::npos) {
    Note(Anomaly::kGlobalDottedBeforeProto4, op_start_,
         Where() + " names '" + n.text + "." + n.name + "': CPython resolves dotted names only "
         "from protocol 4 on, so at protocol " + std::to_string(g_.protocol) +
         " this fails to load (getattr of a dotted name)");
  }
  return AddGlobal(*id, false);
}

bool MachineRun::OpString(uint64_t len_width) {  // BINSTRING, SHORT_BINSTRING
  const uint8_t* p = nullptr;
  uint64_t len = 0;
  if (len_width == 4) {
    if (!Read(4, &p)) return false;
    int32_t signed_len = static_cast<int32_t>(LoadLE(p, 4));
    if (signed_len < 0) return BadValue("BINSTRING pickle has negative byte count");
    len = static_cast<uint64_t>(signed_len);
  } else if (!ReadLength(static_cast<int>(len_width), &len)) {
    return false;
  }
  if (!Read(len, &p)) return false;
  if (FindInvalidUtf8(p, len, false) != len) {
    Note(Anomaly::kPy2StringNotUtf8, op_start_,
         Where() + ": Python 2 str bytes are not UTF-8; torch.load (encoding='utf-8') raises "
         "UnicodeDecodeError, the file needs torch.load(..., encoding='latin1')");
  }
  return PushText(PickleKind::kStr, p, len);
}

bool MachineRun::OpUnicode(uint64_t len_width) {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
  uint64_t len = 0;
  if (!ReadLength(static_cast<int>(len_width), &len)) return false;
  if (len > static_cast<uint64_t>(INT64_MAX)) {
    return BadValue(std::string(OpName()) + " exceeds system's maximum size of " +
                    std::to_string(INT64_MAX) + " bytes");
  }
  const uint8_t* p = nullptr;
  if (!Read(len, &p)) return false;
  size_t bad = FindInvalidUtf8(p, len, true);
  if (bad != len) {
    return Fail("pickle.bad-utf8",
                "'utf-8' codec can't decode byte 0x" +
                    std::string(1, "0123456789abcdef"[p[bad] >> 4]) +
                    std::string(1, "0123456789abcdef"[p[bad] & 15]) + " at offset " +
                    std::to_string(base_ + (p - data_) + bad) + " (" + Where() + ")",
                kCorruptHint, (p - data_) + bad);
  }
  return PushText(PickleKind::kStr, p, len);
}

bool MachineRun::OpBytes(uint64_t len_width) {  // BINBYTES*, BYTEARRAY8
  uint64_t len = 0;
  if (!ReadLength(static_cast<int>(len_width), &len)) return false;
  if (len > static_cast<uint64_t>(INT64_MAX)) {
    return BadValue(std::string(OpName()) + " exceeds system's maximum size of " +
                    std::to_string(INT64_MAX) + " bytes");
  }
  const uint8_t* p = nullptr;
  if (!Read(len, &p)) return false;
  return PushText(PickleKind::kBytes, p, len);
}

// STRING: a quoted Python-2 repr, decoded like PyBytes_DecodeEscape.
bool MachineRun::OpTextString() {
  std::string_view line;
  if (!ReadLine(&line)) return false;
  if (line.size() < 2 || line.front() != line.back() ||
      (line.front() != '\'' && line.front() != '"')) {
    return BadValue("the STRING opcode argument must be quoted");
  }
  std::string_view s = line.substr(1, line.size() - 2);
  std::string out;
  out.reserve(std::min<size_t>(s.size(), limits_.max_text_kept));
  uint64_t size = 0;
  auto emit = [&](char c) {
    if (out.size() < limits_.max_text_kept) out.push_back(c);
    ++size;
  };
  for (size_t i = 0; i < s.size();) {
    char c = s[i++];
    if (c != '\\') { emit(c); continue; }
    if (i >= s.size()) return BadValue("Trailing \\ in string");
    char e = s[i++];
    switch (e) {
      case '\n': break;
      case '\\': emit('\\'); break;
      case '\'': emit('\''); break;
      case '"': emit('"'); break;
      case 'a': emit('\a'); break;
      case 'b': emit('\b'); break;
      case 'f': emit('\f'); break;
      case 'n': emit('\n'); break;
      case 'r': emit('\r'); break;
      case 't': emit('\t'); break;
      case 'v': emit('\v'); break;
      case 'x': {
        int h1 = i < s.size() ? HexValue(s[i]) : -1;
        int h2 = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
        if (h1 < 0 || h2 < 0) {
          return BadValue("invalid \\x escape at position " + std::to_string(i - 2));
        }
        emit(static_cast<char>(h1 * 16 + h2));
        i += 2;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0';
          for (int k = 0; k < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; ++k) {
            v = v * 8 + (s[i++] - '0');
          }
          emit(static_cast<char>(v & 0xff));
        } else {  // unknown escapes stay as written
          emit('\\');
          emit(e);
        }
    }
  }
  if (FindInvalidUtf8(reinterpret_cast<const uint8_t*>(out.data()), out.size(), false) !=
      out.size()) {
    Note(Anomaly::kPy2StringNotUtf8, op_start_,
         Where() + ": Python 2 str bytes are not UTF-8; torch.load (encoding='utf-8') raises "
         "UnicodeDecodeError, the file needs torch.load(..., encoding='latin1')");
  }
  NodeId id = kNoNode;
  if (!PushNew(PickleKind::kStr, &id)) return false;
  PickleNode& n = N(id);
  n.size = size;
  n.truncated = size > out.size();
  n.text = Text(out);
  return true;
}

// UNICODE: raw-unicode-escape; bytes are Latin-1 code points except \uXXXX
// and \UXXXXXXXX after an odd number of backslashes. Stored as UTF-8.
bool MachineRun::OpTextUnicode() {
  std::string_view s;
  if (!ReadLine(&s)) return false;
  std::string out;
  uint64_t size = 0;
  std::string encoded;
  bool capped = false;  // once a code point does not fit, keep no later ones
  auto emit = [&](uint32_t cp) {
    encoded.clear();
    AppendUtf8(encoded, cp);
    size += encoded.size();
    if (!capped && out.size() + encoded.size() <= limits_.max_text_kept) {
      out += encoded;
    } else {
      capped = true;
    }
  };
  for (size_t i = 0; i < s.size();) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    if (c != '\\') { emit(c); ++i; continue; }
    size_t run = 0;
    while (i < s.size() && s[i] == '\\') { ++run; ++i; }
    bool escape = (run & 1) && i < s.size() && (s[i] == 'u' || s[i] == 'U');
    for (size_t k = 0; k < run - (escape ? 1 : 0); ++k) emit('\\');
    if (!escape) continue;
    int count = s[i] == 'u' ? 4 : 8;
    ++i;
    uint32_t cp = 0;
    for (int k = 0; k < count; ++k, ++i) {
      int h = i < s.size() ? HexValue(s[i]) : -1;
      if (h < 0) {
        return Fail("pickle.bad-utf8",
                    Where() + ": 'rawunicodeescape' codec can't decode: truncated " +
                        (count == 4 ? "\\uXXXX" : "\\UXXXXXXXX") + " escape",
                    kCorruptHint, op_start_);
      }
      cp = cp * 16 + h;
    }
    if (cp > 0x10ffff) {
      return Fail("pickle.bad-utf8", Where() + ": \\Uxxxxxxxx out of range", kCorruptHint,
                  op_start_);
    }
    emit(cp);
  }
  NodeId id = kNoNode;
  if (!PushNew(PickleKind::kStr, &id)) return false;
  PickleNode& n = N(id);
  n.size = size;
  n.truncated = size > out.size();
  n.text = Text(out);
  return true;
}

// INT: C's strtol(s, &end, 0) first (which makes "01" octal and "00"/"01"
// bools), then PyLong_FromString(s, NULL, 0) if that did not consume it all.
bool MachineRun::OpInt() {
  std::string_view line;
  if (!ReadLine(&line)) return false;
  if (line.empty()) return BadValue("pickle data was truncated (empty INT argument)");
  std::string copy(line);
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(copy.c_str(), &end, 0);
  if (errno == 0 && end != copy.c_str() && *end == '\0') {
    if (line.size() == 2 && (x == 0 || x == 1)) return PushInt(x, PickleKind::kBool);
    return PushInt(x);
  }
  ParsedInt v;
  if (!ParsePyLong(line, 0, &v)) return BadValue("could not convert string to int");
  return PushParsedInt(v);
}

bool MachineRun::OpLong() {
  std::string_view line;
  if (!ReadLine(&line)) return false;
  if (line.empty()) return BadValue("pickle data was truncated (empty LONG argument)");
  if (line.back() == 'L') line.remove_suffix(1);
  ParsedInt v;
  if (!ParsePyLong(line, 0, &v)) {
    return BadValue("invalid literal for int() with base 0: '" +
                    std::string(line.substr(0, 40)) + "'");
  }
  return PushParsedInt(v);
}

bool MachineRun::OpFloat() {
  std::string_view line;
  if (!ReadLine(&line)) return false;
  std::string copy(line);
  // PyOS_string_to_double: no leading whitespace, the whole line must parse.
  if (copy.empty() || IsPySpace(copy[0])) return BadValue("could not convert string to float");
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || *end != '\0') return BadValue("could not convert string to float");
  if (errno == ERANGE && std::isinf(d)) {
    return BadValue("value too large to convert to float: '" + copy.substr(0, 40) + "'");
  }
  NodeId id = kNoNode;
  if (!PushNew(PickleKind::kFloat, &id)) return false;
  N(id).float_value = d;
  return true;
}

bool MachineRun::OpLongBinary(int len_width) {  // LONG1, LONG4
  uint64_t len = 0;
  const uint8_t* p = nullptr;
  if (len_width == 1) {
    if (!ReadLength(1, &len)) return false;
  } else {
    if (!Read(4, &p)) return false;
    int32_t signed_len = static_cast<int32_t>(LoadLE(p, 4));
    if (signed_len < 0) return BadValue("LONG pickle has negative byte count");
    len = static_cast<uint64_t>(signed_len);
  }
  if (!Read(len, &p)) return false;
  // Drop redundant sign-extension bytes so 9-byte encodings of small values fit.
  uint64_t n = len;
  while (n > 1 && ((p[n - 1] == 0x00 && !(p[n - 2] & 0x80)) ||
                   (p[n - 1] == 0xff && (p[n - 2] & 0x80)))) {
    --n;
  }
  if (n <= 8) {
    uint64_t v = n ? LoadLE(p, static_cast<int>(n)) : 0;
    if (n && n < 8 && (p[n - 1] & 0x80)) v |= ~0ull << (8 * n);  // sign-extend
    return PushInt(static_cast<int64_t>(v));
  }
  NodeId id = kNoNode;
  if (!PushNew(PickleKind::kBigInt, &id)) return false;
  // Decimal conversion is quadratic: past 1 KiB (2466 digits) say how big it is.
  N(id).text = Text(n <= 1024 ? SignedLittleEndianToDecimal(p, n)
                              : "<huge: " + std::to_string(n) + "-byte integer>");
  N(id).size = len;
  return true;
}

// APPEND/APPENDS: stack_[from..] are appended to `list`.
bool MachineRun::OpAppend(NodeId list, uint64_t from) {
  PickleNode& target = N(list);
  if (target.kind == PickleKind::kList) {
    MoveFrom(from, target.items);
  } else if (IsOpaque(target.kind)) {
    MoveFrom(from, target.appended);
  } else {
    return TypeError(std::string("'") + PythonTypeName(target) +
                     "' object has no attribute 'append'");
  }
  return true;
}

bool MachineRun::OpSetItems(NodeId dict, uint64_t from) {
  if ((stack_.size() - from) % 2 != 0) {
    return Fail("pickle.type-error", std::string("odd number of items for ") + OpName() +
                " (" + Where() + ")", kCorruptHint, op_start_);
  }
  PickleNode& target = N(dict);
  if (target.kind == PickleKind::kDict) {
    for (uint64_t i = from; i < stack_.size(); i += 2) {
      if (IsUnhashable(N(stack_[i]).kind)) {
        return TypeError(std::string("unhashable type: '") + PythonTypeName(N(stack_[i])) + "'");
      }
    }
    MoveFrom(from, N(dict).items);
  } else if (IsOpaque(target.kind) || target.kind == PickleKind::kList ||
             (target.kind == PickleKind::kBytes && target.opcode == op::BYTEARRAY8)) {
    if (!IsOpaque(target.kind)) {
      Note(Anomaly::kSetitemOnNonDict, op_start_,
           Where() + " assigns items of a " + PythonTypeName(target) +
               ": honest picklers only SETITEM into dicts and objects");
    }
    MoveFrom(from, N(dict).set_items);
  } else {
    return TypeError(std::string("'") + PythonTypeName(target) +
                     "' object does not support item assignment");
  }
  return true;
}

bool MachineRun::OpAddItems(NodeId set, uint64_t from) {
  PickleNode& target = N(set);
  if (target.kind == PickleKind::kSet) {
    for (uint64_t i = from; i < stack_.size(); ++i) {
      if (IsUnhashable(N(stack_[i]).kind)) {
        return TypeError(std::string("unhashable type: '") + PythonTypeName(N(stack_[i])) + "'");
      }
    }
    MoveFrom(from, N(set).items);
  } else if (IsOpaque(target.kind)) {
    MoveFrom(from, target.appended);
  } else {
    return TypeError(std::string("'") + PythonTypeName(target) +
                     "' object has no attribute 'add'");
  }
  return true;
}

bool MachineRun::OpBuild() {
  NodeId state = kNoNode, inst = kNoNode;
  if (!Pop(&state) || !Top(&inst)) return false;
  PickleNode& target = N(inst);
  if (target.kind == PickleKind::kGlobal) {
    Note(Anomaly::kBuildOnGlobal, op_start_,
         Where() + " sets state on the imported object " + target.text + "." + target.name +
             " itself (not on an instance): a known way to smuggle values past scanners");
  } else if (!IsOpaque(target.kind) && N(state).kind != PickleKind::kNone) {
    Note(Anomaly::kBuildOnNonObject, op_start_,
         Where() + " sets state on a " + PythonTypeName(target) +
             ", which has no __dict__: CPython raises AttributeError unless a __setstate__ "
             "was patched in");
  }
  target.builds.Append(*g_.arena, state);
  return true;
}

bool MachineRun::OpStackGlobal() {
  NodeId name_id = kNoNode, module_id = kNoNode;
  if (!Pop(&name_id) || !Pop(&module_id)) return false;
  const PickleNode& module = N(module_id);
  const PickleNode& name = N(name_id);
  bool module_const = module.kind == PickleKind::kStr;
  bool name_const = name.kind == PickleKind::kStr;
  bool module_opaque = IsOpaque(module.kind);
  bool name_opaque = IsOpaque(name.kind);
  if ((!module_const && !module_opaque) || (!name_const && !name_opaque)) {
    return Fail("pickle.type-error",
                "STACK_GLOBAL requires str (" + Where() + " got " + PythonTypeName(module) +
                    " and " + PythonTypeName(name) + ")",
                kCorruptHint, op_start_);
  }
  // A dynamic global's operands may themselves be dynamic globals: quoting
  // their descriptions would double the text at every DUP, STACK_GLOBAL pair
  // (a 1 KiB pickle asked for gigabytes). Only a constant global is quoted;
  // anything computed is named by its opcode and offset, so texts stay
  // bounded by the stream's own lines.
  auto describe = [this](const PickleNode& n) {
    if (n.kind == PickleKind::kStr) return n.text.str();
    if (n.kind == PickleKind::kGlobal && !n.dynamic) {
      return "<value of " + n.text + "." + n.name + ">";
    }
    const char* op_name = kPickleOpcodes[n.opcode].name;
    return std::string("<computed by ") + (op_name ? op_name : "?") + " at offset " +
           std::to_string(n.offset) + ">";
  };
  std::string module_text = describe(module);
  std::string name_text = describe(name);
  bool dynamic = !(module_const && name_const);
  NodeId id = kNoNode;
  if (!NewNode(PickleKind::kGlobal, &id)) return false;
  PickleNode& n = N(id);
  n.text = Text(module_text);
  n.name = Text(name_text);
  n.dynamic = dynamic;
  n.truncated = N(module_id).truncated || N(name_id).truncated;
  if (dynamic) {
    n.callee = module_id;  // what produced the operands, for later stages
    n.args = name_id;
    Note(Anomaly::kGlobalDynamic, op_start_,
         Where() + " imports " + n.text + "." + n.name +
             ": the name is computed while loading, so no static scan can know what it imports");
  }
  AddGlobal(id, dynamic);
  return Push(id);
}

bool MachineRun::OpFrame() {
  uint64_t len = 0;
  if (!ReadLength(8, &len)) return false;
  if (len > static_cast<uint64_t>(INT64_MAX)) {
    return BadValue("FRAME length exceeds system's maximum of " + std::to_string(INT64_MAX) +
                    " bytes");
  }
  if (frame_active_ && pos_ < frame_end_) {
    Note(Anomaly::kFrameLengthMismatch, op_start_,
         Where() + " starts a new frame while the frame from offset " +
             std::to_string(base_ + frame_start_) + " still declares " +
             std::to_string(frame_end_ - pos_) + " unread byte(s)");
    frame_mismatch_noted_ = true;
  }
  if (file_mode_) {
    // _Unpickler_Read(frame_len): bytes already buffered are reused in place;
    // otherwise the rest of the buffer is dropped and a fresh one read.
    uint64_t buffered = buf_end_ > pos_ ? buf_end_ - pos_ : 0;
    if (len > buffered) {
      DropBuffer();
      if (len > size_ - pos_) return Truncated(len, pos_);
      buf_end_ = pos_ + len;
      SyncFastEnd();
    }
  } else if (len > size_ - pos_) {
    return Truncated(len, pos_);
  }
  frame_active_ = true;
  frame_start_ = op_start_;
  frame_end_ = pos_ + len;
  frame_mismatch_noted_ = false;
  return true;
}

bool MachineRun::OpStop() {
  NodeId root = kNoNode;
  if (stack_.empty()) {
    return Fail("pickle.stack-underflow",
                "unpickling stack underflow: STOP at offset " + std::to_string(base_ + op_start_) +
                    " finds an empty stack",
                kCorruptHint, op_start_);
  }
  // C _pickle pops past any MARK here (no fence check), so we do too.
  root = stack_.back();
  stack_.pop_back();
  g_.root = root;
  if (!stack_.empty()) {
    Note(Anomaly::kStopStackNotEmpty, op_start_,
         std::to_string(stack_.size()) + " value(s) left on the stack under the result at STOP: "
         "they are built (and any calls in them run) but the result does not reference them");
  }
  if (!marks_.empty()) {
    Note(Anomaly::kStopMarkOpen, op_start_,
         "the MARK at offset " + std::to_string(base_ + mark_offsets_.back()) +
             " is still open at STOP");
  }
  if (frame_active_ && pos_ < frame_end_) {
    Note(Anomaly::kFrameLengthMismatch, op_start_,
         "STOP at offset " + std::to_string(base_ + op_start_) + " ends the pickle " +
             std::to_string(frame_end_ - pos_) + " byte(s) before the end its FRAME at offset " +
             std::to_string(base_ + frame_start_) + " declares");
  }
  stopped_ = true;
  return true;
}

bool MachineRun::Step() {
  const uint8_t* p = nullptr;
  NodeId a = kNoNode, b = kNoNode, c = kNoNode, id = kNoNode;
  uint64_t mark = 0, len = 0;
  switch (opcode_) {
    case op::MARK:
      if (marks_.size() >= limits_.max_mark_depth) {
        return LimitHit("pickle.limit.mark-depth", "max_mark_depth", limits_.max_mark_depth);
      }
      marks_.push_back(stack_.size());
      mark_offsets_.push_back(op_start_);
      return true;
    case op::STOP:
      return OpStop();
    case op::POP:
      if (!marks_.empty() && marks_.back() == stack_.size()) {
        if (g_.protocol >= 2) {
          Note(Anomaly::kPopMark, op_start_,
               Where() + " pops the MARK at offset " + std::to_string(base_ + mark_offsets_.back()) +
                   " (protocol >= 1 writers use POP_MARK)");
        }
        marks_.pop_back();
        mark_offsets_.pop_back();
        return true;
      }
      return Pop(&a);
    case op::POP_MARK:
      if (!PopMark(&mark)) return false;
      stack_.resize(mark);
      return true;
    case op::DUP:
      return Top(&a) && Push(a);
    case op::FLOAT:
      return OpFloat();
    case op::INT:
      return OpInt();
    case op::BININT:
      if (!Read(4, &p)) return false;
      return PushInt(static_cast<int32_t>(LoadLE(p, 4)));
    case op::BININT1:
      if (!Read(1, &p)) return false;
      return PushInt(p[0]);
    case op::BININT2:
      if (!Read(2, &p)) return false;
      return PushInt(static_cast<int64_t>(LoadLE(p, 2)));
    case op::LONG:
      return OpLong();
    case op::LONG1:
      return OpLongBinary(1);
    case op::LONG4:
      return OpLongBinary(4);
    case op::NONE:
      return PushShared(none_, PickleKind::kNone, 0);
    case op::NEWTRUE:
      return PushInt(1, PickleKind::kBool);
    case op::NEWFALSE:
      return PushInt(0, PickleKind::kBool);
    case op::PERSID: {
      std::string_view line;
      if (!ReadLine(&line)) return false;
      for (char ch : line) {
        if (static_cast<uint8_t>(ch) >= 0x80) {
          return BadValue("persistent IDs in protocol 0 must be ASCII strings");
        }
      }
      if (!PushText(PickleKind::kStr, reinterpret_cast<const uint8_t*>(line.data()), line.size()) ||
          !Pop(&a) || !PushNew(PickleKind::kPersistentId, &id)) {
        return false;
      }
      N(id).args = a;
      return true;
    }
    case op::BINPERSID:
      if (!Pop(&a) || !PushNew(PickleKind::kPersistentId, &id)) return false;
      N(id).args = a;
      return true;
    case op::REDUCE: {
      if (!Pop(&b) || !Pop(&a)) return false;
      const PickleNode& args = N(b);
      const PickleNode& callee = N(a);
      if (args.kind != PickleKind::kTuple && !IsOpaque(args.kind)) {
        return TypeError(std::string("argument list must be a tuple, not ") + PythonTypeName(args));
      }
      if (!IsOpaque(callee.kind)) {
        return TypeError(std::string("'") + PythonTypeName(callee) + "' object is not callable");
      }
      if (!PushNew(PickleKind::kCall, &id)) return false;
      N(id).callee = a;
      N(id).args = b;
      return true;
    }
    case op::STRING:
      return OpTextString();
    case op::BINSTRING:
      return OpString(4);
    case op::SHORT_BINSTRING:
      return OpString(1);
    case op::UNICODE:
      return OpTextUnicode();
    case op::BINUNICODE:
      return OpUnicode(4);
    case op::SHORT_BINUNICODE:
      return OpUnicode(1);
    case op::BINUNICODE8:
      return OpUnicode(8);
    case op::BINBYTES:
      return OpBytes(4);
    case op::SHORT_BINBYTES:
      return OpBytes(1);
    case op::BINBYTES8:
    case op::BYTEARRAY8:
      return OpBytes(8);
    case op::NEXT_BUFFER:
      return Fail("pickle.out-of-band-buffer",
                  "pickle stream refers to out-of-band data but no *buffers* argument was given "
                  "(NEXT_BUFFER at offset " + std::to_string(base_ + op_start_) + ")",
                  "the pickle was written with pickle protocol 5 and a buffer_callback: the "
                  "buffers live outside the file, so the file alone cannot be loaded; re-save "
                  "it without buffer_callback",
                  op_start_);
    case op::READONLY_BUFFER: {
      if (!Top(&a)) return false;
      const PickleNode& top = N(a);
      if (top.kind != PickleKind::kBytes && !IsOpaque(top.kind)) {
        return TypeError(std::string("memoryview: a bytes-like object is required, not '") +
                         PythonTypeName(top) + "'");
      }
      if (!last_was_next_buffer_) {
        Note(Anomaly::kReadonlyBufferAlone, op_start_,
             Where() + " does not follow NEXT_BUFFER: it wraps an in-band value, which no "
             "pickler writes");
      }
      return true;
    }
    case op::APPEND:
      if (stack_.size() < 2 || stack_.size() <= Fence()) return Underflow();
      return OpAppend(stack_[stack_.size() - 2], stack_.size() - 1);
    case op::APPENDS:
      if (!PopMark(&mark)) return false;
      if (mark == 0) return Underflow();
      return OpAppend(stack_[mark - 1], mark);
    case op::BUILD:
      return OpBuild();
    case op::GLOBAL:
      return MakeGlobalFromLines(&id) && Push(id);
    case op::DICT:
      if (!PopMark(&mark)) return false;
      if ((stack_.size() - mark) % 2 != 0) {
        return Fail("pickle.type-error", "odd number of items for DICT (" + Where() + ")",
                    kCorruptHint, op_start_);
      }
      for (uint64_t i = mark; i < stack_.size(); i += 2) {
        if (IsUnhashable(N(stack_[i]).kind)) {
          return TypeError(std::string("unhashable type: '") + PythonTypeName(N(stack_[i])) + "'");
        }
      }
      if (!NewNode(PickleKind::kDict, &id)) return false;
      MoveFrom(mark, N(id).items);
      return Push(id);
    case op::EMPTY_DICT:
      return PushNew(PickleKind::kDict, &id);
    case op::EMPTY_LIST:
      return PushNew(PickleKind::kList, &id);
    case op::EMPTY_TUPLE:
      return PushShared(empty_tuple_, PickleKind::kTuple, 0);
    case op::EMPTY_SET:
      return PushNew(PickleKind::kSet, &id);
    case op::TUPLE:
    case op::LIST:
    case op::FROZENSET: {
      if (!PopMark(&mark)) return false;
      PickleKind kind = opcode_ == op::TUPLE  ? PickleKind::kTuple
                        : opcode_ == op::LIST ? PickleKind::kList
                                              : PickleKind::kFrozenSet;
      if (kind == PickleKind::kFrozenSet) {
        for (uint64_t i = mark; i < stack_.size(); ++i) {
          if (IsUnhashable(N(stack_[i]).kind)) {
            return TypeError(std::string("unhashable type: '") + PythonTypeName(N(stack_[i])) + "'");
          }
        }
      }
      if (!NewNode(kind, &id)) return false;
      MoveFrom(mark, N(id).items);
      return Push(id);
    }
    case op::TUPLE1:
    case op::TUPLE2:
    case op::TUPLE3: {
      uint64_t count = opcode_ - op::TUPLE1 + 1;
      if (stack_.size() < Fence() + count) return Underflow();
      if (!NewNode(PickleKind::kTuple, &id)) return false;
      MoveFrom(stack_.size() - count, N(id).items);
      return Push(id);
    }
    case op::ADDITEMS:
      if (!PopMark(&mark)) return false;
      if (mark == 0) return Underflow();
      return OpAddItems(stack_[mark - 1], mark);
    case op::GET: {
      std::string_view line;
      if (!ReadLine(&line)) return false;
      ParsedInt v;
      if (!ParsePyLong(line, 10, &v)) {
        return BadValue("invalid literal for int() with base 10: '" +
                        std::string(line.substr(0, 40)) + "'");
      }
      if (!v.fits || v.value < 0) {
        return Fail("pickle.memo-missing",
                    "Memo value not found at index " + (v.fits ? std::to_string(v.value) : v.text) +
                        " (" + Where() + ")",
                    kCorruptHint, op_start_);
      }
      return MemoGetOp(static_cast<uint64_t>(v.value));
    }
    case op::BINGET:
      if (!ReadLength(1, &len)) return false;
      return MemoGetOp(len);
    case op::LONG_BINGET:
      if (!ReadLength(4, &len)) return false;
      return MemoGetOp(len);
    case op::PUT: {
      std::string_view line;
      if (!ReadLine(&line)) return false;
      ParsedInt v;
      if (!ParsePyLong(line, 10, &v)) {
        return BadValue("invalid literal for int() with base 10: '" +
                        std::string(line.substr(0, 40)) + "'");
      }
      if (!v.fits || v.value < 0) {
        return BadValue(v.fits ? "negative PUT argument" : "PUT index does not fit in 64 bits");
      }
      return Top(&a) && MemoPut(static_cast<uint64_t>(v.value), a);
    }
    case op::BINPUT:
      if (!ReadLength(1, &len)) return false;
      return Top(&a) && MemoPut(len, a);
    case op::LONG_BINPUT:
      if (!ReadLength(4, &len)) return false;
      return Top(&a) && MemoPut(len, a);
    case op::MEMOIZE:
      return Top(&a) && MemoPut(memo_len_, a);
    case op::INST: {
      if (!PopMark(&mark)) return false;
      NodeId cls = kNoNode;
      if (!MakeGlobalFromLines(&cls) || !NewNode(PickleKind::kTuple, &b)) return false;
      MoveFrom(mark, N(b).items);
      if (!PushNew(PickleKind::kCall, &id)) return false;
      N(id).callee = cls;
      N(id).args = b;
      return true;
    }
    case op::OBJ: {
      if (!PopMark(&mark)) return false;
      if (stack_.size() < mark + 1) return Underflow();
      NodeId cls = stack_[mark];
      if (!IsOpaque(N(cls).kind)) {
        return TypeError(std::string("'") + PythonTypeName(N(cls)) + "' object is not callable");
      }
      if (!NewNode(PickleKind::kTuple, &b)) return false;
      MoveFrom(mark + 1, N(b).items);
      stack_.pop_back();  // cls
      if (!PushNew(PickleKind::kCall, &id)) return false;
      N(id).callee = cls;
      N(id).args = b;
      return true;
    }
    case op::SETITEM:
      if (stack_.size() < 3 || stack_.size() < Fence() + 2) return Underflow();
      return OpSetItems(stack_[stack_.size() - 3], stack_.size() - 2);
    case op::SETITEMS:
      if (!PopMark(&mark)) return false;
      if (mark == 0) return Underflow();
      return OpSetItems(stack_[mark - 1], mark);
    case op::NEWOBJ:
    case op::NEWOBJ_EX: {
      c = kNoNode;
      if (opcode_ == op::NEWOBJ_EX) {
        if (!Pop(&c)) return false;
        if (N(c).kind != PickleKind::kDict && !IsOpaque(N(c).kind)) {
          return TypeError(std::string("NEWOBJ_EX kwargs argument must be a dict, not ") +
                           PythonTypeName(N(c)));
        }
      }
      if (!Pop(&b) || !Pop(&a)) return false;
      if (N(b).kind != PickleKind::kTuple && !IsOpaque(N(b).kind)) {
        return TypeError(std::string(OpName()) + " args argument must be a tuple, not " +
                         PythonTypeName(N(b)));
      }
      if (!IsOpaque(N(a).kind)) {
        return TypeError(std::string(OpName()) + " class argument must be a type, not " +
                         PythonTypeName(N(a)));
      }
      if (!PushNew(PickleKind::kNewObj, &id)) return false;
      N(id).callee = a;
      N(id).args = b;
      N(id).kwargs = c;
      return true;
    }
    case op::EXT1:
    case op::EXT2:
    case op::EXT4: {
      int width = opcode_ == op::EXT1 ? 1 : opcode_ == op::EXT2 ? 2 : 4;
      if (!ReadLength(width, &len)) return false;
      int64_t code = width == 4 ? static_cast<int32_t>(len) : static_cast<int64_t>(len);
      if (code <= 0) return BadValue("EXT specifies code <= 0");
      Note(Anomaly::kExtensionCode, op_start_,
           Where() + " loads extension code " + std::to_string(code) +
               " from copyreg's registry: what it names is decided by the loading process "
               "(unregistered codes fail with ValueError)");
      return PushInt(code, PickleKind::kExtension);
    }
    case op::PROTO: {
      if (!Read(1, &p)) return false;
      if (p[0] > kHighestPickleProtocol) {
        return Fail("pickle.unsupported-protocol",
                    "unsupported pickle protocol: " + std::to_string(p[0]) + " (PROTO at offset " +
                        std::to_string(base_ + op_start_) + ")",
                    "this is either not a pickle or one written by a newer Python than any "
                    "ptlint knows (highest protocol 5)",
                    op_start_);
      }
      if (proto_seen_) {
        Note(Anomaly::kProtoDuplicate, op_start_,
             Where() + " declares protocol " + std::to_string(p[0]) +
                 " again (first PROTO said " + std::to_string(g_.protocol) + ")");
      } else if (g_.opcode_count != 1) {
        Note(Anomaly::kProtoNotFirst, op_start_, Where() + " is not the first opcode");
      }
      proto_seen_ = true;
      g_.protocol = p[0];
      UpdateNewerOpcodes();
      return true;
    }
    case op::FRAME:
      return OpFrame();
    case op::BINFLOAT: {
      if (!Read(8, &p)) return false;
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];  // big-endian
      if (!PushNew(PickleKind::kFloat, &id)) return false;
      N(id).float_value = std::bit_cast<double>(bits);
      return true;
    }
    case op::STACK_GLOBAL:
      return OpStackGlobal();
    default: {
      uint8_t ch = opcode_;
      std::string key;
      if (ch >= 0x20 && ch <= 0x7e && ch != '\'' && ch != '\\') {
        key = std::string(1, static_cast<char>(ch));
      } else {
        const char* hex = "0123456789abcdef";
        key = std::string("\\x") + hex[ch >> 4] + hex[ch & 15];
      }
      std::string hint = op_start_ == 0 && base_ == 0
                             ? "this is not a pickle: check what the file really is (a git-lfs "
                               "pointer starts with 'version', an HTML error page with '<')"
                             : kCorruptHint;
      return Fail("pickle.bad-opcode",
                  "invalid load key, '" + key + "'. (byte 0x" + std::string(1, "0123456789abcdef"[ch >> 4]) +
                      std::string(1, "0123456789abcdef"[ch & 15]) + " at offset " +
                      std::to_string(base_ + op_start_) + " is not a pickle opcode)",
                  std::move(hint), op_start_);
    }
  }
}

// The opcode and time budgets. The main loop tests one counter: CheckBudget
// runs when the opcode count reaches NextBudgetCheck() (every 4096 opcodes for
// the clock, and at max_opcodes + 1).
bool MachineRun::CheckBudget(std::chrono::steady_clock::time_point start) {
  uint64_t count = g_.opcode_count;
  if (count > limits_.max_opcodes) {
    return LimitHit("pickle.limit.opcodes", "max_opcodes", limits_.max_opcodes);
  }
  if ((count & 4095) == 0) {
    auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    if (static_cast<uint64_t>(elapsed_us) > limits_.max_millis * 1000) {
      return LimitHit("pickle.limit.time", "max_millis", limits_.max_millis);
    }
  }
  return true;
}

uint64_t MachineRun::NextBudgetCheck() const {
  uint64_t next_time_check = (g_.opcode_count | 4095) + 1;
  uint64_t past_max = limits_.max_opcodes == UINT64_MAX ? UINT64_MAX : limits_.max_opcodes + 1;
  return std::min(next_time_check, past_max);
}

void MachineRun::NoteNewerOpcode() {
  const PickleOpcodeInfo& info = kPickleOpcodes[opcode_];
  newer_opcode_noted_[opcode_] = true;
  note_newer_[opcode_] = false;
  Note(Anomaly::kOpcodeNewerThanProtocol, op_start_,
       Where() + " belongs to protocol " + std::to_string(info.protocol) +
           " but the pickle declares protocol " + std::to_string(g_.protocol));
}

void MachineRun::UpdateNewerOpcodes() {
  for (size_t c = 0; c < kPickleOpcodes.size(); ++c) {
    note_newer_[c] = kPickleOpcodes[c].name != nullptr && kPickleOpcodes[c].protocol > g_.protocol &&
                     !newer_opcode_noted_[c];
  }
}

template <bool kFastPaths>
void MachineRun::Execute() {
  const auto start = std::chrono::steady_clock::now();
  // Sizes from a 20k-tensor state dict: about one node per 7 bytes of pickle.
  g_.nodes.reserve(std::min<uint64_t>({size_ / 8 + 16, limits_.max_nodes, uint64_t{1} << 21}));

  marks_.reserve(64);
  mark_offsets_.reserve(64);
  memo_dense_.reserve(std::min<uint64_t>(size_ / 16 + 16, 1u << 20));
  g_.start_offset = base_;
  if (size_ == 0) {
    g_.end_offset = base_;
    g_.error = MakeError("pickle.truncated", "Ran out of input: the pickle is empty (0 bytes)",
                         kTruncatedHint, static_cast<int64_t>(base_));
    return;
  }
  uint64_t next_check = NextBudgetCheck();
  while (!stopped_) {
    op_start_ = pos_;
    if (frame_active_ && pos_ >= frame_end_) frame_active_ = false;
    if (pos_ < fast_end_) [[likely]] {
      opcode_ = data_[pos_++];
    } else {
      // (A frame buffer never reaches past size_.)
      if (pos_ >= size_ && !(file_mode_ && buf_end_ > pos_)) {
        g_.error = MakeError("pickle.truncated",
                             "pickle data was truncated: the data ends at offset " +
                                 std::to_string(base_ + pos_) + " after " +
                                 std::to_string(g_.opcode_count) + " opcode(s) without a STOP",
                             kTruncatedHint, static_cast<int64_t>(base_ + pos_));
        break;
      }
      const uint8_t* p = nullptr;
      if (!ReadSlow(1, &p)) break;
      opcode_ = p[0];
    }
    if (++g_.opcode_count >= next_check) [[unlikely]] {
      if (!CheckBudget(start)) break;
      next_check = NextBudgetCheck();
    }
    if (note_newer_[opcode_]) [[unlikely]] NoteNewerOpcode();
    bool ok;
    if constexpr (!kFastPaths) {
      ok = Step();
    } else switch (opcode_) {
      case op::LONG_BINPUT: ok = FastPut<4>() || Step(); break;
      case op::BINPUT: ok = FastPut<1>() || Step(); break;
      case op::BINGET: ok = FastGet<1>() || Step(); break;
      case op::LONG_BINGET: ok = FastGet<4>() || Step(); break;
      case op::BININT1: ok = FastBinInt1() || Step(); break;
      case op::MARK: ok = FastMark() || Step(); break;
      case op::BINUNICODE: ok = FastUnicode<4>() || Step(); break;
      case op::SHORT_BINUNICODE: ok = FastUnicode<1>() || Step(); break;
      case op::REDUCE: ok = FastReduce() || Step(); break;
      case op::TUPLE: ok = FastTuple() || Step(); break;
      case op::TUPLE1: ok = FastTupleN(1) || Step(); break;
      case op::TUPLE2: ok = FastTupleN(2) || Step(); break;
      case op::TUPLE3: ok = FastTupleN(3) || Step(); break;
      case op::EMPTY_TUPLE: ok = FastShared(empty_tuple_) || Step(); break;
      case op::NEWFALSE: ok = FastShared(false_) || Step(); break;
      case op::NEWTRUE: ok = FastShared(true_) || Step(); break;
      case op::NONE: ok = FastShared(none_) || Step(); break;
      case op::BINPERSID: ok = FastBinPersId() || Step(); break;
      case op::EMPTY_DICT: ok = FastPushNew(PickleKind::kDict) || Step(); break;
      case op::EMPTY_LIST: ok = FastPushNew(PickleKind::kList) || Step(); break;
      default: ok = Step();
    }
    if (!ok) break;
    last_was_next_buffer_ = opcode_ == op::NEXT_BUFFER;
    if (frame_active_ && !frame_mismatch_noted_ && op_start_ < frame_end_ && pos_ > frame_end_) {
      frame_mismatch_noted_ = true;
      Note(Anomaly::kFrameLengthMismatch, op_start_,
           Where() + " runs past the end of the FRAME at offset " +
               std::to_string(base_ + frame_start_) + " (declared to end at offset " +
               std::to_string(base_ + frame_end_) + "): picklers end frames between opcodes");
    }
  }
  g_.end_offset = base_ + (stopped_ ? pos_ : op_start_);
  for (size_t i = 0; i < anomaly_counts_.size(); ++i) {
    if (anomaly_counts_[i] > kMaxAnomaliesPerCode) {
      g_.anomalies.push_back(PickleAnomaly{
          "anomaly.suppressed",
          std::to_string(anomaly_counts_[i] - kMaxAnomaliesPerCode) + " more '" +
              kAnomalyCodes[i] + "' anomalies not listed",
          g_.end_offset});
    }
  }
}

}  // namespace

PickleMachine::PickleMachine(PickleLimits limits, PickleFraming framing,
                             PickleFastPaths fast_paths)
    : limits_(limits), framing_(framing), fast_paths_(fast_paths) {}

PickleGraph PickleMachine::Run(std::string_view data, uint64_t base_offset) const {
  PickleGraph graph;
  MachineRun run(limits_, framing_, data, base_offset, graph);
  if (fast_paths_ == PickleFastPaths::kOn) {
    run.Execute<true>();
  } else {
    run.Execute<false>();
  }
  return graph;
}

}  // namespace ptlint
