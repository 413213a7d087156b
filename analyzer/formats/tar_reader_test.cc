#include "analyzer/formats/tar_reader.h"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

// One header as Python's tarfile writes it; `signed_sum` stores the signed
// byte sum (what old Sun/NeXT tars wrote), which tarfile also accepts.
std::string Header(const std::string& name, uint64_t size, char type = '0', const std::string& link = {},
                   bool ustar = true, bool signed_sum = false, const std::string& prefix = {}) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  h.replace(100, 8, std::string("0000644\0", 8));
  h.replace(108, 8, std::string("0000000\0", 8));
  h.replace(116, 8, std::string("0000000\0", 8));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%011llo", static_cast<unsigned long long>(size));
  h.replace(124, 12, std::string(buf) + '\0');
  h.replace(136, 12, std::string("00000000000\0", 12));
  h[156] = type;
  h.replace(157, link.size(), link);
  if (ustar) h.replace(257, 8, std::string("ustar\0" "00", 8));
  h.replace(345, prefix.size(), prefix);
  h.replace(148, 8, std::string(8, ' '));
  long long sum = 0;
  for (char c : h) sum += signed_sum ? static_cast<signed char>(c) : static_cast<unsigned char>(c);
  std::snprintf(buf, sizeof buf, "%06llo", sum);
  h.replace(148, 8, std::string(buf) + std::string("\0 ", 2));
  return h;
}

std::string Member(const std::string& name, const std::string& data, char type = '0', bool ustar = true,
                   bool signed_sum = false) {
  return Header(name, data.size(), type, {}, ustar, signed_sum) + data +
         std::string((512 - data.size() % 512) % 512, '\0');
}

const std::string kEnd(1024, '\0');

TEST(ListTar, NoMagicSignedChecksumAndPrefixAreAccepted) {
  // A byte with the high bit set makes the signed and unsigned sums differ.
  std::string name("a\0\xff", 3);
  std::string tar = Member(name, "x", '0', false, true) +
                    Header("b", 0, '0', {}, false, false, "dir") + kEnd;
  MemoryByteSource source(tar);
  Result<TarListing> listing = ListTar(source);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  ASSERT_EQ(listing->members.size(), 2u);
  EXPECT_EQ(listing->members[0].name, "a");
  EXPECT_EQ(listing->members[1].name, "dir/b");  // the prefix applies without "ustar"
  EXPECT_TRUE(LooksLikeTarHeader(tar.substr(0, 512)));
}

TEST(ListTar, OnlyFilesHaveDataBlocks) {
  // A symlink header that claims 1024 bytes: tarfile reads the next header
  // right after it.
  std::string tar = Header("link", 1024, '2', "target") + Member("pickle", "p") + kEnd;
  MemoryByteSource source(tar);
  Result<TarListing> listing = ListTar(source);
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->members.size(), 2u);
  EXPECT_EQ(listing->members[1].name, "pickle");
  EXPECT_EQ(listing->members[1].data_offset, 1024u);
}

TEST(ListTar, PaxAndGnuLongNamesRenameTheNextMember) {
  std::string record = " path=pickle\n";
  record = std::to_string(record.size() + 2) + record;
  std::string tar = Member("PaxHeader", record, 'x') + Member("innocent", "A") +
                    Member("././@LongLink", std::string("tensors\0", 8), 'L') + Member("other", "B") + kEnd;
  MemoryByteSource source(tar);
  Result<TarListing> listing = ListTar(source);
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->members.size(), 2u);
  EXPECT_EQ(listing->members[0].name, "pickle");
  EXPECT_EQ(listing->members[1].name, "tensors");
}

TEST(ListTar, LastMemberWinsAndLinksResolveInsideTheArchive) {
  std::string tar = Member("pickle", "first") + Member("pickle", "second") + Member("data", "D") +
                    Header("hard", 0, '1', "data") + Header("sym", 0, '2', "data") +
                    Header("loop", 0, '2', "loop") + Member("odd", "Z", 'Z') + kEnd;
  MemoryByteSource source(tar);
  Result<TarListing> listing = ListTar(source);
  ASSERT_TRUE(listing.ok());
  const TarMember* pickle = FindTarMember(*listing, "pickle");
  ASSERT_NE(pickle, nullptr);
  EXPECT_EQ(pickle->data_offset, 1536u);  // the second copy
  std::string why;
  for (const char* name : {"hard", "sym"}) {
    const TarMember* link = FindTarMember(*listing, name);
    ASSERT_NE(link, nullptr);
    const TarMember* target = ResolveTarMember(*listing, *link, &why);
    ASSERT_NE(target, nullptr) << why;
    EXPECT_EQ(target->name, "data");
  }
  EXPECT_EQ(ResolveTarMember(*listing, *FindTarMember(*listing, "loop"), &why), nullptr);
  EXPECT_TRUE(FindTarMember(*listing, "odd")->reads_as_file);  // unknown types read as files
}

TEST(ListTar, FirstHeaderBadMeansNotATarLaterOnesEndTheListing) {
  std::string bad = Member("pickle", "x");
  bad[0] = 'q';  // checksum no longer matches
  MemoryByteSource first(bad + kEnd);
  EXPECT_FALSE(ListTar(first).ok());
  MemoryByteSource later(Member("a", "x") + bad + Member("b", "y") + kEnd);
  Result<TarListing> listing = ListTar(later);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->members.size(), 1u);
  EXPECT_FALSE(listing->stopped_because.empty());
  // Data past the end: tarfile raises while listing (torch then falls back).
  MemoryByteSource truncated(Header("a", 4096) + "xx");
  Result<TarListing> cut = ListTar(truncated);
  EXPECT_TRUE(!cut.ok() || cut->load_error.has_value());
}

}  // namespace
}  // namespace ptlint
