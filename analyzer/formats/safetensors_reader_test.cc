#include "analyzer/formats/safetensors_reader.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

namespace fs = std::filesystem;

// A safetensors file from a header we write by hand and a buffer of `buffer`
// bytes (patterned, so offsets are visible in a hex dump).
std::string MakeFile(const std::string& header, uint64_t buffer, uint64_t declared = ~0ull) {
  std::string out;
  uint64_t n = declared == ~0ull ? header.size() : declared;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  out += header;
  for (uint64_t i = 0; i < buffer; ++i) out += static_cast<char>(i & 0xff);
  return out;
}

const char* kValidHeader =
    R"({"__metadata__":{"format":"pt","note":"ok"},)"
    R"("b":{"dtype":"I64","shape":[],"data_offsets":[24,32]},)"
    R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
    R"("empty":{"dtype":"BF16","shape":[0,7],"data_offsets":[32,32]},)"
    R"("h":{"dtype":"F16","shape":[3],"data_offsets":[32,38]}})";
constexpr uint64_t kValidBuffer = 38;

Result<SafetensorsFile> Read(const std::string& bytes) {
  return ReadSafetensors(MemoryByteSource(bytes));
}

// Reads a file built from `header` that must fail with `code`.
void ExpectError(const std::string& header, uint64_t buffer, const std::string& code,
                 const std::string& in_message = "") {
  Result<SafetensorsFile> r = Read(MakeFile(header, buffer));
  ASSERT_FALSE(r.ok()) << "accepted: " << header;
  EXPECT_EQ(r.error().code, code) << header << "\n  -> " << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
  EXPECT_FALSE(r.error().hint.empty()) << code;
  EXPECT_GE(r.error().offset, 0) << code;
  if (!in_message.empty()) {
    EXPECT_NE(r.error().message.find(in_message), std::string::npos)
        << r.error().message << " lacks " << in_message;
  }
}

std::string OneTensor(const std::string& body) {
  return std::string(R"({"t":)") + body + "}";
}

TEST(SafetensorsReader, ValidFile) {
  const std::string bytes = MakeFile(kValidHeader, kValidBuffer);
  EXPECT_TRUE(LooksLikeSafetensors(bytes.substr(0, 16), bytes.size()));
  Result<SafetensorsFile> r = Read(bytes);
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(r->header_size, std::string(kValidHeader).size());
  EXPECT_EQ(r->buffer_offset, 8 + r->header_size);
  EXPECT_EQ(r->metadata.size(), 2u);
  EXPECT_EQ(r->metadata.at("format"), "pt");
  ASSERT_EQ(r->tensors.size(), 4u);
  // In data-offset order; the zero-size tensor sorts by name at a tie.
  EXPECT_EQ(r->tensors[0].name, "a");
  EXPECT_EQ(r->tensors[0].dtype, "F32");
  EXPECT_EQ(r->tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(r->tensors[0].begin, 0u);
  EXPECT_EQ(r->tensors[0].end, 24u);
  EXPECT_EQ(r->tensors[1].name, "b");
  EXPECT_TRUE(r->tensors[1].shape.empty());
  EXPECT_EQ(r->tensors[2].name, "empty");
  EXPECT_EQ(r->tensors[3].name, "h");
  EXPECT_TRUE(r->notes.empty());
}

TEST(SafetensorsReader, EmptyFileAndPaddedHeader) {
  Result<SafetensorsFile> r = Read(MakeFile("{}", 0));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->tensors.empty());
  // Writers pad the header with spaces to align the buffer; allowed.
  r = Read(MakeFile(std::string(kValidHeader) + "       ", kValidBuffer));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->tensors.size(), 4u);
  r = Read(MakeFile(R"({"__metadata__":null})", 0));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->metadata.empty());
}

