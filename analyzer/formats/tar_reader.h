// TarListing: a tar archive's members exactly as Python's `tarfile` (3.11,
// mode "r:") lists them, because that is the reader torch's legacy loader
// uses (torch.serialization._legacy_load -> tarfile.open -> extract /
// extractfile). What tarfile accepts, this accepts; where it stops, this
// stops:
//   - no "ustar" magic is needed; the checksum may be the unsigned or the
//     signed byte sum; numbers are octal text (as Python's int(s, 8) reads
//     it) or GNU base-256;
//   - the ustar prefix is applied whenever it is non-empty;
//   - only regular members (and unknown types, read as regular files) have
//     data blocks: a symlink, hardlink, directory or device header is followed
//     directly by the next header, whatever its size field says;
//   - GNU long names/links (L, K) and pax headers (x, X, g: path, linkpath,
//     size) patch the member that follows;
//   - an invalid header ends the archive silently, except in the first block
//     (then tarfile.open raises ReadError and torch tries a plain pickle).
// Lookup is tarfile's: the LAST member of a name wins, and a link member
// reads as its target (extractfile).
#ifndef PTLINT_ANALYZER_FORMATS_TAR_READER_H_
#define PTLINT_ANALYZER_FORMATS_TAR_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/support/byte_source.h"
#include "analyzer/support/result.h"

namespace ptlint {

struct TarMember {
  std::string name;
  std::string linkname;
  char type = '0';
  uint64_t header_offset = 0;
  uint64_t data_offset = 0;
  uint64_t size = 0;
  // tarfile reads it as a file: a regular type, or a type it does not know.
  bool reads_as_file = true;
  bool is_link() const { return type == '1' || type == '2'; }
};

struct TarListing {
  std::vector<TarMember> members;
  // Why the listing stopped before two zero blocks (a bad header after the
  // first, a truncated file): tarfile stops there too, silently.
  std::string stopped_because;
  // Where tarfile raises ReadError while loading the member list (data that
  // runs past EOF): torch then falls back to reading a pickle at byte 0.
  std::optional<std::string> load_error;
  uint64_t end_offset = 0;
};

struct TarLimits {
  uint64_t max_members = 100000;
};

// Error "tar.not-tar" when tarfile.open would raise ReadError on the first
// header (the caller then reads the file as tarfile's caller would: a pickle).
Result<TarListing> ListTar(const ByteSource& source, TarLimits limits = {});

// tarfile.getmember(name): the last member so named, or nullptr.
const TarMember* FindTarMember(const TarListing& listing, std::string_view name);

// The member whose bytes tarfile.extractfile(member) (and, for a link whose
// target is inside the archive, extract()) returns: links are followed inside
// the archive as tarfile's _find_link_target does. nullptr with *why set when
// tarfile returns None or raises (a directory, a dangling link, a loop).
const TarMember* ResolveTarMember(const TarListing& listing, const TarMember& member,
                                  std::string* why);

// True when the 512-byte block is a header tarfile accepts (checksum and
// numeric fields): used to sniff tar files without the "ustar" magic.
bool LooksLikeTarHeader(std::string_view block);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_FORMATS_TAR_READER_H_
