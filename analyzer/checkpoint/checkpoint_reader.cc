#include "analyzer/checkpoint/checkpoint_reader.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "analyzer/checkpoint/object_interpreter.h"
#include "analyzer/formats/pickle_opcodes.h"
#include "analyzer/formats/safetensors_reader.h"

namespace ptlint {

namespace {

// torch.save's legacy stream starts with pickle(0x1950a86a20f9469cfc6c), protocol 2.
constexpr std::string_view kLegacyMagicPickle(
    "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 14);
// The same magic number in decimal, as the PickleMachine spells a kBigInt.
constexpr std::string_view kLegacyMagicDecimal = "119547037146038801333356";
constexpr int64_t kLegacyProtocolVersion = 1001;
constexpr std::string_view kLfsPrefix = "version https://git-lfs.github.com/spec/";
constexpr uint64_t kSniffBytes = 4096;
// Sharded indexes and small format records are read whole; these caps keep a
// hostile file from making us allocate what it claims.
constexpr uint64_t kMaxIndexJsonBytes = 64ull << 20;
constexpr uint64_t kMaxSmallRecordBytes = 4096;
// Bounds on walks whose length a hostile file controls.
constexpr int kMaxDcpRegions = 100000;
// Candidate pickle starts inside raw bytes that turn out not to be pickles;
// each costs a PickleMachine run, so a hostile blob full of them is capped.
constexpr int kMaxFailedPickleProbes = 256;
constexpr int kMaxExtraZipPickles = 10000;
constexpr int kMaxTarMembers = 100000;
constexpr int kMaxShards = 100000;

constexpr int64_t kMaxSupportedFileFormatVersion = 10;  // caffe2/serialize/versions.h
constexpr int64_t kMinSupportedFileFormatVersion = 1;

// A window into another source, so a member/region can be handed to readers
// that take a ByteSource without copying it.
class SliceByteSource final : public ByteSource {
 public:
  SliceByteSource(const ByteSource& base, uint64_t offset, uint64_t length)
      : base_(base), offset_(offset), length_(length) {}
  uint64_t size() const override { return length_; }
  std::string_view View(uint64_t offset, uint64_t length) const override {
    if (offset >= length_) return {};
    return base_.View(offset_ + offset, std::min(length, length_ - offset));
  }

 private:
  const ByteSource& base_;
  uint64_t offset_;
  uint64_t length_;
};

// How CPython's `_pickle` names a byte it cannot start an opcode with:
// "invalid load key, '%c'." (the character itself; we escape the unprintable).
std::string InvalidLoadKeyError(uint8_t byte) {
  std::string shown;
  if (byte >= 0x20 && byte < 0x7f && byte != '\'' && byte != '\\') {
    shown = std::string(1, static_cast<char>(byte));
  } else {
    static const char kHex[] = "0123456789abcdef";
    shown = std::string("\\x") + kHex[byte >> 4] + kHex[byte & 15];
  }
  return "_pickle.UnpicklingError: invalid load key, '" + shown + "'.";
}

std::string Hex(uint64_t value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

uint64_t ReadLe(std::string_view bytes, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < bytes.size(); ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  }
  return v;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && (std::isspace(static_cast<unsigned char>(s[e - 1])) || s[e - 1] == '\0')) --e;
  return std::string(s.substr(b, e - b));
}

// Printable excerpt of untrusted bytes for messages.
std::string Excerpt(std::string_view s, size_t max = 60) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (s.size() > max) out += "...";
  return out;
}

bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

// Valid UTF-8 without NUL and with few control characters.
bool LooksLikeUtf8Text(std::string_view s) {
  size_t i = 0, controls = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++controls;
      ++i;
      continue;
    }
    int len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0) return false;
    if (i + len > s.size()) return i + 4 > s.size();  // cut mid-sequence at the sniff edge
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return controls * 20 <= s.size();
}

bool LooksLikePythonSource(std::string_view s) {
  size_t pos = 0;
  int lines = 0;
  while (pos < s.size() && lines < 400) {
    size_t end = s.find('\n', pos);
    std::string_view line = s.substr(pos, end == std::string_view::npos ? s.size() - pos : end - pos);
    ++lines;
    if (StartsWith(line, "import ") || StartsWith(line, "from ") || StartsWith(line, "def ") ||
        StartsWith(line, "class ") || StartsWith(line, "async def ") ||
        StartsWith(line, "#!/usr/bin/env python") || StartsWith(line, "if __name__")) {
      // "from x import y" must have the import keyword to count.
      if (!StartsWith(line, "from ") || line.find(" import ") != std::string_view::npos) return true;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return false;
}

bool IEqualsPrefix(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != lower_prefix[i]) return false;
  }
  return true;
}

// Protocol 0/1 pickles have no PROTO header; we call them pickles only if the
// machine gets through the bytes we have without a non-truncation error.
bool ParsesAsPickle(std::string_view head) {
  if (head.empty() || !IsPickleOpcode(static_cast<uint8_t>(head[0]))) return false;
  // The opcode cap bounds the work; no tight wall-clock budget, so a file is
  // classified the same way on a loaded machine as on an idle one.
  PickleLimits limits;
  limits.max_opcodes = 100000;
  PickleGraph graph = PickleMachine(limits).Run(head, 0);
  if (graph.complete()) return true;
  // A GLOBAL whose operands are Python dotted names ("builtins\nexec\n") is a
  // pickle even when the rest is broken: security scanning must see it, and
  // text almost never has an identifier line after a leading 'c'.
  auto dotted_identifier = [](std::string_view s) {
    if (s.empty() || s.size() > 256) return false;
    bool start = true;
    for (char c : s) {
      bool alpha = std::isalpha(static_cast<unsigned char>(c)) || c == '_';
      bool digit = std::isdigit(static_cast<unsigned char>(c));
      if (c == '.') {
        if (start) return false;
        start = true;
        continue;
      }
      if (!(alpha || (digit && !start))) return false;
      start = false;
    }
    return !start;
  };
  for (const GlobalRef& g : graph.globals) {
    if (dotted_identifier(g.module) && dotted_identifier(g.name)) return true;
  }
  if (!graph.error) return false;
  // A prefix ran cleanly and stopped only because the sniff window ended.
  bool ran_out = graph.error->code.find("truncat") != std::string::npos ||
                 graph.error->code.find("eof") != std::string::npos;
  return ran_out && graph.opcode_count >= 2 && head.size() >= kSniffBytes;
}

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------- graph helpers

const PickleNode* DictGet(const PickleGraph& g, const PickleNode& dict, std::string_view key) {
  if (dict.kind != PickleKind::kDict) return nullptr;
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const PickleNode& k = g.at(dict.items[i]);
    if (k.kind == PickleKind::kStr && k.text == key) return &g.at(dict.items[i + 1]);
  }
  return nullptr;
}

// The state an object was BUILT with: a dict, or the dict inside a
// (dict, slots) / (None, slots) pair; the raw state otherwise.
const PickleNode* ObjectState(const PickleGraph& g, const PickleNode& object) {
  if (object.builds.empty()) return nullptr;
  const PickleNode& state = g.at(object.builds.back());
  if (state.kind == PickleKind::kTuple && state.items.size() == 2) {
    const PickleNode& a = g.at(state.items[0]);
    const PickleNode& b = g.at(state.items[1]);
    if (a.kind == PickleKind::kDict && !a.items.empty()) return &a;
    if (b.kind == PickleKind::kDict) return &b;
  }
  return &state;
}

std::string CalleeName(const PickleGraph& g, const PickleNode& object) {
  if (object.callee == kNoNode) return {};
  const PickleNode& callee = g.at(object.callee);
  return callee.kind == PickleKind::kGlobal ? callee.name : std::string();
}

// torch.Size((3, 4)) or a plain tuple of ints.
std::optional<std::vector<int64_t>> ShapeOf(const PickleGraph& g, const PickleNode& node) {
  const PickleNode* tuple = &node;
  if (node.kind == PickleKind::kCall && node.args != kNoNode) {
    const PickleNode& args = g.at(node.args);
    if (args.kind != PickleKind::kTuple || args.items.size() != 1) return std::nullopt;
    tuple = &g.at(args.items[0]);
  }
  if (tuple->kind != PickleKind::kTuple && tuple->kind != PickleKind::kList) return std::nullopt;
  std::vector<int64_t> shape;
  for (NodeId id : tuple->items) {
    const PickleNode& dim = g.at(id);
    if (dim.kind != PickleKind::kInt) return std::nullopt;
    shape.push_back(dim.int_value);
  }
  return shape;
}

// torch.distributed.checkpoint's Metadata.state_dict_metadata: fqn ->
// TensorStorageMetadata(properties=TensorProperties(dtype, ...), size, chunks).
std::vector<TensorInfo> DistributedMetadataTensors(const PickleGraph& g, int pickle_index) {
  std::vector<TensorInfo> tensors;
  if (!g.complete()) return tensors;
  const PickleNode* state = ObjectState(g, g.at(g.root));
  const PickleNode* entries = state ? DictGet(g, *state, "state_dict_metadata") : nullptr;
  if (entries == nullptr || entries->kind != PickleKind::kDict) return tensors;
  for (size_t i = 0; i + 1 < entries->items.size(); i += 2) {
    const PickleNode& key = g.at(entries->items[i]);
    const PickleNode& value = g.at(entries->items[i + 1]);
    if (key.kind != PickleKind::kStr || CalleeName(g, value) != "TensorStorageMetadata") continue;
    const PickleNode* meta = ObjectState(g, value);
    if (meta == nullptr) continue;
    TensorInfo t;
    t.name = key.text;
    t.location = "cpu";
    t.rebuild = "distributed-checkpoint";
    t.pickle = pickle_index;
    t.offset = value.offset;
    if (const PickleNode* size = DictGet(g, *meta, "size")) {
      if (auto shape = ShapeOf(g, *size)) t.shape = *shape;
    }
    if (const PickleNode* properties = DictGet(g, *meta, "properties")) {
      const PickleNode* props = ObjectState(g, *properties);
      const PickleNode* dtype = nullptr;
      if (props && props->kind == PickleKind::kTuple && !props->items.empty()) dtype = &g.at(props->items[0]);
      if (props && props->kind == PickleKind::kDict) dtype = DictGet(g, *props, "dtype");
      if (dtype && dtype->kind == PickleKind::kGlobal && dtype->text == "torch") t.dtype = dtype->name;
      if (props && props->kind == PickleKind::kTuple && props->items.size() > 2) {
        const PickleNode& grad = g.at(props->items[2]);
        t.requires_grad = grad.kind == PickleKind::kBool && grad.int_value != 0;
      }
    }
    t.stride.assign(t.shape.size(), 1);
    for (size_t d = t.shape.size(); d-- > 1;) t.stride[d - 1] = t.stride[d] * std::max<int64_t>(t.shape[d], 1);
    tensors.push_back(std::move(t));
  }
  return tensors;
}

// ---------------------------------------------------------------------------

class Reader {
 public:
  Reader(Checkpoint& cp, const ReadOptions& options, std::string file, int depth)
      : cp_(cp), options_(options), file_(std::move(file)), depth_(depth) {}

  void Read(const ByteSource& source);
  void ReadDistributedFolder(const std::filesystem::path& folder);