TEST(SafetensorsReader, SubByteDtypes) {
  EXPECT_EQ(SafetensorsDtypeBits("F4"), 4u);
  EXPECT_EQ(SafetensorsDtypeBits("F6_E2M3"), 6u);
  EXPECT_EQ(SafetensorsDtypeSize("F4"), 0u);
  EXPECT_EQ(SafetensorsDtypeSize("F8_E8M0"), 1u);
  EXPECT_EQ(SafetensorsDtypeSize("BF16"), 2u);
  EXPECT_EQ(SafetensorsDtypeSize("C64"), 8u);
  EXPECT_EQ(SafetensorsDtypeSize("U64"), 8u);
  EXPECT_EQ(SafetensorsDtypeSize("BOOL"), 1u);
  EXPECT_EQ(SafetensorsDtypeSize("f32"), 0u);
  EXPECT_EQ(SafetensorsDtypeSize(""), 0u);
  // 4 x F4 = 16 bits = 2 bytes; 4 x F6 = 24 bits = 3 bytes.
  EXPECT_TRUE(Read(MakeFile(OneTensor(R"({"dtype":"F4","shape":[4],"data_offsets":[0,2]})"), 2)).ok());
  EXPECT_TRUE(
      Read(MakeFile(OneTensor(R"({"dtype":"F6_E3M2","shape":[2,2],"data_offsets":[0,3]})"), 3)).ok());
  // 3 x F4 = 12 bits: not a whole number of bytes.
  ExpectError(OneTensor(R"({"dtype":"F4","shape":[3],"data_offsets":[0,2]})"), 2,
              "safetensors.misaligned-slice", "\"t\"");
}

TEST(SafetensorsReader, EveryPrefixIsAnError) {
  const std::string bytes = MakeFile(kValidHeader, kValidBuffer);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<SafetensorsFile> r = Read(bytes.substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes was accepted";
    const std::string& code = r.error().code;
    if (n < 8) {
      EXPECT_EQ(code, "safetensors.too-small") << n;
    } else if (n < 8 + std::string(kValidHeader).size()) {
      EXPECT_EQ(code, "safetensors.truncated-header") << n;
    } else {
      EXPECT_EQ(code, "safetensors.buffer-size") << n;
      EXPECT_NE(r.error().hint.find("truncated"), std::string::npos);
    }
  }
}

TEST(SafetensorsReader, EverySingleByteCorruptionIsHandled) {
  const std::string bytes = MakeFile(kValidHeader, kValidBuffer);
  int accepted = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (char c : {'\0', '\xff', '"', '{', '[', '9', ' '}) {
      std::string b = bytes;
      b[i] = c;
      Result<SafetensorsFile> r = Read(b);
      if (r.ok()) {
        ++accepted;
      } else {
        EXPECT_FALSE(r.error().code.empty());
      }
    }
  }
  EXPECT_GT(accepted, 0);  // e.g. changes inside the buffer or a metadata string
}

TEST(SafetensorsReader, HeaderFraming) {
  {
    Result<SafetensorsFile> r = Read("abc");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "safetensors.too-small");
  }
  {
    Result<SafetensorsFile> r = Read(MakeFile("{}", 0, 100'000'001));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "safetensors.header-too-large");
    EXPECT_EQ(r.error().offset, 0);
  }
  {
    Result<SafetensorsFile> r = Read(MakeFile("{}", 0, 50));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "safetensors.truncated-header");
  }
  ExpectError("", 0, "safetensors.header-start");
  ExpectError(R"( {"a":1})", 0, "safetensors.header-start");
  ExpectError(R"(["a"])", 0, "safetensors.header-start");
  ExpectError("{\"\xff\xfe\":1}", 0, "safetensors.bad-utf8");
  ExpectError("{\"\xc0\xaf\":1}", 0, "safetensors.bad-utf8");  // overlong '/'
  ExpectError(R"({"t":)", 0, "safetensors.bad-json");
  ExpectError(R"({} trailing)", 0, "safetensors.bad-json");
  ExpectError(std::string("{}\0junk", 7), 0, "safetensors.bad-json");
  ExpectError(R"({"a":{"dtype":"F32",})", 0, "safetensors.bad-json");
}

