#include "analyzer/formats/tar_reader.h"

#include <algorithm>
#include <map>

namespace ptlint {

namespace {

constexpr uint64_t kBlock = 512;
constexpr int kMaxLinkHops = 40;

// Python's str.isspace() for the ASCII range (str.strip strips these).
bool PySpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

std::string_view CutAtNul(std::string_view s) { return s.substr(0, s.find('\0')); }

// int(text, base) as CPython parses it: optional sign, for base 8 an optional
// "0o" prefix, digits with single underscores between them. Saturates.
std::optional<int64_t> PyInt(std::string_view s, int base) {
  while (!s.empty() && PySpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && PySpace(s.back())) s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  bool prefixed = false;
  if (base == 8 && s.size() >= 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    s.remove_prefix(2);
    prefixed = true;
  }
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  bool digit_before = prefixed;  // "0o_7" is valid: an underscore may follow the prefix
  bool last_underscore = false;
  bool any = false;
  for (char c : s) {
    if (c == '_') {
      if (!digit_before || last_underscore) return std::nullopt;
      last_underscore = true;
      continue;
    }
    int d = (c >= '0' && c <= '9') ? c - '0' : -1;
    if (d < 0 || d >= base) return std::nullopt;
    if (v < (INT64_MAX - d) / base) {
      v = v * base + d;
    } else {
      v = INT64_MAX;
    }
    digit_before = true;
    last_underscore = false;
    any = true;
  }
  if (!any || last_underscore) return std::nullopt;
  return negative ? -v : v;
}

// tarfile.nti. nullopt is InvalidHeaderError.
std::optional<int64_t> Nti(std::string_view field) {
  const uint8_t b0 = field.empty() ? 0 : static_cast<uint8_t>(field[0]);
  if (b0 == 0x80 || b0 == 0xff) {
    uint64_t n = 0;
    bool big = false;
    for (size_t i = 1; i < field.size(); ++i) {
      if (n >> 55) big = true;
      n = (n << 8) | static_cast<uint8_t>(field[i]);
    }
    if (b0 == 0x80) return big || n > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(n);
    // -(256**(len-1) - n): negative; only its sign matters to callers here.
    return big ? INT64_MIN : -static_cast<int64_t>(std::min<uint64_t>(n, 1));
  }
  std::string_view text = CutAtNul(field);
  for (char c : text) {
    if (static_cast<uint8_t>(c) >= 0x80) return std::nullopt;  // ascii, strict
  }
  std::string_view stripped = text;
  while (!stripped.empty() && PySpace(stripped.front())) stripped.remove_prefix(1);
  while (!stripped.empty() && PySpace(stripped.back())) stripped.remove_suffix(1);
  if (stripped.empty()) return 0;
  return PyInt(stripped, 8);
}

bool ChecksumMatches(std::string_view block) {
  std::optional<int64_t> stored = Nti(block.substr(148, 8));
  if (!stored) return false;
  int64_t unsigned_sum = 256, signed_sum = 256;
  for (size_t i = 0; i < kBlock; ++i) {
    if (i >= 148 && i < 156) continue;
    unsigned_sum += static_cast<uint8_t>(block[i]);
    signed_sum += static_cast<int8_t>(block[i]);
  }
  return *stored == unsigned_sum || *stored == signed_sum;
}

bool IsRegularType(char t) { return t == '0' || t == '\0' || t == '7' || t == 'S'; }
bool IsSupportedType(char t) {
  return IsRegularType(t) || t == '1' || t == '2' || t == '5' || t == '6' || t == '3' ||
         t == '4' || t == 'L' || t == 'K';
}
bool ReadsAsFile(char t) { return IsRegularType(t) || !IsSupportedType(t); }
uint64_t Blocks(int64_t size) {
  if (size <= 0) return 0;
  uint64_t s = static_cast<uint64_t>(size);
  return (s + kBlock - 1) / kBlock * kBlock;
}

std::string RStripSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// os.path.normpath for POSIX paths.
std::string NormPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool absolute = path[0] == '/';
  // POSIX allows exactly two leading slashes to mean something else.
  const int leading = absolute ? ((path.size() > 1 && path[1] == '/' && (path.size() == 2 || path[2] != '/')) ? 2 : 1) : 0;
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (!part.empty() && part != ".") {
      if (part == "..") {
        if ((!absolute && parts.empty()) || (!parts.empty() && parts.back() == "..")) {
          parts.push_back(part);
        } else if (!parts.empty()) {
          parts.pop_back();
        }
      } else {
        parts.push_back(part);
      }
    }
    pos = end + 1;
  }
  std::string out(static_cast<size_t>(leading), '/');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

struct Header {
  TarMember member;
  int64_t size = 0;
};

enum class HeaderStatus { kOk, kEmpty, kTruncated, kEof, kInvalid };

// tarfile.TarInfo.frombuf.
HeaderStatus ParseHeader(const ByteSource& source, uint64_t offset, Header* out) {
  std::string_view block = source.View(offset, kBlock);
  if (block.empty()) return HeaderStatus::kEmpty;
  if (block.size() != kBlock) return HeaderStatus::kTruncated;
  if (block.find_first_not_of('\0') == std::string_view::npos) return HeaderStatus::kEof;
  if (!ChecksumMatches(block)) return HeaderStatus::kInvalid;
  for (auto [at, len] : {std::pair<size_t, size_t>{100, 8}, {108, 8}, {116, 8}, {136, 12},
                         {329, 8}, {337, 8}}) {
    if (!Nti(block.substr(at, len))) return HeaderStatus::kInvalid;
  }
  std::optional<int64_t> size = Nti(block.substr(124, 12));
  if (!size) return HeaderStatus::kInvalid;
  TarMember& m = out->member;
  m = TarMember{};
  m.header_offset = offset;
  m.name = std::string(CutAtNul(block.substr(0, 100)));
  m.type = block[156];
  m.linkname = std::string(CutAtNul(block.substr(157, 100)));
  std::string prefix(CutAtNul(block.substr(345, 155)));
  if (m.type == 'S') {
    // The old GNU sparse header's extra numbers must parse too.
    for (size_t at = 386; at < 386 + 4 * 24; at += 24) {
      if (!Nti(block.substr(at, 12)) || !Nti(block.substr(at + 12, 12))) return HeaderStatus::kInvalid;
    }
    if (!Nti(block.substr(483, 12))) return HeaderStatus::kInvalid;
  }
  if (m.type == '\0' && !m.name.empty() && m.name.back() == '/') m.type = '5';
  if (m.type == '5') m.name = RStripSlash(m.name);
  if (!prefix.empty() && m.type != 'L' && m.type != 'K' && m.type != 'S') m.name = prefix + "/" + m.name;
  out->size = *size;
  m.size = *size > 0 ? static_cast<uint64_t>(*size) : 0;
  m.reads_as_file = ReadsAsFile(m.type);
  return HeaderStatus::kOk;
}

using PaxHeaders = std::map<std::string, std::string>;

// Parses pax records; false is InvalidHeaderError.
bool ParsePax(std::string_view buf, PaxHeaders& into) {
  size_t pos = 0;
  while (buf.size() > pos && buf[pos] != '\0') {
    size_t digits = 0;
    while (pos + digits < buf.size() && digits <= 20 && buf[pos + digits] >= '0' && buf[pos + digits] <= '9') ++digits;
    if (digits == 0 || digits > 20 || pos + digits >= buf.size() || buf[pos + digits] != ' ') return false;
    std::optional<int64_t> length = PyInt(buf.substr(pos, digits), 10);
    if (!length || *length < 5 || static_cast<uint64_t>(*length) > buf.size() - pos) return false;
    const size_t end = pos + static_cast<size_t>(*length) - 1;
    const size_t kv_begin = pos + digits + 1;
    if (kv_begin > end) return false;
    std::string_view kv = buf.substr(kv_begin, end - kv_begin);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0 || buf[end] != '\n') return false;
    into[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    pos += static_cast<size_t>(*length);
  }
  return true;
}

// TarInfo._apply_pax_info for the fields that matter to reading members.
void ApplyPax(const PaxHeaders& pax, TarMember& m, int64_t* size) {
  for (const auto& [key, value] : pax) {
    if (key == "GNU.sparse.name" || key == "path") {
      m.name = key == "path" ? RStripSlash(value) : value;
    } else if (key == "linkpath") {
      m.linkname = value;
    } else if (key == "size" || key == "GNU.sparse.size" || key == "GNU.sparse.realsize") {
      std::optional<int64_t> v = PyInt(value, 10);
      *size = v ? *v : 0;
      m.size = *size > 0 ? static_cast<uint64_t>(*size) : 0;
    }
  }
}

}  // namespace