 private:
  void Problem(std::string code, Severity severity, std::string message, std::string hint = {},
               std::string record = {}, int64_t offset = -1, std::string torch_error = {}) {
    cp_.problems.push_back(ReaderProblem{std::move(code), severity, std::move(message),
                                         std::move(hint), std::move(record), offset,
                                         std::move(torch_error)});
  }
  // Runs the machine over one pickle and keeps it; pickle errors become
  // problems naming the record and the absolute offset. Returns its index.
  int AddPickle(std::string record, std::string_view bytes, uint64_t base_offset,
                std::string file = {});
  void ReadNotACheckpoint(Sniff sniff, const ByteSource& source);
  void ReadZip(const ByteSource& source);
  void ReadTorchScriptExtras(const ZipArchive& zip, const std::string& folder);
  void ReadLegacy(const ByteSource& source);
  void ReadRawPickle(const ByteSource& source);
  void ReadNumpyArray(const ByteSource& source);
  void ReadTar(const ByteSource& source);
  void ReadTarStorages(const ByteSource& source, uint64_t begin, uint64_t size);
  void ReadTarTensors(const ByteSource& source, uint64_t begin, uint64_t size);
  // Runs the interpreter again after more pickles were added (their globals
  // must be recorded), keeping what the reader learned about storages and
  // dropping the first run's problems so they are not reported twice.
  void Reinterpret(int main_pickle);
  std::pair<size_t, size_t> interpreter_problems_{0, 0};
  void NameTarTensors(int object_pickle);
  // Legacy tar: tensors by their key in the `tensors` member, and which root
  // storage each storage key views (from the `storages` member's views).
  std::map<std::string, TensorInfo> tar_tensors_;
  std::map<std::string, std::string> tar_storage_root_;
  void ReadSafetensorsFile(const ByteSource& source);
  void ReadShardedIndex(const ByteSource& source);
  void ScanPickleRegions(const ByteSource& source, uint64_t from, const std::string& role,
                         const std::string& file);
  std::optional<std::string> ReadSmallRecord(const ZipArchive& zip, const ZipEntry& entry);
  // Keeps [start, end) of a pickle's input in the stream, within the read's
  // budget (ReadOptions::max_kept_pickle_bytes).
  void KeepPickleBytes(PickleStream& stream, std::string_view input, uint64_t base_offset);
  // Fills Checkpoint::unread_pickles: what another loader would unpickle
  // from this file although torch.load does not (see checkpoint.h).
  void ReadUnreadPickles(const ByteSource& source);
  // The archive ReadZip opened, kept for ReadUnreadPickles.
  std::optional<ZipArchive> zip_;
  uint64_t kept_pickle_bytes_ = 0;

  Checkpoint& cp_;
  const ReadOptions& options_;
  std::string file_;
  int depth_;
};

int Reader::AddPickle(std::string record, std::string_view bytes, uint64_t base_offset,
                      std::string file) {
  PickleStream stream;
  stream.record = std::move(record);
  stream.file = file.empty() ? file_ : std::move(file);
  stream.index = static_cast<int>(cp_.pickles.size());
  stream.graph = PickleMachine(options_.pickle_limits).Run(bytes, base_offset);
  KeepPickleBytes(stream, bytes, base_offset);
  if (stream.graph.error) {
    const Error& e = *stream.graph.error;
    Problem(e.code, Severity::kError,
            "pickle `" + stream.record + "` is broken at byte " + std::to_string(e.offset) + ": " +
                e.message,
            e.hint.empty() ? "the file is corrupt or was written by a hostile tool; do not load it"
                           : e.hint,
            stream.record, e.offset);
  }
  cp_.pickles.push_back(std::move(stream));
  return cp_.pickles.back().index;
}

void Reader::Read(const ByteSource& source) {
  cp_.file_size = source.size();
  std::string_view head = source.View(0, kSniffBytes);
  Sniff sniff = SniffBytes(head, source.size());
  switch (sniff) {
    case Sniff::kZip: ReadZip(source); break;
    case Sniff::kLegacyPickle: ReadLegacy(source); break;
    case Sniff::kPickle: ReadRawPickle(source); break;
    case Sniff::kTar: ReadTar(source); break;
    case Sniff::kSafetensors: ReadSafetensorsFile(source); break;
    case Sniff::kShardedIndexJson: ReadShardedIndex(source); break;
    default: ReadNotACheckpoint(sniff, source); break;
  }
  // Shards and distributed-checkpoint files are each read as the top file
  // of their own run; safetensors and index JSON hold no pickle to hide.
  if (depth_ == 0 && cp_.format != ContainerFormat::kSafetensors &&
      cp_.format != ContainerFormat::kShardedIndex &&
      cp_.format != ContainerFormat::kDistributedCheckpoint) {
    ReadUnreadPickles(source);
  }
}

void Reader::KeepPickleBytes(PickleStream& stream, std::string_view input, uint64_t base_offset) {
  const PickleGraph& g = stream.graph;
  if (g.end_offset <= g.start_offset || g.start_offset < base_offset) return;
  uint64_t begin = g.start_offset - base_offset;
  uint64_t length = g.end_offset - g.start_offset;
  if (begin > input.size() || length > input.size() - begin) return;
  if (length > options_.max_kept_pickle_bytes - std::min(kept_pickle_bytes_, options_.max_kept_pickle_bytes)) {
    return;
  }
  kept_pickle_bytes_ += length;
  stream.bytes.assign(input.substr(begin, length));
}

namespace {

bool HasPickleMagic(std::string_view b) {
  return b.size() >= 2 && static_cast<uint8_t>(b[0]) == 0x80 && b[1] >= 1 && b[1] <= 5;
}

// A stream is worth reporting as a pickle when the unpickler would get
// somewhere with it: it references a global or reads to STOP.
bool LooksUnpicklable(const PickleGraph& g) { return !g.globals.empty() || g.complete(); }

}  // namespace

void Reader::ReadUnreadPickles(const ByteSource& source) {
  std::set<std::string> read;
  for (const PickleStream& p : cp_.pickles) read.insert(p.record);
  const PickleMachine machine;
  auto add = [&](std::string_view data, uint64_t base, const std::string& record, bool must) {
    PickleGraph g = machine.Run(data, base);
    if (!must && !LooksUnpicklable(g)) return;
    PickleStream stream;
    stream.record = record;
    stream.file = file_;
    stream.index = static_cast<int>(cp_.pickles.size() + cp_.unread_pickles.size());
    stream.graph = std::move(g);
    cp_.unread_pickles.push_back(std::move(stream));
  };

  std::string_view head = source.View(0, 16);
  if (LooksLikeZip(head)) {
    std::optional<Result<ZipArchive>> reopened;
    const ZipArchive* zip = zip_ ? &*zip_ : nullptr;
    if (zip == nullptr) {
      reopened.emplace(ZipArchive::Open(source));
      if (!reopened->ok()) return;
      zip = &**reopened;
    }
    size_t scanned = 0;
    for (const ZipEntry& e : zip->entries()) {
      if (read.count(e.name) || scanned >= 4096) continue;
      bool named = EndsWith(e.name, ".pkl") || EndsWith(e.name, ".pickle");
      // In a torch zip the data/ records are raw tensor bytes that may start
      // with anything; only name-matched members count there.
      if (!named && !cp_.pickles.empty()) continue;
      std::string owned;
      std::string_view data;
      uint64_t base = 0;
      if (auto view = zip->ViewStored(e); view.ok()) {
        data = *view;
        base = e.data_offset;
      } else if (auto full = zip->Read(e); full.ok()) {
        owned = std::move(*full);
        data = owned;
      } else {
        continue;
      }
      if (!named && !HasPickleMagic(data)) continue;
      ++scanned;
      add(data, base, e.name, named);
    }
    return;
  }
  if (!cp_.pickles.empty()) return;
  std::string_view all = source.All();
  if (all.size() >= 10 && all.substr(0, 6) == "\x93NUMPY") {
    // .npy: magic, version, header length (u16 for v1, u32 for v2/v3), header.
    uint8_t major = static_cast<uint8_t>(all[6]);
    uint64_t header_len = 0, start = 0;
    if (major == 1) {
      header_len = static_cast<uint8_t>(all[8]) | (static_cast<uint8_t>(all[9]) << 8);
      start = 10;
    } else if (all.size() >= 12) {
      uint32_t n;
      std::memcpy(&n, all.data() + 8, 4);
      header_len = n;
      start = 12;
    }
    if (start == 0 || start + header_len > all.size()) return;
    std::string_view header = all.substr(start, header_len);
    if (header.find("'O'") == std::string_view::npos && header.find("|O") == std::string_view::npos) return;
    uint64_t data_offset = start + header_len;
    add(all.substr(data_offset), data_offset, "npy object array", true);
    return;
  }
  add(all, 0, "raw pickle", false);
}

// ---------------------------------------------------------------- not a checkpoint

void Reader::ReadNotACheckpoint(Sniff sniff, const ByteSource& source) {
  cp_.format = ContainerFormat::kNotACheckpoint;
  cp_.layout = Layout::kOther;
  std::string_view head = source.View(0, kSniffBytes);
  std::string torch_error;
  if (!head.empty() && !IsPickleOpcode(static_cast<uint8_t>(head[0]))) {
    torch_error = InvalidLoadKeyError(static_cast<uint8_t>(head[0]));
  }
  switch (sniff) {
    case Sniff::kEmpty:
      Problem("file.empty", Severity::kError, "the file is empty (0 bytes)",
              "the save or the download did not finish: produce or download it again", {}, 0,
              "EOFError: Ran out of input");
      return;
    case Sniff::kLfsPointer: {
      std::string oid = "unknown oid", size = "unknown size";
      std::string_view text = source.View(0, 1024);
      size_t p = text.find("oid sha256:");
      if (p != std::string_view::npos) {
        size_t e = text.find('\n', p);
        oid = Trim(text.substr(p + 4, e == std::string_view::npos ? std::string_view::npos : e - p - 4));
      }
      p = text.find("\nsize ");
      if (p != std::string_view::npos) {
        size_t e = text.find('\n', p + 1);
        size = Trim(text.substr(p + 6, e == std::string_view::npos ? std::string_view::npos : e - p - 6)) +
               " bytes";
      }
      Problem("file.lfs-pointer", Severity::kError,
              "this is a git-LFS pointer, not the weights (" + Excerpt(oid, 80) + ", size " +
                  Excerpt(size, 40) + ")",
              "run `git lfs pull` (or `git lfs install` first) in the repository that holds it", {}, 0,
              torch_error);
      return;
    }
    case Sniff::kHtml:
      Problem("file.html", Severity::kError,
              "this is an HTML page, not a checkpoint: probably a login or error page saved "
              "instead of the file",
              "download it again with the right URL / token (a direct-download link, not the "
              "page that shows the file)",
              {}, 0, torch_error);
      return;
    case Sniff::kPythonSource:
      Problem("file.python-source", Severity::kError, "this is Python source code, not a checkpoint",
              "pass the checkpoint file (.pt, .bin, .ckpt, .safetensors) instead", {}, 0, torch_error);
      return;
    case Sniff::kText:
      Problem("file.text", Severity::kError,
              "this is a text file, not a checkpoint (starts with \"" + Excerpt(head, 40) + "\")",
              "check that the path names the weights file and that the download finished", {}, 0,
              torch_error);
      return;
    default:
      break;
  }
  if (StartsWith(head, std::string_view("\x93NUMPY", 6))) {
    ReadNumpyArray(source);
    return;
  }
  // Name the common impostors so the user knows what they hold.
  struct Magic { std::string_view bytes; const char* what; };
  static const Magic kMagics[] = {
      {std::string_view("\x89PNG\r\n\x1a\n", 8), "a PNG image"},
      {std::string_view("\x89HDF\r\n\x1a\n", 8), "an HDF5 file (Keras .h5 / .hdf5)"},
      {std::string_view("7z\xbc\xaf\x27\x1c", 6), "a 7-Zip archive"},
      {std::string_view("\x1f\x8b", 2), "a gzip stream (decompress it first)"},
      {std::string_view("\xff\xd8\xff", 3), "a JPEG image"},
      {std::string_view("GGUF", 4), "a GGUF model (llama.cpp), not a torch checkpoint"},
      {std::string_view("\x08\x01\x12", 3), "probably an ONNX model (protobuf)"},
  };
  for (const Magic& m : kMagics) {
    if (StartsWith(head, m.bytes)) {
      Problem("file.other-format", Severity::kError,
              std::string("the file is ") + m.what + ", not a PyTorch checkpoint",
              "pass the checkpoint file itself; re-download it if this was meant to be one", {}, 0,
              torch_error);
      return;
    }
  }
  if (StartsWith(head, "PYTORCH1")) {
    Problem("file.pytorch-preview", Severity::kError,
            "the file is an archive from the PyTorch 1.0 preview release (starts with `PYTORCH1`)",
            "re-save it with a current torch", {}, 0,
            "RuntimeError: File is an unsupported archive format from the preview release.");
    return;
  }
  Problem("file.unknown-format", Severity::kError,
          "the file is not a checkpoint ptlint knows (no zip, pickle, tar or safetensors "
          "header; first bytes " + Hex(ReadLe(head.substr(0, 4), 4)) + " little-endian)",
          "check that the file is a complete PyTorch/safetensors checkpoint; re-download it and "
          "verify its hash",
          {}, 0, torch_error);
}