TEST(SafetensorsReader, DuplicateKeys) {
  ExpectError(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
              R"("t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
              2, "safetensors.duplicate-key", "\"t\"");
  ExpectError(OneTensor(R"({"dtype":"U8","dtype":"I8","shape":[1],"data_offsets":[0,1]})"), 1,
              "safetensors.duplicate-key", "dtype");
  ExpectError(R"({"__metadata__":{"k":"1","k":"2"}})", 0, "safetensors.duplicate-key", "\"k\"");
  ExpectError(R"({"__metadata__":{},"__metadata__":{}})", 0, "safetensors.duplicate-key");
}

TEST(SafetensorsReader, Metadata) {
  ExpectError(R"({"__metadata__":{"n":1}})", 0, "safetensors.bad-metadata", "\"n\"");
  ExpectError(R"({"__metadata__":{"n":{"deep":"x"}}})", 0, "safetensors.bad-metadata");
  ExpectError(R"({"__metadata__":["a"]})", 0, "safetensors.bad-metadata");
  ExpectError(R"({"__metadata__":"pt"})", 0, "safetensors.bad-metadata");
}

TEST(SafetensorsReader, TensorEntries) {
  ExpectError(OneTensor(R"("F32")"), 0, "safetensors.bad-tensor-entry", "\"t\"");
  ExpectError(OneTensor(R"([1,2])"), 0, "safetensors.bad-tensor-entry");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[1]})"), 4, "safetensors.bad-tensor-entry",
              "data_offsets");
  ExpectError(OneTensor(R"({"shape":[1],"data_offsets":[0,4]})"), 4,
              "safetensors.bad-tensor-entry", "dtype");
  ExpectError(OneTensor(R"({"dtype":"F128","shape":[1],"data_offsets":[0,16]})"), 16,
              "safetensors.bad-dtype", "F128");
  ExpectError(OneTensor(R"({"dtype":32,"shape":[1],"data_offsets":[0,4]})"), 4,
              "safetensors.bad-dtype");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), 4,
              "safetensors.bad-shape", "-1");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[1.0],"data_offsets":[0,4]})"), 4,
              "safetensors.bad-shape");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[[1]],"data_offsets":[0,4]})"), 4,
              "safetensors.bad-shape");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":"1","data_offsets":[0,4]})"), 4,
              "safetensors.bad-shape");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})"), 4,
              "safetensors.bad-offsets");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), 4,
              "safetensors.bad-offsets");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":[-4,0]})"), 4,
              "safetensors.bad-offsets");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[0],"data_offsets":[4,0]})"), 4,
              "safetensors.bad-offsets", "end is before");
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]})"),
              4, "safetensors.bad-shape");
}

TEST(SafetensorsReader, SizesAndOffsets) {
  ExpectError(OneTensor(R"({"dtype":"F32","shape":[2,3],"data_offsets":[0,20]})"), 20,
              "safetensors.size-mismatch", "24");
  ExpectError(OneTensor(R"({"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]})"),
              8, "safetensors.size-overflow");
  ExpectError(OneTensor(R"({"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]})"),
              8, "safetensors.size-overflow");
  // Does not start at 0.
  ExpectError(OneTensor(R"({"dtype":"U8","shape":[4],"data_offsets":[4,8]})"), 8,
              "safetensors.offsets-not-contiguous", "not covered");
  // A gap between two tensors: hidden bytes.
  ExpectError(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
              R"("b":{"dtype":"U8","shape":[4],"data_offsets":[6,10]}})",
              10, "safetensors.offsets-not-contiguous", "\"b\"");
  // Overlap: aliasing.
  ExpectError(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
              R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
              6, "safetensors.offsets-not-contiguous", "overlapping");
  // Trailing bytes no tensor owns, and a short buffer.
  ExpectError(OneTensor(R"({"dtype":"U8","shape":[4],"data_offsets":[0,4]})"), 9,
              "safetensors.buffer-size", "5 trailing bytes");
  ExpectError(OneTensor(R"({"dtype":"U8","shape":[4],"data_offsets":[0,4]})"), 3,
              "safetensors.buffer-size", "only 3");
}