bool LooksLikeTarHeader(std::string_view block) {
  if (block.size() < kBlock) return false;
  block = block.substr(0, kBlock);
  if (block.find_first_not_of('\0') == std::string_view::npos) return false;
  return ChecksumMatches(block) && Nti(block.substr(124, 12)).has_value() &&
         Nti(block.substr(100, 8)).has_value() && Nti(block.substr(108, 8)).has_value() &&
         Nti(block.substr(116, 8)).has_value() && Nti(block.substr(136, 12)).has_value() &&
         Nti(block.substr(329, 8)).has_value() && Nti(block.substr(337, 8)).has_value();
}

Result<TarListing> ListTar(const ByteSource& source, TarLimits limits) {
  TarListing listing;
  PaxHeaders global_pax;
  const uint64_t file_size = source.size();
  uint64_t offset = 0;       // tarfile.offset: where the next header is
  uint64_t position = 0;     // fileobj.tell()
  auto fail = [&](const std::string& why) -> Result<TarListing> {
    return MakeError("tar.not-tar", "tarfile.open would fail: " + why, {}, 0);
  };
  while (listing.members.size() < limits.max_members) {
    if (offset != position) {
      // tarfile seeks to offset-1 and reads a byte: data past EOF is an error.
      if (offset > file_size) {
        listing.load_error = "member data runs past the end of the file (unexpected end of data)";
        if (listing.members.empty()) return fail(*listing.load_error);
        break;
      }
      position = offset;
    }
    const uint64_t header_at = offset;
    Header h;
    HeaderStatus status = ParseHeader(source, header_at, &h);
    if (status != HeaderStatus::kOk) {
      const char* why = status == HeaderStatus::kEmpty       ? "empty file"
                        : status == HeaderStatus::kTruncated ? "truncated header"
                        : status == HeaderStatus::kEof       ? "end of file header"
                                                             : "bad checksum or invalid header";
      if (header_at == 0 && status != HeaderStatus::kEof) return fail(why);
      if (status != HeaderStatus::kEof && status != HeaderStatus::kEmpty) listing.stopped_because = why;
      break;
    }
    position = header_at + kBlock;
    // Extension headers patch the member that follows (_proc_gnulong, _proc_pax).
    std::string long_name, long_link;
    bool have_long_name = false, have_long_link = false;
    std::optional<PaxHeaders> local_pax;
    bool subsequent_error = false;
    bool nested = false;
    while (h.member.type == 'L' || h.member.type == 'K' || h.member.type == 'x' ||
           h.member.type == 'X' || h.member.type == 'g') {
      const uint64_t data_len = Blocks(h.size);
      std::string_view buf = source.View(position, data_len);
      position += buf.size();
      if (h.member.type == 'L') {
        long_name = std::string(CutAtNul(buf));
        have_long_name = true;
      } else if (h.member.type == 'K') {
        long_link = std::string(CutAtNul(buf));
        have_long_link = true;
      } else {
        PaxHeaders parsed = h.member.type == 'g' ? global_pax : (local_pax ? *local_pax : global_pax);
        if (!ParsePax(buf, parsed)) {
          // InvalidHeaderError: as the first header it ends the listing (or
          // fails the open); nested in another extension it is a
          // SubsequentHeaderError.
          subsequent_error = nested;
          status = HeaderStatus::kInvalid;
          break;
        }
        if (h.member.type == 'g') {
          global_pax = parsed;
        } else {
          local_pax = parsed;
        }
      }
      Header next;
      HeaderStatus ns = ParseHeader(source, position, &next);
      if (ns != HeaderStatus::kOk) {
        // SubsequentHeaderError -> ReadError, raised while loading members.
        subsequent_error = true;
        status = ns;
        break;
      }
      position += kBlock;
      h = next;
      nested = true;
    }
    if (status == HeaderStatus::kInvalid && !subsequent_error) {
      if (header_at == 0) return fail("invalid pax header");
      listing.stopped_because = "invalid pax header";
      break;
    }
    if (subsequent_error) {
      listing.load_error = "an extension header is not followed by a valid header";
      if (header_at == 0) return fail(*listing.load_error);
      break;
    }
    TarMember m = h.member;
    m.header_offset = header_at;
    m.data_offset = position;
    int64_t size = h.size;
    // _proc_builtin: only files have data blocks; then global pax applies.
    uint64_t next_offset = position + (ReadsAsFile(m.type) ? Blocks(size) : 0);
    ApplyPax(global_pax, m, &size);
    if (have_long_name) m.name = long_name;
    if (have_long_link) m.linkname = long_link;
    if (m.type == '5') m.name = RStripSlash(m.name);
    if (local_pax) {
      ApplyPax(*local_pax, m, &size);
      if (local_pax->count("size")) {
        next_offset = m.data_offset + (ReadsAsFile(m.type) ? Blocks(size) : 0);
      }
    }
    m.reads_as_file = ReadsAsFile(m.type);
    listing.members.push_back(std::move(m));
    offset = next_offset;
  }
  listing.end_offset = offset;
  return listing;
}