// ---------------------------------------------------------------- torch zip

std::optional<std::string> Reader::ReadSmallRecord(const ZipArchive& zip, const ZipEntry& entry) {
  if (entry.uncompressed_size > kMaxSmallRecordBytes) {
    Problem("zip.record-too-large", Severity::kWarning,
            "record `" + entry.name + "` is " + std::to_string(entry.uncompressed_size) +
                " bytes; a format record holds a few bytes",
            "the archive was not written by torch.save", entry.name,
            static_cast<int64_t>(entry.local_header_offset));
    return std::nullopt;
  }
  Result<std::string> bytes = zip.Read(entry);
  if (!bytes.ok()) {
    Problem(bytes.error().code, Severity::kError,
            "cannot read record `" + entry.name + "`: " + bytes.error().message, bytes.error().hint,
            entry.name, bytes.error().offset);
    return std::nullopt;
  }
  return *bytes;
}

void Reader::ReadZip(const ByteSource& source) {
  Result<ZipArchive> opened = ZipArchive::Open(source, options_.zip_limits);
  if (!opened.ok()) {
    const Error& e = opened.error();
    // It starts like a zip, so torch takes the zip path and fails there.
    cp_.format = ContainerFormat::kTorchZip;
    cp_.layout = Layout::kOther;
    std::string torch_error;
    std::string hint = e.hint;
    if (source.size() < 22) {
      // miniz gives up before looking for the directory in a file shorter
      // than an end-of-central-directory record.
      torch_error = "RuntimeError: PytorchStreamReader failed reading zip archive: not a ZIP archive";
      if (hint.empty()) hint = "the file is truncated: download it again and verify its hash";
    } else if (e.code == "zip.no-central-directory") {
      torch_error =
          "RuntimeError: PytorchStreamReader failed reading zip archive: failed finding central "
          "directory";
      if (hint.empty()) {
        hint = "the file is truncated (interrupted download or save): download it again and "
               "verify its hash";
      }
    }
    Problem(e.code, Severity::kError, "the zip archive cannot be read: " + e.message, hint, {},
            e.offset, torch_error);
    return;
  }
  zip_.emplace(std::move(*opened));
  const ZipArchive& zip = *zip_;
  for (const ZipAnomaly& a : zip.anomalies()) {
    Problem(a.code, Severity::kWarning, a.message,
            "a lenient reader accepts this, but torch.save never writes it: treat the file as "
            "tampered",
            {}, static_cast<int64_t>(a.offset));
  }
  const std::vector<ZipEntry>& entries = zip.entries();
  for (const ZipEntry& e : entries) cp_.record_names.push_back(e.name);
  if (entries.empty()) {
    cp_.format = ContainerFormat::kUnknown;
    Problem("zip.empty", Severity::kError, "the zip archive has no records",
            "this is not a torch.save file; re-download or re-save it", {}, 0,
            "RuntimeError: PytorchStreamReader failed locating file data.pkl: file not found");
    return;
  }

  // The archive folder is the first record's prefix; torch's C++ reader
  // insists every record lives under it.
  const std::string& first = entries.front().name;
  size_t slash = first.find('/');
  if (slash == std::string::npos) {
    Problem("zip.no-folder", Severity::kError,
            "the first record `" + first + "` is not in a folder; torch archives put every record "
            "under one top-level folder",
            "this zip was not written by torch.save; if it holds the weights, re-save them with torch.save",
            first, static_cast<int64_t>(entries.front().local_header_offset),
            "RuntimeError: file in archive is not in a subdirectory: " + first);
  }
  std::string folder = slash == std::string::npos ? std::string() : first.substr(0, slash);
  cp_.archive_name = folder;
  std::string prefix = folder.empty() ? std::string() : folder + "/";
  int outside = 0;
  std::string first_outside;
  for (const ZipEntry& e : entries) {
    if (!StartsWith(e.name, prefix) || e.name.size() == prefix.size()) {
      if (outside++ == 0) first_outside = e.name;
    }
  }
  if (outside > 0 && !prefix.empty()) {
    Problem("zip.mixed-folders", Severity::kWarning,
            std::to_string(outside) + " record(s) are outside the archive folder `" + folder +
                "/` (first: `" + first_outside + "`); torch ignores them",
            "records outside the folder are never loaded; inspect them, they may hide a payload",
            first_outside);
  }

  const ZipEntry* data_pkl = zip.Find(prefix + "data.pkl");
  const ZipEntry* constants_pkl = zip.Find(prefix + "constants.pkl");
  bool torchscript = constants_pkl != nullptr;
  cp_.format = torchscript ? ContainerFormat::kTorchScript : ContainerFormat::kTorchZip;

  // version: `.data/version` wins over `version` (TorchScript >= 6).
  const ZipEntry* version = zip.Find(prefix + ".data/version");
  if (version == nullptr) version = zip.Find(prefix + "version");
  if (version == nullptr) {
    Problem("zip.missing-version", Severity::kError,
            "the archive has no `version` record (looked for `" + prefix + "version` and `" + prefix +
                ".data/version`)",
            "the archive is incomplete or was not written by torch.save; re-save it", {}, -1,
            "RuntimeError: Expected hasRecord(\"version\") to be true, but got false.  (Could this "
            "error message be improved?  If so, please report an enhancement request to PyTorch.)");
  } else if (std::optional<std::string> text = ReadSmallRecord(zip, *version)) {
    std::string v = Trim(*text);
    cp_.records["version"] = v;
    int64_t number = -1;
    bool numeric = !v.empty() && v.size() <= 18 &&
                   std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) number = std::stoll(v);
    if (!numeric) {
      Problem("zip.bad-version", Severity::kError,
              "the `version` record holds \"" + Excerpt(v) + "\", not a number", "the file is corrupt",
              version->name, static_cast<int64_t>(version->data_offset));
    } else if (number > kMaxSupportedFileFormatVersion) {
      Problem("zip.version-too-new", Severity::kError,
              "the archive's format version is " + v + "; torch 1.13 and 2.x read at most 10",
              "load it with the torch that wrote it (or newer) and re-save it", version->name,
              static_cast<int64_t>(version->data_offset),
              "RuntimeError: [enforce fail at inline_container.cc:165] . Attempted to read a PyTorch "
              "file with version " + v + ", but the maximum supported version for reading is 10. The "
              "version of your PyTorch installation may be too old, please upgrade PyTorch to latest "
              "version to mitigate this issue.");
    } else if (number < kMinSupportedFileFormatVersion) {
      Problem("zip.version-too-old", Severity::kError,
              "the archive's format version is " + v + "; torch reads 1 and above",
              "regenerate the file with a current torch", version->name,
              static_cast<int64_t>(version->data_offset),
              "RuntimeError: [enforce fail at inline_container.cc:154] . Attempted to read a PyTorch "
              "file with version " + v + ", but the minimum supported version for reading is 1. Your "
              "PyTorch script module file is too old. Please regenerate it with latest version of "
              "PyTorch to mitigate this issue.");
    }
  }
  for (const char* name : {"byteorder", ".format_version", ".storage_alignment",
                           ".data/serialization_id"}) {
    if (const ZipEntry* e = zip.Find(prefix + name)) {
      if (std::optional<std::string> text = ReadSmallRecord(zip, *e)) cp_.records[name] = Trim(*text);
    }
  }

  int main_pickle = -1;
  if (data_pkl == nullptr) {
    Problem("zip.missing-record", Severity::kError,
            "the archive has no `" + prefix + "data.pkl`: it is a zip, but not a torch.save file",
            "if this is a NumPy .npz or another zip, load it with its own library", {}, -1,
            "RuntimeError: PytorchStreamReader failed locating file data.pkl: file not found");
    if (!torchscript) cp_.format = ContainerFormat::kUnknown;
  } else {
    Result<std::string_view> view = zip.ViewStored(*data_pkl);
    if (view.ok()) {
      main_pickle = AddPickle(data_pkl->name, *view, data_pkl->data_offset);
    } else {
      // torch.save stores data.pkl; a deflated one still loads, so read it.
      Result<std::string> inflated = zip.Read(*data_pkl);
      if (inflated.ok()) {
        Problem("zip.compressed-data-pkl", Severity::kInfo,
                "`" + data_pkl->name + "` is compressed (torch.save stores it); offsets in it are "
                "relative to the inflated record",
                {}, data_pkl->name, static_cast<int64_t>(data_pkl->local_header_offset));
        main_pickle = AddPickle(data_pkl->name, *inflated, 0);
      } else {
        Problem(inflated.error().code, Severity::kError,
                "cannot read `" + data_pkl->name + "`: " + inflated.error().message,
                inflated.error().hint, data_pkl->name, inflated.error().offset);
      }
    }
  }
  if (torchscript) {
    cp_.layout = Layout::kTorchScript;
    ReadTorchScriptExtras(zip, prefix);
  } else {
    // Any other pickle record is not loaded by torch, but it is in the file:
    // security rules must see it.
    int extra = 0;
    for (const ZipEntry& e : entries) {
      if (&e == data_pkl || !EndsWith(e.name, ".pkl")) continue;
      if (++extra > kMaxExtraZipPickles) {
        Problem("zip.too-many-pickles", Severity::kWarning,
                "the archive holds more than " + std::to_string(kMaxExtraZipPickles) +
                    " .pkl records besides data.pkl; the rest were not scanned",
                "an archive like this was not written by torch.save; do not load it", e.name);
        break;
      }
      Result<std::string> bytes = zip.Read(e);
      if (bytes.ok()) {
        AddPickle(e.name, *bytes, e.method == 0 ? e.data_offset : 0);
      } else {
        Problem(bytes.error().code, Severity::kWarning,
                "cannot read `" + e.name + "`: " + bytes.error().message, bytes.error().hint, e.name,
                bytes.error().offset);
      }
    }
  }
  InterpretObjects(cp_, main_pickle);  // with -1 it still records every pickle's globals
  if (main_pickle < 0) return;
  if (torchscript) cp_.layout = Layout::kTorchScript;

  // Every storage needs its record, of exactly numel x element_size bytes.
  // Records found are marked by position (no second index of names).
  std::vector<bool> referenced(entries.size(), false);
  const std::string data_prefix = prefix + "data/";
  for (StorageInfo& s : cp_.storages) {
    s.record.reserve(data_prefix.size() + s.key.size());
    s.record.assign(data_prefix);
    s.record += s.key;
    const ZipEntry* e = zip.Find(s.record);
    if (e != nullptr) {
      referenced[static_cast<size_t>(e - entries.data())] = true;
      s.record_bytes = e->uncompressed_size;
      uint64_t expected = 0;
      if (s.element_size == 0 ||
          (CheckedMul(s.numel, s.element_size, &expected) && expected == e->uncompressed_size)) {
        continue;  // the common case: nothing to report
      }
    }
    std::string tensors;
    for (size_t i = 0; i < s.tensors.size() && i < 5; ++i) {
      tensors += (i ? ", " : "") + s.tensors[i];
    }
    if (s.tensors.size() > 5) tensors += ", ... (" + std::to_string(s.tensors.size()) + " tensors)";
    if (e == nullptr) {
      Problem("zip.missing-record", Severity::kError,
              "storage " + s.key + " (" + (tensors.empty() ? "no named tensor" : tensors) +
                  ") has no record `" + s.record + "`",
              "the archive is incomplete or was edited; re-save or re-download it", s.record, -1,
              "RuntimeError: PytorchStreamReader failed locating file data/" + s.key +
                  ": file not found");
      continue;
    }
    s.record_bytes = e->uncompressed_size;
    uint64_t expected = 0;
    if (s.element_size == 0) continue;
    if (!CheckedMul(s.numel, s.element_size, &expected) || expected != e->uncompressed_size) {
      Problem("storage.size-mismatch", Severity::kError,
              "storage " + s.key + " (" + s.dtype + ", " + std::to_string(s.numel) + " elements; " +
                  (tensors.empty() ? "no named tensor" : "tensors " + tensors) + ") should be " +
                  std::to_string(expected) + " bytes but `" + s.record + "` holds " +
                  std::to_string(e->uncompressed_size) + " bytes",
              "the archive was truncated or edited; re-save or re-download it", s.record,
              static_cast<int64_t>(e->local_header_offset));
    }
  }
  if (!torchscript) {
    // (A record whose name is a duplicate is referenced when its namesake,
    // the copy Find returns, is.)
    auto is_referenced = [&](const ZipEntry& e) {
      if (referenced[static_cast<size_t>(&e - entries.data())]) return true;
      const ZipEntry* namesake = zip.Find(e.name);
      return namesake != nullptr && referenced[static_cast<size_t>(namesake - entries.data())];
    };
    for (const ZipEntry& e : entries) {
      if (StartsWith(e.name, data_prefix) && !is_referenced(e)) {
        Problem("zip.unreferenced-record", Severity::kWarning,
                "record `" + e.name + "` (" + std::to_string(e.uncompressed_size) +
                    " bytes) is not referenced by any tensor in data.pkl",
                "torch ignores it; a writer that adds data nobody reads may be hiding something",
                e.name, static_cast<int64_t>(e.local_header_offset));
      }
    }
  }
}