TEST(SafetensorsReader, UnknownFieldsAreNotedNotFatal) {
  Result<SafetensorsFile> r = Read(MakeFile(
      OneTensor(R"({"dtype":"U8","extra":{"x":[1,[2,{"y":null}]]},"shape":[2],"data_offsets":[0,2]})"),
      2));
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_EQ(r->notes[0].code, "safetensors.unknown-field");
  EXPECT_NE(r->notes[0].message.find("extra"), std::string::npos);
  EXPECT_EQ(r->tensors[0].shape, (std::vector<int64_t>{2}));
  // Deep nesting inside an ignored value is bounded.
  std::string deep(200, '[');
  deep += std::string(200, ']');
  ExpectError(OneTensor(R"({"dtype":"U8","x":)" + deep + R"(,"shape":[2],"data_offsets":[0,2]})"),
              2, "safetensors.too-deep");
}

TEST(SafetensorsReader, TensorNamesInMessagesAreEscaped) {
  Result<SafetensorsFile> r =
      Read(MakeFile(R"({"a\u0000b\n":{"dtype":"X","shape":[],"data_offsets":[0,0]}})", 0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "safetensors.bad-dtype");
  EXPECT_EQ(r.error().message.find('\0'), std::string::npos);
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  EXPECT_NE(r.error().message.find("a\\x00b\\x0a"), std::string::npos) << r.error().message;
}

TEST(SafetensorsReader, LooksLike) {
  const std::string bytes = MakeFile(kValidHeader, kValidBuffer);
  EXPECT_TRUE(LooksLikeSafetensors(bytes, bytes.size()));
  EXPECT_FALSE(LooksLikeSafetensors(bytes.substr(0, 8), 8));
  EXPECT_FALSE(LooksLikeSafetensors(std::string("\x80\x02\x8a\x0al\xfc\x9c" "F\xf9 j", 12), 1000));
  EXPECT_FALSE(LooksLikeSafetensors(std::string("PK\x03\x04", 4) + std::string(20, 'x'), 1000));
  EXPECT_FALSE(LooksLikeSafetensors(MakeFile("{}", 0, 200'000'000), 1000));
  // Truncated but recognisable: ReadSafetensors gives the truncation error.
  EXPECT_TRUE(LooksLikeSafetensors(bytes.substr(0, 20), 20));
}

TEST(SafetensorsReader, CorpusFiles) {
  const fs::path corpus(PTLINT_CORPUS_DIR);
  if (!fs::exists(corpus)) GTEST_SKIP() << "no corpus";
  int read = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(corpus, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().extension() != ".safetensors") continue;
    Result<std::unique_ptr<ByteSource>> src = OpenFileByteSource(it->path().string());
    ASSERT_TRUE(src.ok());
    EXPECT_TRUE(LooksLikeSafetensors((*src)->View(0, 16), (*src)->size())) << it->path();
    Result<SafetensorsFile> r = ReadSafetensors(**src);
    ASSERT_TRUE(r.ok()) << it->path() << ": " << r.error().code << " " << r.error().message;
    EXPECT_FALSE(r->tensors.empty());
    ++read;
    if (it->path().filename() == "tiny.safetensors") {
      EXPECT_EQ(r->metadata.at("format"), "pt");
      EXPECT_EQ(r->tensors[0].name, "steps");
      EXPECT_EQ(r->tensors[0].dtype, "I64");
    }
    if (it->path().filename() == "malicious_import.safetensors") {
      // The reader passes metadata through untouched; rules judge it.
      EXPECT_NE(r->metadata.at("model_info").find("os.system"), std::string::npos);
    }
  }
  EXPECT_GE(read, 8);
}

}  // namespace
}  // namespace ptlint