const TarMember* FindTarMember(const TarListing& listing, std::string_view name) {
  while (!name.empty() && name.back() == '/') name.remove_suffix(1);
  for (auto it = listing.members.rbegin(); it != listing.members.rend(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

const TarMember* ResolveTarMember(const TarListing& listing, const TarMember& member,
                                  std::string* why) {
  const TarMember* m = &member;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    if (m->reads_as_file) return m;
    if (!m->is_link()) {
      *why = "member `" + m->name + "` is not a file (type '" + std::string(1, m->type) + "')";
      return nullptr;
    }
    // _find_link_target: a symlink searches the whole archive relative to
    // its folder; a hardlink searches the members before it.
    std::string target;
    size_t limit = listing.members.size();
    if (m->type == '2') {
      size_t slash = m->name.rfind('/');
      std::string dir = slash == std::string::npos ? std::string() : m->name.substr(0, slash);
      target = dir.empty() ? m->linkname : m->linkname.empty() ? dir : dir + "/" + m->linkname;
    } else {
      target = m->linkname;
      limit = static_cast<size_t>(m - listing.members.data());
    }
    std::string wanted = NormPath(target);
    const TarMember* found = nullptr;
    for (size_t i = limit; i-- > 0;) {
      if (NormPath(listing.members[i].name) == wanted) {
        found = &listing.members[i];
        break;
      }
    }
    if (found == nullptr) {
      *why = "link `" + m->name + "` points to `" + m->linkname + "`, which is not in the archive";
      return nullptr;
    }
    m = found;
  }
  *why = "links starting at `" + member.name + "` do not end (a loop)";
  return nullptr;
}

}  // namespace ptlint