void Reader::ReadTorchScriptExtras(const ZipArchive& zip, const std::string& prefix) {
  for (const ZipEntry& e : zip.entries()) {
    if (!StartsWith(e.name, prefix)) continue;
    std::string_view rel = std::string_view(e.name).substr(prefix.size());
    bool code = StartsWith(rel, "code/");
    if (code) cp_.torchscript_code.push_back(e.name);
    if (StartsWith(rel, "extra/")) cp_.records["extra/" + std::string(rel.substr(6))] =
        std::to_string(e.uncompressed_size) + " bytes";
    bool pickle = rel != "data.pkl" && (EndsWith(rel, ".pkl") || EndsWith(rel, ".debug_pkl"));
    if (!pickle) continue;
    Result<std::string> bytes = zip.Read(e);
    if (!bytes.ok()) {
      Problem(bytes.error().code, Severity::kWarning,
              "cannot read `" + e.name + "`: " + bytes.error().message, bytes.error().hint, e.name,
              bytes.error().offset);
      continue;
    }
    AddPickle(e.name, *bytes, e.method == 0 ? e.data_offset : 0);
  }
}

void Reader::Reinterpret(int main_pickle) {
  std::map<std::string, std::pair<std::string, std::optional<uint64_t>>> learned;
  for (const StorageInfo& s : cp_.storages) learned[s.key] = {s.record, s.record_bytes};
  auto [begin, end] = interpreter_problems_;
  if (begin < end && end <= cp_.problems.size()) {
    cp_.problems.erase(cp_.problems.begin() + static_cast<std::ptrdiff_t>(begin),
                       cp_.problems.begin() + static_cast<std::ptrdiff_t>(end));
  }
  InterpretObjects(cp_, main_pickle);
  for (StorageInfo& s : cp_.storages) {
    auto it = learned.find(s.key);
    if (it == learned.end()) continue;
    s.record = it->second.first;
    s.record_bytes = it->second.second;
  }
}

// ---------------------------------------------------------------- legacy

void Reader::ReadLegacy(const ByteSource& source) {
  cp_.format = ContainerFormat::kLegacy;
  static const char* kRoles[] = {"magic", "protocol", "sys_info", "object", "storage_keys"};
  uint64_t offset = 0;
  int indices[5] = {-1, -1, -1, -1, -1};
  for (int role = 0; role < 5; ++role) {
    if (offset >= source.size()) {
      Problem("legacy.truncated", Severity::kError,
              std::string("the legacy stream ends at byte ") + std::to_string(offset) +
                  " before its `" + kRoles[role] + "` pickle",
              "the file is truncated: re-download it or re-save it", kRoles[role],
              static_cast<int64_t>(offset),
              "EOFError: Ran out of input");
      InterpretObjects(cp_, indices[3]);  // records the globals of what was read
      return;
    }
    indices[role] = AddPickle(kRoles[role], source.View(offset, source.size() - offset), offset);
    const PickleGraph& g = cp_.pickles[indices[role]].graph;
    if (!g.complete()) {
      // Where the next pickle starts is unknown; keep what the broken one holds.
      InterpretObjects(cp_, indices[3]);
      return;
    }
    offset = g.end_offset;
    const PickleNode& root = g.at(g.root);
    if (role == 0 && !(root.kind == PickleKind::kBigInt && root.text == kLegacyMagicDecimal)) {
      Problem("legacy.bad-magic", Severity::kError,
              "the first pickle is not torch's magic number 0x1950a86a20f9469cfc6c",
              "the file is corrupt or not a torch.save file", "magic", static_cast<int64_t>(g.start_offset),
              "RuntimeError: Invalid magic number; corrupt file?");
    }
    if (role == 1) {
      if (root.kind == PickleKind::kInt) cp_.records["legacy.protocol"] = std::to_string(root.int_value);
      if (root.kind != PickleKind::kInt || root.int_value != kLegacyProtocolVersion) {
        std::string shown = root.kind == PickleKind::kInt ? std::to_string(root.int_value)
                                                          : PickleKindName(root.kind);
        Problem("legacy.bad-protocol", Severity::kError,
                "the legacy protocol pickle holds " + shown + ", not 1001",
                "the file is corrupt or not a torch.save file", "protocol",
                static_cast<int64_t>(g.start_offset),
                "RuntimeError: Invalid protocol version: " + shown);
      }
    }
    if (role == 2 && root.kind == PickleKind::kDict) {
      for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
        const PickleNode& k = g.at(root.items[i]);
        const PickleNode& v = g.at(root.items[i + 1]);
        if (k.kind != PickleKind::kStr) continue;
        if (k.text == "little_endian" && (v.kind == PickleKind::kBool || v.kind == PickleKind::kInt)) {
          cp_.records["legacy.little_endian"] = v.int_value ? "true" : "false";
        } else if (k.text == "type_sizes" && v.kind == PickleKind::kDict) {
          for (size_t j = 0; j + 1 < v.items.size(); j += 2) {
            const PickleNode& tk = g.at(v.items[j]);
            const PickleNode& tv = g.at(v.items[j + 1]);
            if (tk.kind == PickleKind::kStr && tv.kind == PickleKind::kInt) {
              cp_.records["legacy.type_sizes." + tk.text] = std::to_string(tv.int_value);
            }
          }
        } else if (k.text == "protocol_version" && v.kind == PickleKind::kInt) {
          cp_.records["legacy.sys_info.protocol_version"] = std::to_string(v.int_value);
        }
      }
      if (cp_.records["legacy.little_endian"] == "false") {
        Problem("legacy.big-endian", Severity::kWarning,
                "the file was written on a big-endian machine", "torch byte-swaps it on load",
                "sys_info", static_cast<int64_t>(g.start_offset));
      }
    }
  }
  size_t problems_before = cp_.problems.size();
  InterpretObjects(cp_, indices[3]);
  interpreter_problems_ = {problems_before, cp_.problems.size()};

  // Raw storage bytes: for each key in the keys list, int64 numel then the
  // elements. Walk the lengths only; never read the data.
  const PickleGraph& keys_graph = cp_.pickles[indices[4]].graph;
  const PickleNode& keys_root = keys_graph.at(keys_graph.root);
  if (keys_root.kind != PickleKind::kList && keys_root.kind != PickleKind::kTuple) {
    Problem("legacy.bad-storage-keys", Severity::kError,
            std::string("the storage-keys pickle holds a ") + PickleKindName(keys_root.kind) +
                ", not a list of keys",
            "the file is corrupt", "storage_keys", static_cast<int64_t>(keys_graph.start_offset));
    return;
  }
  std::map<std::string, StorageInfo*> by_key;
  for (StorageInfo& s : cp_.storages) by_key[s.key] = &s;
  std::set<std::string> listed;
  for (NodeId id : keys_root.items) {
    const PickleNode& key_node = keys_graph.at(id);
    std::string key = key_node.kind == PickleKind::kStr ? key_node.text
                      : key_node.kind == PickleKind::kInt ? std::to_string(key_node.int_value)
                                                          : std::string();
    listed.insert(key);
    if (offset + 8 > source.size()) {
      Problem("legacy.truncated", Severity::kError,
              "the legacy stream ends at byte " + std::to_string(source.size()) +
                  " inside the data of storage " + key + " (its length header needs bytes " +
                  std::to_string(offset) + ".." + std::to_string(offset + 8) + ")",
              "the file is truncated: re-download it or re-save it", "storage " + key,
              static_cast<int64_t>(offset),
              "RuntimeError: unexpected EOF, expected 8 more bytes. The file might be corrupted.");
      return;
    }
    uint64_t numel = ReadLe(source.View(offset, 8), 8);
    auto it = by_key.find(key);
    StorageInfo* storage = it == by_key.end() ? nullptr : it->second;
    if (storage == nullptr || storage->element_size == 0) {
      Problem("legacy.unknown-storage", Severity::kError,
              "storage key " + Excerpt(key) + " in the keys list has no known element size (no "
              "storage with that key in the object pickle); the data after it cannot be walked",
              "the file is corrupt or was edited", "storage " + key, static_cast<int64_t>(offset));
      return;
    }
    uint64_t bytes = 0;
    if (!CheckedMul(numel, storage->element_size, &bytes) || bytes > source.size()) {
      bytes = UINT64_MAX;
    }
    uint64_t available = source.size() - offset - 8;
    storage->record = "storage " + key;
    storage->record_bytes = std::min(bytes, available);
    if (numel != storage->numel) {
      Problem("storage.size-mismatch", Severity::kError,
              "storage " + key + " is declared with " + std::to_string(storage->numel) +
                  " elements in the object pickle but its data header says " +
                  std::to_string(numel),
              "the file is corrupt or was edited", "storage " + key, static_cast<int64_t>(offset));
    }
    if (bytes > available) {
      Problem("legacy.truncated", Severity::kError,
              "storage " + key + " needs " +
                  (bytes == UINT64_MAX ? std::string("more") : std::to_string(bytes)) +
                  " bytes from byte " + std::to_string(offset + 8) + " but the file has only " +
                  std::to_string(available) + " left",
              "the file is truncated: re-download it or re-save it", "storage " + key,
              static_cast<int64_t>(offset + 8),
              "RuntimeError: unexpected EOF, expected " +
                  (bytes == UINT64_MAX ? std::string("more") : std::to_string(bytes - available)) +
                  " more bytes. The file might be corrupted.");
      return;
    }
    offset += 8 + bytes;
  }
  for (const StorageInfo& s : cp_.storages) {
    if (!listed.count(s.key)) {
      Problem("legacy.missing-storage-data", Severity::kError,
              "storage " + s.key + " is used by the object pickle but not in the storage-keys list",
              "the file is corrupt or was edited", "storage_keys",
              static_cast<int64_t>(keys_graph.start_offset));
    }
  }
  if (offset < source.size()) {
    Problem("legacy.trailing-bytes", Severity::kWarning,
            std::to_string(source.size() - offset) + " bytes follow the last storage (from byte " +
                std::to_string(offset) + "); torch.save writes none",
            "torch ignores them; a pickle appended here would be run by tools that read stacked "
            "pickles: inspect them",
            {}, static_cast<int64_t>(offset));
    size_t pickles_before = cp_.pickles.size();
    ScanPickleRegions(source, offset, "trailing", file_);
    if (cp_.pickles.size() > pickles_before) Reinterpret(indices[3]);
  }
}

// ---------------------------------------------------------------- numpy .npy

// An .npy array: magic, version, header length, a Python-literal dict. An
// object array (descr '|O') stores its data as a pickle, which np.load(...,
// allow_pickle=True) runs: scan it.
void Reader::ReadNumpyArray(const ByteSource& source) {
  std::string_view head = source.View(0, 12);
  uint8_t major = head.size() > 6 ? static_cast<uint8_t>(head[6]) : 0;
  if (head.size() < (major >= 2 ? 12u : 10u)) {
    Problem("file.numpy-array", Severity::kError,
            "the file starts like a NumPy .npy array but ends inside its header (" +
                std::to_string(source.size()) + " bytes)",
            "the file is truncated; it is not a PyTorch checkpoint anyway", {}, 0,
            InvalidLoadKeyError(0x93));
    return;
  }
  uint64_t header_length = major >= 2 ? ReadLe(head.substr(8, 4), 4) : ReadLe(head.substr(8, 2), 2);
  uint64_t data_offset = (major >= 2 ? 12 : 10) + header_length;
  std::string_view header = source.View(major >= 2 ? 12 : 10, std::min<uint64_t>(header_length, 65536));
  bool object_array = header.find("'descr': '|O'") != std::string_view::npos ||
                      header.find("\"descr\": \"|O\"") != std::string_view::npos;
  if (!object_array || data_offset >= source.size()) {
    Problem("file.numpy-array", Severity::kError,
            "the file is a NumPy .npy array (header " + Excerpt(Trim(header), 80) + "), not a PyTorch checkpoint",
            "load it with numpy.load, or pass the checkpoint file", {}, 0,
            InvalidLoadKeyError(0x93));
    return;
  }
  cp_.format = ContainerFormat::kRawPickle;
  cp_.layout = Layout::kUnknown;
  Problem("file.numpy-object-array", Severity::kWarning,
          "the file is a NumPy object array: its data (from byte " + std::to_string(data_offset) +
              ") is a pickle that numpy.load(allow_pickle=True) runs",
          "never load it with allow_pickle=True unless you trust its origin", {},
          static_cast<int64_t>(data_offset), InvalidLoadKeyError(0x93));
  int index = AddPickle("npy-data", source.View(data_offset, source.size() - data_offset), data_offset);
  InterpretObjects(cp_, index);
  cp_.format = ContainerFormat::kRawPickle;
}

// ---------------------------------------------------------------- raw pickle

void Reader::ReadRawPickle(const ByteSource& source) {
  cp_.format = ContainerFormat::kRawPickle;
  int first = AddPickle("pickle", source.All(), 0);
  const PickleGraph& g = cp_.pickles[first].graph;
  // A legacy stream whose magic pickle was rewritten (e.g. by an injector)
  // no longer starts with the magic bytes but still evaluates to the magic.
  if (g.complete() && g.at(g.root).kind == PickleKind::kBigInt &&
      g.at(g.root).text == kLegacyMagicDecimal) {
    cp_.pickles.clear();
    cp_.problems.clear();
    ReadLegacy(source);
    const PickleGraph& magic = cp_.pickles.front().graph;
    Problem("legacy.rewritten-magic", Severity::kWarning,
            "the magic-number pickle is not the 15 bytes torch.save writes (it is " +
                std::to_string(magic.end_offset) + " bytes, with " +
                std::to_string(magic.globals.size()) + " global reference(s))",
            "the file was rewritten after torch.save: do not load it before a security scan",
            "magic", 0);
    return;
  }
  if (g.complete() && g.end_offset < source.size()) {
    // Stacked pickles (or an appended payload): read every one.
    ScanPickleRegions(source, g.end_offset, "pickle", file_);
  }
  InterpretObjects(cp_, first);
}

// Reads consecutive pickles from `from`; bytes that do not start a pickle are
// skipped up to the next plausible pickle start (PROTO) or zip local header.
void Reader::ScanPickleRegions(const ByteSource& source, uint64_t from, const std::string& role,
                               const std::string& file) {
  uint64_t offset = from;
  int regions = 0, failed_probes = 0;
  while (offset < source.size() && regions < kMaxDcpRegions) {
    if (failed_probes >= kMaxFailedPickleProbes) {
      Problem("scan.budget", Severity::kWarning,
              "stopped looking for pickles in `" + role + "` at byte " + std::to_string(offset) +
                  " after " + std::to_string(failed_probes) + " false starts",
              "the rest of the file was not scanned for pickles; inspect it with a dedicated tool",
              role, static_cast<int64_t>(offset));
      break;
    }
    std::string_view rest = source.View(offset, source.size() - offset);
    uint8_t b0 = static_cast<uint8_t>(rest[0]);
    if (rest.size() >= 2 && b0 == 0x80 && static_cast<uint8_t>(rest[1]) <= 5) {
      int index = AddPickle(role + "@" + std::to_string(offset), rest, offset, file);
      const PickleGraph& g = cp_.pickles[index].graph;
      ++regions;
      if (!g.complete() || g.end_offset <= offset) {
        // Only keep broken regions that got somewhere; a stray 0x80 in raw
        // tensor bytes is not a pickle.
        ++failed_probes;
        std::string record = role + "@" + std::to_string(offset);
        bool has_problem = !cp_.problems.empty() && cp_.problems.back().record == record;
        if (g.opcode_count < 3 && g.globals.empty()) {
          cp_.pickles.pop_back();
          if (has_problem) cp_.problems.pop_back();  // the problem AddPickle recorded for it
        } else if (has_problem) {
          // Bytes that start like a pickle but break: maybe data, maybe a
          // damaged payload. Its globals stay visible to the security rules.
          ReaderProblem& p = cp_.problems.back();
          p.severity = Severity::kWarning;
          p.message = "bytes at " + std::to_string(offset) + " start like a pickle but do not parse: " +
                      p.message;
        }
        offset += 1;
      } else {
        offset = g.end_offset;
      }
      continue;
    }
    if (rest.size() >= 4 && StartsWith(rest, std::string_view("PK\x03\x04", 4))) {
      // An embedded zip (a torch.save inside a .distcp): read its pickles.
      size_t eocd = rest.find(std::string_view("PK\x05\x06", 4));
      if (eocd != std::string_view::npos && eocd + 22 <= rest.size()) {
        uint64_t comment = ReadLe(rest.substr(eocd + 20, 2), 2);
        uint64_t length = std::min<uint64_t>(eocd + 22 + comment, rest.size());
        SliceByteSource slice(source, offset, length);
        Result<ZipArchive> zip = ZipArchive::Open(slice, options_.zip_limits);
        ++regions;
        if (zip.ok()) {
          for (const ZipEntry& e : zip->entries()) {
            if (!EndsWith(e.name, ".pkl")) continue;
            Result<std::string> bytes = zip->Read(e);
            if (bytes.ok()) {
              AddPickle(role + "@" + std::to_string(offset) + ":" + e.name, *bytes,
                        e.method == 0 ? offset + e.data_offset : 0, file);
            }
          }
          offset += length;
          continue;
        }
      }
    }
    // Skip to the next candidate start.
    size_t next = std::string_view::npos;
    for (size_t i = 1; i < rest.size(); ++i) {
      uint8_t c = static_cast<uint8_t>(rest[i]);
      if ((c == 0x80 && i + 1 < rest.size() && static_cast<uint8_t>(rest[i + 1]) >= 2 &&
           static_cast<uint8_t>(rest[i + 1]) <= 5) ||
          (c == 'P' && rest.substr(i, 4) == std::string_view("PK\x03\x04", 4))) {
        next = i;
        break;
      }
    }
    if (next == std::string_view::npos) break;
    offset += next;
  }
}

// ---------------------------------------------------------------- legacy tar

// A tar numeric field: octal digits padded with spaces/NULs, or GNU base-256.
std::optional<uint64_t> ParseTarNumber(std::string_view field) {
  if (!field.empty() && (static_cast<uint8_t>(field[0]) & 0x80)) {
    uint64_t v = static_cast<uint8_t>(field[0]) & 0x7f;
    for (size_t i = 1; i < field.size(); ++i) {
      if (v >> 55) return std::nullopt;
      v = (v << 8) | static_cast<uint8_t>(field[i]);
    }
    return v;
  }
  size_t i = 0;
  while (i < field.size() && (field[i] == ' ' || field[i] == '\0')) ++i;
  uint64_t v = 0;
  bool digits = false;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
    digits = true;
  }
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') return std::nullopt;
  }
  if (!digits) return std::nullopt;
  return v;
}

void Reader::ReadTar(const ByteSource& source) {
  cp_.format = ContainerFormat::kLegacyTar;
  struct Member { std::string name; uint64_t begin; uint64_t size; };
  std::vector<Member> members;
  uint64_t offset = 0;
  std::string pax_name;
  while (offset + 512 <= source.size() && static_cast<int>(members.size()) < kMaxTarMembers) {
    std::string_view header = source.View(offset, 512);
    if (header.find_first_not_of('\0') == std::string_view::npos) break;  // end blocks
    std::optional<uint64_t> size = ParseTarNumber(header.substr(124, 12));
    std::string name(header.substr(0, 100).substr(0, header.substr(0, 100).find('\0')));
    if (header.substr(257, 5) == "ustar") {
      std::string_view pre = header.substr(345, 155);
      std::string prefix(pre.substr(0, pre.find('\0')));
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    if (!size) {
      Problem("tar.bad-header", Severity::kError,
              "tar member header at byte " + std::to_string(offset) + " (`" + Excerpt(name) +
                  "`) has a malformed size field \"" + Excerpt(header.substr(124, 12)) + "\"",
              "the file is corrupt: re-download it", Excerpt(name), static_cast<int64_t>(offset + 124),
              "tarfile.ReadError: invalid header");
      break;
    }
    // The header checksum: sum of header bytes with the checksum field as spaces.
    std::optional<uint64_t> checksum = ParseTarNumber(header.substr(148, 8));
    uint64_t sum = 0;
    for (size_t i = 0; i < 512; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<uint8_t>(header[i]);
    }
    if (!checksum || *checksum != sum) {
      Problem("tar.bad-checksum", Severity::kError,
              "tar member header at byte " + std::to_string(offset) + " (`" + Excerpt(name) +
                  "`) has a wrong checksum",
              "the file is corrupt: re-download it", Excerpt(name), static_cast<int64_t>(offset + 148),
              "tarfile.ReadError: bad checksum");
      break;
    }
    uint64_t data = offset + 512;
    if (*size > source.size() - data) {
      Problem("tar.truncated", Severity::kError,
              "tar member `" + Excerpt(name) + "` declares " + std::to_string(*size) +
                  " bytes but the file ends " + std::to_string(source.size() - data) +
                  " bytes after its header",
              "the file is truncated: re-download it", Excerpt(name), static_cast<int64_t>(data),
              "tarfile.ReadError: unexpected end of data");
      break;
    }
    char type = header[156];
    if (type == 'x') {
      // PAX extended header: a "path=" record renames the next member.
      std::string_view pax = source.View(data, *size);
      size_t p = pax.find(" path=");
      if (p != std::string_view::npos) {
        size_t e = pax.find('\n', p);
        pax_name = std::string(pax.substr(p + 6, e == std::string_view::npos ? std::string_view::npos : e - p - 6));
      }
    } else if (type == '0' || type == '\0') {
      if (!pax_name.empty()) name = pax_name;
      pax_name.clear();
      members.push_back({name, data, *size});
      cp_.record_names.push_back(name);
    }
    uint64_t padded = (*size + 511) / 512 * 512;
    offset = data + padded;
  }
  auto find = [&](std::string_view name) -> const Member* {
    for (const Member& m : members) {
      if (m.name == name) return &m;
    }
    return nullptr;
  };
  for (const char* needed : {"sys_info", "pickle", "storages", "tensors"}) {
    if (find(needed) == nullptr) {
      Problem("tar.missing-member", Severity::kError,
              std::string("the legacy tar archive has no `") + needed + "` member",
              "the file is incomplete or not a torch.save tar; re-save it", needed, -1,
              std::string("KeyError: \"filename '") + needed + "' not found\"");
    }
  }
  if (const Member* m = find("sys_info")) AddPickle("sys_info", source.View(m->begin, m->size), m->begin);
  if (const Member* m = find("storages")) ReadTarStorages(source, m->begin, m->size);
  if (const Member* m = find("tensors")) ReadTarTensors(source, m->begin, m->size);
  if (const Member* m = find("pickle")) {
    int main = AddPickle("pickle", source.View(m->begin, m->size), m->begin);
    std::vector<StorageInfo> from_member = std::move(cp_.storages);
    cp_.storages.clear();
    InterpretObjects(cp_, main);
    // The object pickle names tensors by key only; their storages' types and
    // sizes come from the `storages` member, their shapes from `tensors`.
    for (StorageInfo& s : from_member) {
      bool known = std::any_of(cp_.storages.begin(), cp_.storages.end(),
                               [&](const StorageInfo& t) { return t.key == s.key; });
      if (!known) cp_.storages.push_back(std::move(s));
    }
    if (cp_.tensors.empty()) NameTarTensors(main);
  } else {
    InterpretObjects(cp_, -1);  // records the globals of the member pickles
  }
}

void Reader::ReadTarStorages(const ByteSource& source, uint64_t begin, uint64_t size) {
  uint64_t end = begin + size;
  uint64_t offset = begin;
  auto next_pickle = [&](const std::string& role) -> const PickleGraph* {
    if (offset >= end) {
      Problem("tar.truncated-member", Severity::kError,
              "member `storages` ends at byte " + std::to_string(end) + " before its " + role,
              "the file is corrupt: re-download it", "storages", static_cast<int64_t>(offset),
              "EOFError: Ran out of input");
      return nullptr;
    }
    int i = AddPickle("storages:" + role, source.View(offset, end - offset), offset);
    const PickleGraph& g = cp_.pickles[i].graph;
    if (!g.complete()) return nullptr;
    offset = g.end_offset;
    return &g;
  };
  const PickleGraph* count_graph = next_pickle("count");
  if (count_graph == nullptr) return;
  const PickleNode& count = count_graph->at(count_graph->root);
  if (count.kind != PickleKind::kInt || count.int_value < 0) {
    Problem("tar.bad-storages", Severity::kError, "member `storages` does not start with a storage count",
            "the file is corrupt", "storages", static_cast<int64_t>(count_graph->start_offset));
    return;
  }
  for (int64_t i = 0; i < count.int_value; ++i) {
    const PickleGraph* g = next_pickle("storage " + std::to_string(i));
    if (g == nullptr) return;
    const PickleNode& args = g->at(g->root);
    StorageInfo s;
    if (args.kind == PickleKind::kTuple && args.items.size() == 3) {
      const PickleNode& key = g->at(args.items[0]);
      const PickleNode& location = g->at(args.items[1]);
      const PickleNode& type = g->at(args.items[2]);
      s.key = key.kind == PickleKind::kInt ? std::to_string(key.int_value) : key.text;
      s.location = location.text;
      if (type.kind == PickleKind::kGlobal) {
        s.storage_type = type.name;
        StorageDtype d = StorageTypeDtype(type.name);
        s.dtype = d.dtype;
        s.element_size = d.element_size;
      }
    }
    if (s.element_size == 0) {
      Problem("tar.bad-storages", Severity::kError,
              "storage record " + std::to_string(i) + " in member `storages` is not (key, location, "
              "<storage class>) with a known storage class; the data after it cannot be walked",
              "the file is corrupt", "storages", static_cast<int64_t>(g->start_offset));
      return;
    }
    if (offset + 8 > end) {
      Problem("tar.truncated-member", Severity::kError,
              "member `storages` ends inside the length of storage " + s.key, "the file is corrupt",
              "storages", static_cast<int64_t>(offset));
      return;
    }
    s.numel = ReadLe(source.View(offset, 8), 8);
    uint64_t bytes = 0;
    uint64_t available = end - offset - 8;
    if (!CheckedMul(s.numel, s.element_size, &bytes) || bytes > available) {
      Problem("tar.truncated-member", Severity::kError,
              "storage " + s.key + " declares " + std::to_string(s.numel) + " elements of " +
                  std::to_string(s.element_size) + " bytes but member `storages` has only " +
                  std::to_string(available) + " bytes left",
              "the file is corrupt", "storages", static_cast<int64_t>(offset));
      return;
    }
    s.record = "storages";
    s.record_bytes = bytes;
    offset += 8 + bytes;
    cp_.storages.push_back(std::move(s));
  }
  // [(view key, root key, offset, numel), ...]: storages that view a root.
  if (const PickleGraph* views = next_pickle("views")) {
    const PickleNode& list = views->at(views->root);
    for (NodeId id : list.items) {
      const PickleNode& view = views->at(id);
      if (view.kind != PickleKind::kTuple || view.items.size() != 4) continue;
      auto key_text = [&](const PickleNode& n) {
        return n.kind == PickleKind::kInt ? std::to_string(n.int_value) : n.text;
      };
      tar_storage_root_[key_text(views->at(view.items[0]))] = key_text(views->at(view.items[1]));
    }
  }
}

void Reader::NameTarTensors(int object_pickle) {
  // The object pickle refers to tensors by persistent id = their key in the
  // `tensors` member (torch: deserialized_objects[int(saved_id)]).
  const PickleGraph& g = cp_.pickles[object_pickle].graph;
  if (g.root == kNoNode || tar_tensors_.empty()) return;
  const PickleNode& root = g.at(g.root);
  const NodeList* pairs = nullptr;
  bool ordered = false;
  if (root.kind == PickleKind::kDict) {
    pairs = &root.items;
  } else if ((root.kind == PickleKind::kCall || root.kind == PickleKind::kNewObj) && root.callee != kNoNode &&
             g.at(root.callee).kind == PickleKind::kGlobal && g.at(root.callee).name == "OrderedDict") {
    pairs = &root.set_items;
    ordered = true;
  }
  if (pairs == nullptr) return;
  std::map<std::string, StorageInfo*> storages;
  for (StorageInfo& s : cp_.storages) storages[s.key] = &s;
  std::map<std::string, std::vector<std::string>> by_root;
  for (size_t i = 0; i + 1 < pairs->size(); i += 2) {
    const PickleNode& key = g.at((*pairs)[i]);
    const PickleNode& value = g.at((*pairs)[i + 1]);
    if (key.kind != PickleKind::kStr || value.kind != PickleKind::kPersistentId || value.args == kNoNode) continue;
    const PickleNode& pid = g.at(value.args);
    std::string tensor_key = pid.kind == PickleKind::kInt ? std::to_string(pid.int_value) : pid.text;
    auto it = tar_tensors_.find(tensor_key);
    if (it == tar_tensors_.end()) continue;
    TensorInfo t = it->second;
    t.name = key.text;
    std::string root_key = tar_storage_root_.count(t.storage_key) ? tar_storage_root_[t.storage_key] : t.storage_key;
    if (StorageInfo* s = storages.count(root_key) ? storages[root_key] : nullptr) {
      t.dtype = s->dtype;
      t.location = s->location;
      s->tensors.push_back(t.name);
    }
    by_root[root_key].push_back(t.name);
    cp_.tensors.push_back(std::move(t));
  }
  for (auto& [key, names] : by_root) {
    if (names.size() > 1) cp_.tied_groups.push_back(names);
  }
  if (!cp_.tensors.empty() && (cp_.layout == Layout::kUnknown || cp_.layout == Layout::kOther)) {
    cp_.layout = ordered ? Layout::kStateDict : Layout::kTensorDict;
  }
}

void Reader::ReadTarTensors(const ByteSource& source, uint64_t begin, uint64_t size) {
  uint64_t end = begin + size;
  uint64_t offset = begin;
  if (size == 0) return;
  int i0 = AddPickle("tensors:count", source.View(offset, end - offset), offset);
  const PickleGraph& count_graph = cp_.pickles[i0].graph;
  if (!count_graph.complete()) return;
  const PickleNode& count = count_graph.at(count_graph.root);
  offset = count_graph.end_offset;
  if (count.kind != PickleKind::kInt || count.int_value < 0) return;
  for (int64_t i = 0; i < count.int_value && offset < end; ++i) {
    int idx = AddPickle("tensors:" + std::to_string(i), source.View(offset, end - offset), offset);
    const PickleGraph& g = cp_.pickles[idx].graph;
    if (!g.complete()) return;
    uint64_t record_offset = g.start_offset;
    offset = g.end_offset;
    if (offset + 8 > end) break;
    uint64_t ndim = ReadLe(source.View(offset, 4), 4);
    uint64_t need = 8 + 16 * ndim + 8;
    if (ndim > 64 || need > end - offset) {
      Problem("tar.truncated-member", Severity::kError,
              "tensor record " + std::to_string(i) + " in member `tensors` declares " +
                  std::to_string(ndim) + " dimensions that do not fit in the member",
              "the file is corrupt", "tensors", static_cast<int64_t>(offset));
      return;
    }
    // (key, storage_id, tensor class), then sizes, strides, storage offset.
    const PickleNode& args = g.at(g.root);
    if (args.kind == PickleKind::kTuple && args.items.size() == 3) {
      auto key_text = [&](const PickleNode& n) {
        return n.kind == PickleKind::kInt ? std::to_string(n.int_value) : n.text;
      };
      TensorInfo t;
      std::string key = key_text(g.at(args.items[0]));
      t.storage_key = key_text(g.at(args.items[1]));
      t.rebuild = "legacy-tar";
      t.pickle = idx;
      t.offset = record_offset;
      for (uint64_t d = 0; d < ndim; ++d) {
        t.shape.push_back(static_cast<int64_t>(ReadLe(source.View(offset + 8 + 8 * d, 8), 8)));
        t.stride.push_back(static_cast<int64_t>(ReadLe(source.View(offset + 8 + 8 * ndim + 8 * d, 8), 8)));
      }
      t.storage_offset = static_cast<int64_t>(ReadLe(source.View(offset + 8 + 16 * ndim, 8), 8));
      tar_tensors_[key] = std::move(t);
    }
    offset += need;
  }
}

// ---------------------------------------------------------------- safetensors

std::string SafetensorsDtypeToTorch(std::string_view dtype) {
  static const std::map<std::string_view, const char*> kNames = {
      {"F64", "float64"},      {"F32", "float32"},          {"F16", "float16"},
      {"BF16", "bfloat16"},    {"I64", "int64"},            {"I32", "int32"},
      {"I16", "int16"},        {"I8", "int8"},              {"U8", "uint8"},
      {"U16", "uint16"},       {"U32", "uint32"},           {"U64", "uint64"},
      {"BOOL", "bool"},        {"C64", "complex64"},        {"F8_E4M3", "float8_e4m3fn"},
      {"F8_E5M2", "float8_e5m2"}, {"F8_E8M0", "float8_e8m0fnu"},
      {"F8_E4M3FNUZ", "float8_e4m3fnuz"}, {"F8_E5M2FNUZ", "float8_e5m2fnuz"},
      {"F4", "float4_e2m1fn_x2"}};
  auto it = kNames.find(dtype);
  if (it != kNames.end()) return it->second;
  std::string lower(dtype);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

void Reader::ReadSafetensorsFile(const ByteSource& source) {
  cp_.format = ContainerFormat::kSafetensors;
  cp_.layout = Layout::kSafetensors;
  std::string_view head = source.View(0, 1);
  // torch.load reads the first byte of the header length as a pickle opcode;
  // when it is not one, the error is predictable.
  std::string torch_error;
  if (!head.empty() && !IsPickleOpcode(static_cast<uint8_t>(head[0]))) {
    torch_error = InvalidLoadKeyError(static_cast<uint8_t>(head[0]));
  }
  Problem("safetensors.not-for-torch-load", Severity::kInfo,
          "this is a safetensors file: torch.load cannot read it",
          "load it with safetensors.torch.load_file (or transformers' from_pretrained)", {}, 0,
          torch_error);
  Result<SafetensorsFile> file = ReadSafetensors(source);
  if (!file.ok()) {
    Problem(file.error().code, Severity::kError, "the safetensors file is invalid: " + file.error().message,
            file.error().hint.empty() ? "re-download or re-save it" : file.error().hint, {},
            file.error().offset);
    return;
  }
  for (const auto& [k, v] : file->metadata) cp_.records["safetensors." + k] = v;
  for (const SafetensorsNote& note : file->notes) {
    Problem(note.code, Severity::kInfo, note.message,
            "the reference loader accepts this; writers that follow the spec do not produce it", {},
            note.offset);
  }
  auto format = file->metadata.find("format");
  static const std::set<std::string> kKnownFormats = {"pt", "tf", "flax", "mlx"};
  if (format == file->metadata.end() || !kKnownFormats.count(format->second)) {
    Problem("safetensors.bad-format-metadata", Severity::kWarning,
            format == file->metadata.end()
                ? "the safetensors header has no `__metadata__.format`; transformers refuses it"
                : "the safetensors header's `__metadata__.format` is \"" + Excerpt(format->second) +
                      "\", not one of pt, tf, flax, mlx; transformers refuses it",
            "re-save with `save_pretrained` or `safetensors.torch.save_file(..., metadata={\"format\": \"pt\"})`",
            "__metadata__", 8,
            "OSError: The safetensors archive passed at " + cp_.path +
                " does not contain the valid metadata. Make sure you save your model with the "
                "`save_pretrained` method.");
  }
  for (const SafetensorsTensor& t : file->tensors) {
    cp_.record_names.push_back(t.name);
    TensorInfo info;
    info.name = t.name;
    info.dtype = SafetensorsDtypeToTorch(t.dtype);
    info.shape = t.shape;
    info.stride.assign(t.shape.size(), 1);
    for (size_t i = t.shape.size(); i-- > 1;) {
      info.stride[i - 1] = info.stride[i] * std::max<int64_t>(t.shape[i], 1);
    }
    info.storage_key = t.name;
    info.location = "cpu";
    info.rebuild = "safetensors";
    info.offset = file->buffer_offset + t.begin;
    cp_.tensors.push_back(info);
    StorageInfo s;
    s.key = t.name;
    s.dtype = info.dtype;
    s.element_size = SafetensorsDtypeSize(t.dtype);
    s.numel = info.numel();
    s.location = "cpu";
    s.record = t.name;
    s.record_bytes = t.end - t.begin;
    s.tensors = {t.name};
    cp_.storages.push_back(std::move(s));
  }
}

// ---------------------------------------------------------------- sharded index

uint64_t TorchDtypeSize(std::string_view dtype) {
  static const std::map<std::string_view, uint64_t> kSizes = {
      {"float64", 8}, {"float32", 4}, {"float16", 2}, {"bfloat16", 2}, {"int64", 8},
      {"int32", 4},   {"int16", 2},   {"int8", 1},    {"uint8", 1},    {"bool", 1},
      {"complex64", 8}, {"complex128", 16}, {"qint8", 1}, {"quint8", 1}, {"qint32", 4},
      {"quint4x2", 1}, {"quint2x4", 1}, {"uint16", 2}, {"uint32", 4}, {"uint64", 8},
      {"float8_e4m3fn", 1}, {"float8_e5m2", 1}, {"float8_e4m3fnuz", 1}, {"float8_e5m2fnuz", 1},
      {"float8_e8m0fnu", 1}};
  auto it = kSizes.find(dtype);
  return it == kSizes.end() ? 0 : it->second;
}

void Reader::ReadShardedIndex(const ByteSource& source) {
  cp_.format = ContainerFormat::kShardedIndex;
  cp_.layout = Layout::kSharded;
  if (source.size() > kMaxIndexJsonBytes) {
    Problem("index.too-large", Severity::kError,
            "the index is " + std::to_string(source.size()) + " bytes; a weight map is a few MB at most",
            "check that this is really a *.index.json", {}, -1);
    return;
  }
  nlohmann::json index;
  // nlohmann keeps one value per duplicate key; a weight_map that names a
  // tensor twice must be seen, so record every (key, shard) pair as parsed.
  std::vector<std::pair<std::string, std::string>> weight_map_pairs;
  std::string top_key, last_key;
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key) {
      if (depth == 1) top_key = parsed.is_string() ? parsed.get<std::string>() : std::string();
      if (depth == 2) last_key = parsed.is_string() ? parsed.get<std::string>() : std::string();
    } else if (event == nlohmann::json::parse_event_t::value && depth == 2 && top_key == "weight_map" &&
               parsed.is_string() && weight_map_pairs.size() < 10'000'000) {
      weight_map_pairs.emplace_back(last_key, parsed.get<std::string>());
    }
    return true;
  };
  try {
    index = nlohmann::json::parse(source.All(), on_event);
  } catch (const nlohmann::json::exception& e) {
    Problem("index.bad-json", Severity::kError, std::string("the index is not valid JSON: ") + e.what(),
            "re-download the index file", {}, -1);
    return;
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    Problem("index.no-weight-map", Severity::kError,
            "the index has no `weight_map` object", "re-download the index file", {}, -1);
    return;
  }
  std::optional<uint64_t> total_size;
  if (index.contains("metadata") && index["metadata"].is_object() &&
      index["metadata"].contains("total_size")) {
    const nlohmann::json& t = index["metadata"]["total_size"];
    if (t.is_number_unsigned()) total_size = t.get<uint64_t>();
    else if (t.is_number_integer() && t.get<int64_t>() >= 0) total_size = static_cast<uint64_t>(t.get<int64_t>());
    else if (t.is_number_float() && t.get<double>() >= 0) total_size = static_cast<uint64_t>(t.get<double>());
    if (total_size) cp_.records["index.total_size"] = std::to_string(*total_size);
  }
  // weight_map: tensor -> shard, kept in file order of shards' first use.
  std::map<std::string, std::string> wanted_shard;
  std::vector<std::string> shard_order;
  std::map<std::string, std::vector<std::string>> listed_in_shard;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    if (!it.value().is_string()) {
      Problem("index.bad-weight-map", Severity::kError,
              "weight_map[\"" + Excerpt(it.key()) + "\"] is not a file name",
              "fix or re-download the index file", {}, -1);
      continue;
    }
    std::string shard = it.value().get<std::string>();
    wanted_shard[it.key()] = shard;
    if (!listed_in_shard.count(shard)) shard_order.push_back(shard);
    listed_in_shard[shard].push_back(it.key());
  }
  {
    std::map<std::string, std::vector<std::string>> listed;
    for (const auto& [name, shard] : weight_map_pairs) listed[name].push_back(shard);
    for (const auto& [name, shards] : listed) {
      if (shards.size() < 2) continue;
      std::string list;
      for (const std::string& s : shards) list += (list.empty() ? "`" : ", `") + s + "`";
      Problem("index.duplicate-tensor", Severity::kError,
              "weight_map lists tensor `" + name + "` " + std::to_string(shards.size()) +
                  " times (" + list + "); JSON readers keep only the last one, `" + shards.back() +
                  "`",
              "keep one entry per tensor: regenerate the index with save_pretrained", shards.back());
    }
  }
  std::filesystem::path folder = std::filesystem::path(cp_.path).parent_path();
  std::map<std::string, std::vector<std::string>> holders;  // tensor -> shards holding it
  std::set<std::string> unreadable;
  uint64_t tensor_bytes = 0;
  bool bytes_known = true;
  int shard_count = 0;
  for (const std::string& shard : shard_order) {
    if (++shard_count > kMaxShards) break;
    const std::vector<std::string>& names = listed_in_shard[shard];
    std::string example = names.front() + (names.size() > 1 ? " and " + std::to_string(names.size() - 1) + " more" : "");
    cp_.record_names.push_back(shard);
    std::filesystem::path rel(shard);
    bool escapes = shard.empty() || rel.is_absolute() || shard.find('\\') != std::string::npos ||
                   shard.find('\0') != std::string::npos;
    for (const auto& part : rel) {
      if (part == "..") escapes = true;
    }
    if (escapes) {
      unreadable.insert(shard);
      Problem("index.shard-path-escapes", Severity::kError,
              "weight_map sends " + std::to_string(names.size()) + " tensor(s) (" + example +
                  ") to shard \"" + Excerpt(shard, 120) + "\", a path outside the index's folder; ptlint did not open it",
              "shards must be plain file names next to the index; a path with `..` or an absolute "
              "path makes a loader read arbitrary files: fix the index",
              shard);
      continue;
    }
    if (depth_ > 0) continue;
    std::string shard_path = (folder / rel).string();
    Result<std::unique_ptr<ByteSource>> opened = OpenFileByteSource(shard_path);
    if (!opened.ok()) {
      unreadable.insert(shard);
      Problem("index.missing-shard", Severity::kError,
              "shard `" + shard + "` named in the index for " + std::to_string(names.size()) +
                  " tensor(s) (" + example + ") cannot be opened: " + opened.error().message,
              "download the missing shard (all files matching the index), or fix the index", shard);
      continue;
    }
    Checkpoint sub;
    sub.path = shard_path;
    Reader(sub, options_, shard_path, depth_ + 1).Read(**opened);
    if (sub.format == ContainerFormat::kShardedIndex) {
      unreadable.insert(shard);
      Problem("index.nested-index", Severity::kError,
              "shard `" + shard + "` is itself an index; shards hold weights",
              "fix the index", shard);
      continue;
    }
    int pickle_base = static_cast<int>(cp_.pickles.size());
    for (PickleStream& p : sub.pickles) {
      p.index += pickle_base;
      cp_.pickles.push_back(std::move(p));
    }
    for (GlobalUse& g : sub.globals) {
      g.pickle += pickle_base;
      cp_.globals.push_back(std::move(g));
    }
    for (ReaderProblem& p : sub.problems) {
      p.message = "shard `" + shard + "`: " + p.message;
      p.record = p.record.empty() ? shard : shard + ":" + p.record;
      cp_.problems.push_back(std::move(p));
    }
    for (StorageInfo& s : sub.storages) {
      s.key = shard + ":" + s.key;
      cp_.storages.push_back(std::move(s));
    }
    for (auto& group : sub.tied_groups) cp_.tied_groups.push_back(std::move(group));
    ShardInfo info;
    info.file = shard;
    for (TensorInfo& t : sub.tensors) {
      t.pickle += pickle_base;
      t.storage_key = shard + ":" + t.storage_key;
      info.tensors.push_back(t.name);
      holders[t.name].push_back(shard);
      uint64_t element = TorchDtypeSize(t.dtype);
      uint64_t bytes = 0;
      if (element == 0 || !CheckedMul(t.numel(), element, &bytes)) bytes_known = false;
      tensor_bytes += bytes;
      cp_.tensors.push_back(std::move(t));
    }
    cp_.shards.push_back(std::move(info));
  }
  // Cross-check weight_map against what the shards hold.
  for (const auto& [name, shards] : holders) {
    if (shards.size() > 1) {
      std::string list;
      for (const std::string& s : shards) list += (list.empty() ? "`" : ", `") + s + "`";
      Problem("index.duplicate-tensor", Severity::kError,
              "tensor `" + name + "` is in " + std::to_string(shards.size()) + " shards (" + list +
                  "); the loader keeps whichever it reads last",
              "re-shard the checkpoint so every tensor is in exactly one shard", shards.back());
    }
    auto w = wanted_shard.find(name);
    if (w == wanted_shard.end()) {
      Problem("index.tensor-not-in-weight-map", Severity::kWarning,
              "shard `" + shards.front() + "` holds tensor `" + name + "` but the index's weight_map does not list it",
              "transformers loads only what the index lists per shard file; regenerate the index "
              "(save_pretrained) so it matches the shards",
              shards.front());
    } else if (std::find(shards.begin(), shards.end(), w->second) == shards.end()) {
      Problem("index.tensor-in-wrong-shard", Severity::kError,
              "weight_map puts tensor `" + name + "` in `" + w->second + "` but it is in `" +
                  shards.front() + "`",
              "regenerate the index so it matches the shards", w->second);
    }
  }
  for (const auto& [name, shard] : wanted_shard) {
    if (unreadable.count(shard) || holders.count(name)) continue;
    Problem("index.tensor-missing-from-shard", Severity::kError,
            "weight_map lists tensor `" + name + "` in shard `" + shard + "`, but that shard does not hold it",
            "the shard is from another save or the index is stale: download the shards and the index "
            "of the same revision",
            shard);
  }
  if (total_size && bytes_known && unreadable.empty() && depth_ == 0 && *total_size != tensor_bytes) {
    Problem("index.total-size-mismatch", Severity::kWarning,
            "the index's metadata.total_size is " + std::to_string(*total_size) +
                " bytes but the shards' tensors add up to " + std::to_string(tensor_bytes) + " bytes",
            "the index and the shards are from different saves: download both from the same revision",
            "metadata.total_size");
  }
}

// ---------------------------------------------------------------- distributed checkpoint

void Reader::ReadDistributedFolder(const std::filesystem::path& folder) {
  cp_.format = ContainerFormat::kDistributedCheckpoint;
  cp_.layout = Layout::kSharded;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (files.size() >= static_cast<size_t>(kMaxShards)) break;
    if (entry.is_regular_file(ec) && entry.path().extension() == ".distcp") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::filesystem::path metadata = folder / ".metadata";
  Result<std::unique_ptr<ByteSource>> meta = OpenFileByteSource(metadata.string());
  int main = -1;
  if (!meta.ok()) {
    Problem("dcp.missing-metadata", Severity::kError,
            "the distributed checkpoint folder has no readable `.metadata`: " + meta.error().message,
            "copy the whole checkpoint folder; `.metadata` is written last, so its absence means "
            "the save did not finish",
            ".metadata");
  } else {
    cp_.record_names.push_back(".metadata");
    main = AddPickle(".metadata", (*meta)->All(), 0, metadata.string());
  }
  for (const auto& path : files) {
    std::string name = path.filename().string();
    cp_.record_names.push_back(name);
    Result<std::unique_ptr<ByteSource>> data = OpenFileByteSource(path.string());
    if (!data.ok()) {
      Problem("dcp.unreadable-file", Severity::kError, "cannot open `" + name + "`: " + data.error().message,
              "check the file's permissions", name);
      continue;
    }
    ShardInfo info;
    info.file = name;
    cp_.shards.push_back(info);
    ScanPickleRegions(**data, 0, name, path.string());
  }
  if (main >= 0) {
    InterpretObjects(cp_, main);
    std::vector<TensorInfo> tensors = DistributedMetadataTensors(cp_.pickles[main].graph, main);
    for (TensorInfo& t : tensors) cp_.tensors.push_back(std::move(t));
  }
  cp_.format = ContainerFormat::kDistributedCheckpoint;
  // The planner flattens the saved state dict; its fqns are state-dict keys.
  cp_.layout = cp_.tensors.empty() ? Layout::kSharded : Layout::kStateDict;
}

}  // namespace

// ---------------------------------------------------------------- public API

Sniff SniffBytes(std::string_view head, uint64_t file_size) {
  if (file_size == 0 || head.empty()) return Sniff::kEmpty;
  if (head.size() >= 4 && (StartsWith(head, std::string_view("PK\x03\x04", 4)) ||
                           StartsWith(head, std::string_view("PK\x05\x06", 4)))) {
    return Sniff::kZip;
  }
  if (StartsWith(head, kLegacyMagicPickle)) return Sniff::kLegacyPickle;
  if (head.size() >= 262 && head.substr(257, 5) == "ustar") return Sniff::kTar;
  if (StartsWith(head, kLfsPrefix)) return Sniff::kLfsPointer;
  if (head.size() >= 9) {
    uint64_t n = ReadLe(head, 8);
    if (n >= 2 && n <= file_size - 8 && file_size >= 8 && head[8] == '{') return Sniff::kSafetensors;
  }
  uint8_t b0 = static_cast<uint8_t>(head[0]);
  if (b0 == 0x80 && head.size() >= 2 && static_cast<uint8_t>(head[1]) <= 5) return Sniff::kPickle;
  // Text-ish formats: skip a BOM and leading whitespace.
  std::string_view text = head;
  if (StartsWith(text, "\xef\xbb\xbf")) text.remove_prefix(3);
  size_t first = 0;
  while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first]))) ++first;
  std::string_view body = text.substr(first);
  if (!body.empty() && body[0] == '<' &&
      (IEqualsPrefix(body, "<!doctype") || IEqualsPrefix(body, "<html") ||
       IEqualsPrefix(body, "<head") || IEqualsPrefix(body, "<?xml") || IEqualsPrefix(body, "<!--") ||
       IEqualsPrefix(body, "<body") || IEqualsPrefix(body, "<meta") || IEqualsPrefix(body, "<title") ||
       (body.size() > 1 && std::isalpha(static_cast<unsigned char>(body[1]))))) {
    return Sniff::kHtml;
  }
  if (!body.empty() && body[0] == '{' && head.find("\"weight_map\"") != std::string_view::npos) {
    return Sniff::kShardedIndexJson;
  }
  bool utf8 = LooksLikeUtf8Text(head);
  if (utf8 && LooksLikePythonSource(head)) return Sniff::kPythonSource;
  if (ParsesAsPickle(head)) return Sniff::kPickle;
  if (utf8) return Sniff::kText;
  return Sniff::kUnknownBinary;
}

const char* SniffName(Sniff sniff) {
  switch (sniff) {
    case Sniff::kZip: return "zip";
    case Sniff::kLegacyPickle: return "legacy-pickle";
    case Sniff::kPickle: return "pickle";
    case Sniff::kTar: return "tar";
    case Sniff::kSafetensors: return "safetensors";
    case Sniff::kShardedIndexJson: return "sharded-index-json";
    case Sniff::kLfsPointer: return "lfs-pointer";
    case Sniff::kHtml: return "html";
    case Sniff::kEmpty: return "empty";
    case Sniff::kPythonSource: return "python-source";
    case Sniff::kText: return "text";
    case Sniff::kUnknownBinary: return "unknown-binary";
  }
  return "unknown";
}

Checkpoint ReadCheckpointBytes(const ByteSource& source, const std::string& path,
                               const ReadOptions& options) {
  Checkpoint cp;
  cp.path = path;
  Reader(cp, options, path, 0).Read(source);
  return cp;
}

Checkpoint ReadCheckpoint(const std::string& path, const ReadOptions& options) {
  Checkpoint cp;
  cp.path = path;
  std::error_code ec;
  std::filesystem::path fs_path(path);
  if (std::filesystem::is_directory(fs_path, ec)) {
    if (std::filesystem::exists(fs_path / ".metadata", ec)) {
      Reader(cp, options, path, 0).ReadDistributedFolder(fs_path);
    } else {
      cp.format = ContainerFormat::kUnknown;
      cp.problems.push_back(ReaderProblem{
          "io.directory", Severity::kError,
          path + " is a folder without `.metadata` (not a distributed checkpoint)",
          "pass a checkpoint file, a *.index.json, or a torch.distributed.checkpoint folder", {}, -1,
          "IsADirectoryError: [Errno 21] Is a directory: '" + path + "'"});
    }
    return cp;
  }
  Result<std::unique_ptr<ByteSource>> source = OpenFileByteSource(path);
  if (!source.ok()) {
    std::string torch_error;
    if (!std::filesystem::exists(fs_path, ec)) {
      torch_error = "FileNotFoundError: [Errno 2] No such file or directory: '" + path + "'";
    }
    cp.problems.push_back(ReaderProblem{source.error().code, Severity::kError,
                                        source.error().message, source.error().hint, {}, -1,
                                        torch_error});
    return cp;
  }
  Reader(cp, options, path, 0).Read(**source);
  return cp;
}

}  // namespace ptlint
