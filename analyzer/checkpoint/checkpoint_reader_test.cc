#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/checkpoint/object_interpreter.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "analyzer/formats/zip_reader.h"

namespace ptlint {
namespace {

// Every read here also checks the object walk's dense-tensor shortcut
// against the generic walk (aborting on a difference), as debug builds do.
[[maybe_unused]] const bool kCrossCheckOn = (SetObjectWalkCrossCheck(true), true);

namespace fs = std::filesystem;

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileBytes(const fs::path& path, std::string_view bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

fs::path CorpusFile(const std::string& rel) { return fs::path(PTLINT_CORPUS_DIR) / rel; }

Checkpoint ReadBytes(std::string bytes, const std::string& path = "mem.pt") {
  MemoryByteSource source(std::move(bytes));
  return ReadCheckpointBytes(source, path);
}

bool HasProblem(const Checkpoint& cp, const std::string& code) {
  return std::any_of(cp.problems.begin(), cp.problems.end(),
                     [&](const ReaderProblem& p) { return p.code == code; });
}

const ReaderProblem* FindProblem(const Checkpoint& cp, const std::string& code) {
  for (const ReaderProblem& p : cp.problems) {
    if (p.code == code) return &p;
  }
  return nullptr;
}

std::string ProblemCodes(const Checkpoint& cp) {
  std::string out;
  for (const ReaderProblem& p : cp.problems) out += p.code + " (" + p.message + "); ";
  return out;
}

// ------------------------------------------------------------ a tiny zip writer
// Stored records only, like torch.save; enough to build malformed archives.
struct ZipRecord {
  std::string name;
  std::string bytes;
};

void PutLe(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string WriteZip(const std::vector<ZipRecord>& records) {
  std::string out, central;
  for (const ZipRecord& r : records) {
    uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(r.bytes.data()), r.bytes.size());
    uint64_t local = out.size();
    PutLe(out, 0x04034b50, 4);
    PutLe(out, 20, 2); PutLe(out, 0, 2); PutLe(out, 0, 2); PutLe(out, 0, 2); PutLe(out, 0, 2);
    PutLe(out, crc, 4); PutLe(out, r.bytes.size(), 4); PutLe(out, r.bytes.size(), 4);
    PutLe(out, r.name.size(), 2); PutLe(out, 0, 2);
    out += r.name;
    out += r.bytes;
    PutLe(central, 0x02014b50, 4);
    PutLe(central, 20, 2); PutLe(central, 20, 2); PutLe(central, 0, 2); PutLe(central, 0, 2);
    PutLe(central, 0, 2); PutLe(central, 0, 2);
    PutLe(central, crc, 4); PutLe(central, r.bytes.size(), 4); PutLe(central, r.bytes.size(), 4);
    PutLe(central, r.name.size(), 2); PutLe(central, 0, 2); PutLe(central, 0, 2);
    PutLe(central, 0, 2); PutLe(central, 0, 2); PutLe(central, 0, 4); PutLe(central, local, 4);
    central += r.name;
  }
  uint64_t cd_offset = out.size();
  out += central;
  PutLe(out, 0x06054b50, 4);
  PutLe(out, 0, 2); PutLe(out, 0, 2);
  PutLe(out, records.size(), 2); PutLe(out, records.size(), 2);
  PutLe(out, central.size(), 4); PutLe(out, cd_offset, 4); PutLe(out, 0, 2);
  return out;
}

// The records of a real torch.save file from the corpus, to edit.
std::vector<ZipRecord> CorpusZipRecords(const std::string& rel) {
  std::string bytes = ReadFileBytes(CorpusFile(rel));
  MemoryByteSource source(bytes);
  Result<ZipArchive> zip = ZipArchive::Open(source);
  std::vector<ZipRecord> records;
  if (!zip.ok()) {
    ADD_FAILURE() << "cannot open " << rel << ": " << zip.error().message;
    return records;
  }
  for (const ZipEntry& e : zip->entries()) {
    Result<std::string> data = zip->Read(e);
    if (!data.ok()) {
      ADD_FAILURE() << "cannot read " << e.name << ": " << data.error().message;
      continue;
    }
    records.push_back({e.name, *data});
  }
  return records;
}

std::string SafetensorsBytes(const std::string& header_json, size_t buffer_bytes) {
  std::string out;
  PutLe(out, header_json.size(), 8);
  out += header_json;
  out.append(buffer_bytes, '\0');
  return out;
}

// ------------------------------------------------------------ sniffing

TEST(SniffBytes, RecognisesEachKindByContent) {
  EXPECT_EQ(SniffBytes("", 0), Sniff::kEmpty);
  EXPECT_EQ(SniffBytes(std::string("PK\x03\x04rest", 8), 8), Sniff::kZip);
  EXPECT_EQ(SniffBytes(std::string("PK\x05\x06", 4) + std::string(18, '\0'), 22), Sniff::kZip);
  std::string legacy("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
  EXPECT_EQ(SniffBytes(legacy, legacy.size()), Sniff::kLegacyPickle);
  std::string tar(512, '\0');
  tar.replace(257, 5, "ustar");
  EXPECT_EQ(SniffBytes(tar, tar.size()), Sniff::kTar);
  std::string st = SafetensorsBytes("{\"__metadata__\":{\"format\":\"pt\"}}", 0);
  EXPECT_EQ(SniffBytes(st, st.size()), Sniff::kSafetensors);
  std::string index = "{\n  \"metadata\": {\"total_size\": 4},\n  \"weight_map\": {\"a\": \"s.safetensors\"}}";
  EXPECT_EQ(SniffBytes(index, index.size()), Sniff::kShardedIndexJson);
  std::string lfs =
      "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n";
  EXPECT_EQ(SniffBytes(lfs, lfs.size()), Sniff::kLfsPointer);
  EXPECT_EQ(SniffBytes("<!DOCTYPE html><html>", 21), Sniff::kHtml);
  EXPECT_EQ(SniffBytes("\n\n  <HTML><body>denied</body>", 29), Sniff::kHtml);
  std::string py = "# model\nimport torch\n\nclass Net(torch.nn.Module):\n    pass\n";
  EXPECT_EQ(SniffBytes(py, py.size()), Sniff::kPythonSource);
  std::string text = "hello, these are notes about the model\n";
  EXPECT_EQ(SniffBytes(text, text.size()), Sniff::kText);
  std::string binary("\xb9\x01\x02\xff\xfe\x00\x13\x37", 8);
  EXPECT_EQ(SniffBytes(binary, binary.size()), Sniff::kUnknownBinary);
  std::string proto2("\x80\x02}q\x00.", 6);
  EXPECT_EQ(SniffBytes(proto2, proto2.size()), Sniff::kPickle);
}

TEST(SniffBytes, Protocol0PickleNeedsToParse) {
  // A real protocol-0 pickle of {'a': 1} starts with '(' like some text does.
  std::string proto0 = "(dp0\nVa\np1\nI1\ns.";
  EXPECT_EQ(SniffBytes(proto0, proto0.size()), Sniff::kPickle);
  std::string text = "(this is a parenthetical remark in a text file)\n";
  EXPECT_EQ(SniffBytes(text, text.size()), Sniff::kText);
  std::string global = "cos\nsystem\n(S'echo hi'\ntR.";
  EXPECT_EQ(SniffBytes(global, global.size()), Sniff::kPickle);
  // Broken after a real GLOBAL: still a pickle (security must scan it).
  std::string broken = std::string("cbuiltins\nexec\n(X>") + std::string("\x00\x00\x00", 3) + "f = open(";
  EXPECT_EQ(SniffBytes(broken, broken.size()), Sniff::kPickle);
  std::string obj = "(cpty\nspawn\nS'id'\no.";
  EXPECT_EQ(SniffBytes(obj, obj.size()), Sniff::kPickle);
  // A 'c' line that is prose is not a GLOBAL.
  std::string prose = "cats are great\nsecond line of prose\nthird\n";
  EXPECT_EQ(SniffBytes(prose, prose.size()), Sniff::kText);
  std::string not_pickle("cmod\n\xf8\n", 7);
  EXPECT_NE(SniffBytes(not_pickle, not_pickle.size()), Sniff::kPickle);
}

TEST(SniffBytes, NamesAreStable) {
  EXPECT_STREQ(SniffName(Sniff::kLfsPointer), "lfs-pointer");
  EXPECT_STREQ(SniffName(Sniff::kShardedIndexJson), "sharded-index-json");
}

// ------------------------------------------------------------ not a checkpoint

TEST(ReadCheckpoint, LfsPointerNamesOidSizeAndFix) {
  Checkpoint cp = ReadBytes(
      "version https://git-lfs.github.com/spec/v1\n"
      "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
      "size 440473133\n");
  EXPECT_EQ(cp.format, ContainerFormat::kNotACheckpoint);
  const ReaderProblem* p = FindProblem(cp, "file.lfs-pointer");
  ASSERT_NE(p, nullptr) << ProblemCodes(cp);
  EXPECT_NE(p->message.find("sha256:4d7a2146"), std::string::npos) << p->message;
  EXPECT_NE(p->message.find("440473133 bytes"), std::string::npos) << p->message;
  EXPECT_NE(p->hint.find("git lfs pull"), std::string::npos);
  EXPECT_EQ(p->torch_error, "_pickle.UnpicklingError: invalid load key, 'v'.");
}

TEST(ReadCheckpoint, HtmlEmptyRandomEachHaveTheirOwnProblem) {
  Checkpoint html = ReadBytes("<!DOCTYPE html>\n<html><head><title>Sign in</title>");
  ASSERT_TRUE(HasProblem(html, "file.html")) << ProblemCodes(html);
  EXPECT_EQ(FindProblem(html, "file.html")->torch_error,
            "_pickle.UnpicklingError: invalid load key, '<'.");
  Checkpoint empty = ReadBytes("");
  ASSERT_TRUE(HasProblem(empty, "file.empty"));
  EXPECT_EQ(FindProblem(empty, "file.empty")->torch_error, "EOFError: Ran out of input");
  Checkpoint random = ReadBytes(std::string("\xb9\x13\x00\xff\x01\x02\x03\x04", 8));
  ASSERT_TRUE(HasProblem(random, "file.unknown-format")) << ProblemCodes(random);
  EXPECT_EQ(FindProblem(random, "file.unknown-format")->torch_error,
            "_pickle.UnpicklingError: invalid load key, '\\xb9'.");
  Checkpoint quote = ReadBytes(std::string("'\x01\x02\x03\xff\xfe", 6));
  EXPECT_EQ(quote.problems.at(0).torch_error, "_pickle.UnpicklingError: invalid load key, '\\x27'.");
  for (const Checkpoint* cp : {&html, &empty, &random}) {
    EXPECT_EQ(cp->format, ContainerFormat::kNotACheckpoint);
    EXPECT_EQ(cp->layout, Layout::kOther);
  }
}

TEST(ReadCheckpoint, NumpyObjectArrayPickleIsScannedOtherFormatsNamed) {
  Checkpoint object = ReadCheckpoint(CorpusFile("picklescan/data2/object_array.npy").string());
  EXPECT_EQ(object.format, ContainerFormat::kRawPickle) << ProblemCodes(object);
  EXPECT_TRUE(HasProblem(object, "file.numpy-object-array"));
  ASSERT_EQ(object.pickles.size(), 1u);
  EXPECT_FALSE(object.pickles[0].graph.globals.empty());  // numpy's reconstruct, at least
  Checkpoint ints = ReadCheckpoint(CorpusFile("picklescan/data2/int_array.npy").string());
  EXPECT_EQ(ints.format, ContainerFormat::kNotACheckpoint);
  EXPECT_TRUE(HasProblem(ints, "file.numpy-array")) << ProblemCodes(ints);
  // Found by the fuzzer: a header cut right after the magic.
  Checkpoint cut = ReadBytes(std::string("\x93NUMPY", 6));
  EXPECT_TRUE(HasProblem(cut, "file.numpy-array")) << ProblemCodes(cut);
  Checkpoint png = ReadCheckpoint(CorpusFile("picklescan/data/bad_pytorch.pt").string());
  const ReaderProblem* p = FindProblem(png, "file.other-format");
  ASSERT_NE(p, nullptr) << ProblemCodes(png);
  EXPECT_NE(p->message.find("PNG"), std::string::npos);
}

TEST(ReadCheckpoint, MissingFileIsAProblemNotACrash) {
  Checkpoint cp = ReadCheckpoint("/nonexistent/ptlint/h7/model.pt");
  ASSERT_FALSE(cp.problems.empty());
  EXPECT_EQ(cp.problems[0].severity, Severity::kError);
}

// ------------------------------------------------------------ torch zip

TEST(ReadCheckpoint, CorpusZipStateDictReads) {
  Checkpoint cp = ReadCheckpoint(CorpusFile("torch113/benign/tiny_state_dict_zip.pt").string());
  EXPECT_EQ(cp.format, ContainerFormat::kTorchZip) << ProblemCodes(cp);
  EXPECT_EQ(cp.layout, Layout::kStateDict);
  EXPECT_EQ(cp.records["version"], "3");
  EXPECT_FALSE(cp.archive_name.empty());
  EXPECT_FALSE(cp.tensors.empty());
  for (const StorageInfo& s : cp.storages) {
    ASSERT_TRUE(s.record_bytes.has_value()) << s.key;
    EXPECT_EQ(*s.record_bytes, s.numel * s.element_size) << s.key;
  }
  for (const ReaderProblem& p : cp.problems) EXPECT_NE(p.severity, Severity::kError) << p.message;
}

TEST(ReadCheckpoint, ZipMissingVersionAndTooNewVersion) {
  std::vector<ZipRecord> records = CorpusZipRecords("torch113/benign/tiny_state_dict_zip.pt");
  ASSERT_FALSE(records.empty());
  std::vector<ZipRecord> no_version;
  for (const ZipRecord& r : records) {
    if (r.name.size() < 8 || r.name.substr(r.name.size() - 8) != "/version") no_version.push_back(r);
  }
  ASSERT_EQ(no_version.size() + 1, records.size());
  Checkpoint missing = ReadBytes(WriteZip(no_version));
  const ReaderProblem* p = FindProblem(missing, "zip.missing-version");
  ASSERT_NE(p, nullptr) << ProblemCodes(missing);
  EXPECT_EQ(p->torch_error.rfind("RuntimeError: Expected hasRecord(\"version\") to be true", 0), 0u);

  std::vector<ZipRecord> v11 = records;
  for (ZipRecord& r : v11) {
    if (r.name.size() >= 8 && r.name.substr(r.name.size() - 8) == "/version") r.bytes = "11\n";
  }
  Checkpoint newer = ReadBytes(WriteZip(v11));
  p = FindProblem(newer, "zip.version-too-new");
  ASSERT_NE(p, nullptr) << ProblemCodes(newer);
  EXPECT_NE(p->torch_error.find("Attempted to read a PyTorch file with version 11, but the maximum "
                                "supported version for reading is 10."),
            std::string::npos);
  EXPECT_EQ(newer.records["version"], "11");
}

TEST(ReadCheckpoint, ZipMissingAndShortStorageRecords) {
  std::vector<ZipRecord> records = CorpusZipRecords("torch113/benign/tiny_state_dict_zip.pt");
  ASSERT_FALSE(records.empty());
  std::string folder = records[0].name.substr(0, records[0].name.find('/'));
  std::vector<ZipRecord> missing;
  for (const ZipRecord& r : records) {
    if (r.name != folder + "/data/0") missing.push_back(r);
  }
  Checkpoint cp = ReadBytes(WriteZip(missing));
  const ReaderProblem* p = FindProblem(cp, "zip.missing-record");
  ASSERT_NE(p, nullptr) << ProblemCodes(cp);
  EXPECT_EQ(p->torch_error, "RuntimeError: PytorchStreamReader failed locating file data/0: file not found");

  std::vector<ZipRecord> shorter = records;
  for (ZipRecord& r : shorter) {
    if (r.name == folder + "/data/0") r.bytes.resize(r.bytes.size() / 2);
  }
  cp = ReadBytes(WriteZip(shorter));
  p = FindProblem(cp, "storage.size-mismatch");
  ASSERT_NE(p, nullptr) << ProblemCodes(cp);
  EXPECT_NE(p->message.find("storage 0"), std::string::npos) << p->message;

  std::vector<ZipRecord> extra = records;
  extra.insert(extra.end() - 1, {folder + "/data/99", "xxxx"});
  cp = ReadBytes(WriteZip(extra));
  EXPECT_TRUE(HasProblem(cp, "zip.unreferenced-record")) << ProblemCodes(cp);

  // A storage record stored twice: a duplicate name, but both copies are the
  // referenced record, not an unreferenced one.
  std::vector<ZipRecord> twice = records;
  for (const ZipRecord& r : records) {
    if (r.name == folder + "/data/0") twice.insert(twice.end() - 1, r);
  }
  cp = ReadBytes(WriteZip(twice));
  EXPECT_TRUE(HasProblem(cp, "zip.duplicate-name")) << ProblemCodes(cp);
  EXPECT_FALSE(HasProblem(cp, "zip.unreferenced-record")) << ProblemCodes(cp);
}

TEST(ReadCheckpoint, ZipWithoutFolderOrDataPkl) {
  Checkpoint flat = ReadBytes(WriteZip({{"data.pkl", std::string("\x80\x02}q\x00.", 6)},
                                        {"version", "3\n"}}));
  const ReaderProblem* p = FindProblem(flat, "zip.no-folder");
  ASSERT_NE(p, nullptr) << ProblemCodes(flat);
  EXPECT_EQ(p->torch_error, "RuntimeError: file in archive is not in a subdirectory: data.pkl");

  Checkpoint npz = ReadBytes(WriteZip({{"arr/x.npy", "\x93NUMPY"}, {"arr/version", "3"}}));
  EXPECT_TRUE(HasProblem(npz, "zip.missing-record")) << ProblemCodes(npz);
  EXPECT_EQ(npz.format, ContainerFormat::kUnknown);
}

TEST(ReadCheckpoint, TruncatedZipSaysDownloadAgain) {
  std::string bytes = ReadFileBytes(CorpusFile("torch113/benign/tiny_state_dict_zip.pt"));
  ASSERT_GT(bytes.size(), 100u);
  for (size_t cut : {size_t{10}, bytes.size() / 2, bytes.size() - 5}) {
    SCOPED_TRACE(cut);
    Checkpoint cp = ReadBytes(bytes.substr(0, cut));
    EXPECT_EQ(cp.format, ContainerFormat::kTorchZip);
    ASSERT_FALSE(cp.problems.empty());
    EXPECT_EQ(cp.problems[0].severity, Severity::kError);
    EXPECT_NE(cp.problems[0].torch_error.find("PytorchStreamReader failed reading zip archive"),
              std::string::npos)
        << ProblemCodes(cp);
  }
}

// ------------------------------------------------------------ legacy

TEST(ReadCheckpoint, LegacyStreamReadsAndWalksStorages) {
  Checkpoint cp = ReadCheckpoint(CorpusFile("torch113/benign/tiny_state_dict_legacy.pt").string());
  EXPECT_EQ(cp.format, ContainerFormat::kLegacy) << ProblemCodes(cp);
  EXPECT_EQ(cp.layout, Layout::kStateDict);
  ASSERT_EQ(cp.pickles.size(), 5u);
  EXPECT_EQ(cp.pickles[3].record, "object");
  EXPECT_EQ(cp.records["legacy.protocol"], "1001");
  EXPECT_EQ(cp.records["legacy.little_endian"], "true");
  EXPECT_EQ(cp.records["legacy.type_sizes.long"], "4");
  EXPECT_FALSE(cp.storages.empty());
  for (const StorageInfo& s : cp.storages) {
    ASSERT_TRUE(s.record_bytes.has_value()) << s.key;
    EXPECT_EQ(*s.record_bytes, s.numel * s.element_size);
  }
  for (const ReaderProblem& p : cp.problems) EXPECT_NE(p.severity, Severity::kError) << p.message;
}

TEST(ReadCheckpoint, LegacyTruncatedAtEveryPickleBoundary) {
  std::string bytes = ReadFileBytes(CorpusFile("torch113/benign/tiny_state_dict_legacy.pt"));
  Checkpoint whole = ReadBytes(bytes);
  ASSERT_EQ(whole.pickles.size(), 5u) << ProblemCodes(whole);
  std::vector<uint64_t> cuts;
  for (const PickleStream& p : whole.pickles) {
    cuts.push_back(p.graph.end_offset);
    cuts.push_back(p.graph.end_offset - 1);  // inside the pickle, before STOP
  }
  cuts.push_back(whole.pickles.back().graph.end_offset + 4);  // inside a numel header
  cuts.push_back(bytes.size() - 1);                           // inside the last storage
  for (uint64_t cut : cuts) {
    if (cut >= bytes.size()) continue;
    SCOPED_TRACE("cut at " + std::to_string(cut));
    Checkpoint cp = ReadBytes(bytes.substr(0, cut));
    bool reported = std::any_of(cp.problems.begin(), cp.problems.end(), [](const ReaderProblem& p) {
      return p.severity == Severity::kError &&
             (p.code == "legacy.truncated" || p.code.rfind("pickle.", 0) == 0);
    });
    EXPECT_TRUE(reported) << ProblemCodes(cp);
  }
  // Trailing garbage after the last storage is a warning, and a pickle there is read.
  Checkpoint trailing = ReadBytes(bytes + std::string("\x80\x02" "cbuiltins\neval\n.", 17));
  EXPECT_TRUE(HasProblem(trailing, "legacy.trailing-bytes")) << ProblemCodes(trailing);
  bool saw_eval = false;
  for (const PickleStream& p : trailing.pickles) {
    for (const GlobalRef& g : p.graph.globals) saw_eval |= g.module == "builtins" && g.name == "eval";
  }
  EXPECT_TRUE(saw_eval);
}

TEST(ReadCheckpoint, LegacyBadProtocolUsesTorchText) {
  std::string bytes = ReadFileBytes(CorpusFile("torch113/benign/tiny_state_dict_legacy.pt"));
  // pickle #2 is 80 02 4d e9 03 2e (BININT2 1001) right after the 15-byte magic pickle.
  ASSERT_EQ(bytes.substr(15, 6), std::string("\x80\x02M\xe9\x03.", 6));
  bytes[18] = 0x04;  // 0x03e9 (1001) -> 0x0304 (772)
  Checkpoint cp = ReadBytes(bytes);
  const ReaderProblem* p = FindProblem(cp, "legacy.bad-protocol");
  ASSERT_NE(p, nullptr) << ProblemCodes(cp);
  EXPECT_EQ(p->torch_error, "RuntimeError: Invalid protocol version: 772");
}

TEST(ReadCheckpoint, InjectedLegacyPicklesAreAllRead) {
  for (const char* rel : {"torch113/injected_legacy/legacy_inject_magic_pickle.pt",
                          "torch113/injected_legacy/legacy_inject_main_pickle.pt"}) {
    SCOPED_TRACE(rel);
    Checkpoint cp = ReadCheckpoint(CorpusFile(rel).string());
    EXPECT_EQ(cp.format, ContainerFormat::kLegacy) << ProblemCodes(cp);
    EXPECT_EQ(cp.pickles.size(), 5u);
    bool in_globals = std::any_of(cp.globals.begin(), cp.globals.end(), [](const GlobalUse& g) {
      return g.module == "builtins" && g.name == "eval";
    });
    EXPECT_TRUE(in_globals);
  }
}

// ------------------------------------------------------------ legacy tar

std::string TarHeader(const std::string& name, const std::string& size_field) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  h.replace(100, 7, "0000644");
  h.replace(124, size_field.size(), size_field);
  h[156] = '0';
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  uint64_t sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<uint8_t>(h[i]);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06o", static_cast<unsigned>(sum));
  h.replace(148, 8, std::string(buf) + std::string("\0 ", 2));
  return h;
}

// tarfile.open raising ReadError (a bad first header, member data past the
// end) makes torch unpickle the file from byte 0 instead: not a tar then.
TEST(ReadCheckpoint, TarThatTarfileRejectsIsReadAsTorchFallsBack) {
  std::string tar = TarHeader("sys_info", "00000000x12") + std::string(1024, '\0');
  Checkpoint cp = ReadBytes(tar);
  EXPECT_NE(cp.format, ContainerFormat::kLegacyTar);
  EXPECT_TRUE(HasProblem(cp, "tar.rejected-by-tarfile")) << ProblemCodes(cp);
}

TEST(ReadCheckpoint, TarMemberPastTheEndAndBadChecksumFallBackToPickle) {
  std::string tar = TarHeader("pickle", "00000001000") + std::string(100, '\0');
  Checkpoint cp = ReadBytes(tar);
  EXPECT_TRUE(HasProblem(cp, "tar.rejected-by-tarfile")) << ProblemCodes(cp);
  EXPECT_NE(cp.format, ContainerFormat::kLegacyTar);
  std::string bad = TarHeader("pickle", "00000000006");
  bad[0] = 'q';  // checksum no longer matches
  cp = ReadBytes(bad + std::string("\x80\x02}q\x00.", 6) + std::string(1530, '\0'));
  EXPECT_TRUE(HasProblem(cp, "tar.rejected-by-tarfile")) << ProblemCodes(cp);
}

// Sets a header's checksum field from its bytes (the unsigned sum).
std::string Rechecksum(std::string h) {
  h.replace(148, 8, std::string(8, ' '));
  uint64_t sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += static_cast<uint8_t>(h[i]);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06o", static_cast<unsigned>(sum));
  h.replace(148, 8, std::string(buf) + std::string("\0 ", 2));
  return h;
}

std::string TarFile(const std::string& name, const std::string& data, char type = '0',
                    const std::string& link = {}, bool ustar = true) {
  char size[16];
  std::snprintf(size, sizeof size, "%011o", static_cast<unsigned>(data.size()));
  std::string h = TarHeader(name, size);
  h[156] = type;
  h.replace(157, link.size(), link);
  if (!ustar) h.replace(257, 8, std::string(8, '\0'));
  h = Rechecksum(h);
  std::string padded = data + std::string((512 - data.size() % 512) % 512, '\0');
  return h + padded;
}

const std::string kBenignPickle("\x80\x02}q\x00.", 6);
// (Literal split after \x02: a hex escape would swallow the "cb".)
const std::string kExecPickle("\x80\x02" "cbuiltins\nexec\nq\x00X\x04\x00\x00\x00passq\x01\x85q\x02Rq\x03.", 37);
const std::string kZeroPickle("\x80\x02K\x00.", 5);
const std::string kEmptyListPickle("\x80\x02]q\x00.", 6);

bool ScannedGlobal(const Checkpoint& cp, const std::string& module, const std::string& name) {
  for (const auto* list : {&cp.pickles, &cp.unread_pickles}) {
    for (const PickleStream& p : *list) {
      for (const GlobalRef& g : p.graph.globals) {
        if (g.module == module && g.name == name) return true;
      }
    }
  }
  return false;
}

std::string LegacyTarPrefix(bool ustar = true) {
  return TarFile("storages", kZeroPickle + kEmptyListPickle, '0', {}, ustar) +
         TarFile("tensors", kZeroPickle, '0', {}, ustar);
}

TEST(ReadCheckpoint, TarWithoutUstarMagicIsStillATar) {
  std::string tar = LegacyTarPrefix(false) + TarFile("pickle", kExecPickle, '0', {}, false) +
                    std::string(1024, '\0');
  Checkpoint cp = ReadBytes(tar);
  EXPECT_EQ(cp.format, ContainerFormat::kLegacyTar) << ProblemCodes(cp);
  EXPECT_TRUE(ScannedGlobal(cp, "builtins", "exec"));
}

TEST(ReadCheckpoint, TarDuplicateMemberLastOneIsTheOneTorchReads) {
  std::string tar = LegacyTarPrefix() + TarFile("pickle", kExecPickle) + TarFile("pickle", kBenignPickle) +
                    std::string(1024, '\0');
  Checkpoint cp = ReadBytes(tar);
  ASSERT_EQ(cp.format, ContainerFormat::kLegacyTar);
  EXPECT_TRUE(HasProblem(cp, "tar.duplicate-member")) << ProblemCodes(cp);
  const PickleStream* main = nullptr;
  for (const PickleStream& p : cp.pickles) {
    if (p.record == "pickle") main = &p;
  }
  ASSERT_NE(main, nullptr);
  EXPECT_TRUE(main->graph.globals.empty());  // the last copy, the benign one
  // and the first copy, which torch does not read, is still scanned
  EXPECT_TRUE(ScannedGlobal(cp, "builtins", "exec")) << ProblemCodes(cp);
}

TEST(ReadCheckpoint, TarLinksAndUnknownTypesReadLikeTarfile) {
  // A symlink with a size has no data blocks in tarfile: the member after
  // its header is the real `pickle`; a reader that skips the size misses it.
  std::string hidden = TarFile("decoy", kBenignPickle);
  char size[16];
  std::snprintf(size, sizeof size, "%011o", static_cast<unsigned>(hidden.size()));
  std::string link = TarHeader("link", size);
  link[156] = '2';
  link.replace(157, 5, "decoy");
  link = Rechecksum(link);
  std::string tar = LegacyTarPrefix() + link + TarFile("pickle", kExecPickle, 'Z') + std::string(1024, '\0');
  Checkpoint cp = ReadBytes(tar);
  ASSERT_EQ(cp.format, ContainerFormat::kLegacyTar) << ProblemCodes(cp);
  bool main_has_exec = false;
  for (const PickleStream& p : cp.pickles) {
    if (p.record == "pickle") main_has_exec = !p.graph.globals.empty();
  }
  EXPECT_TRUE(main_has_exec) << ProblemCodes(cp);
  // A hardlink named `pickle` reads the member it points to.
  tar = LegacyTarPrefix() + TarFile("payload.bin", kExecPickle) + TarFile("pickle", "", '1', "payload.bin") +
        std::string(1024, '\0');
  cp = ReadBytes(tar);
  EXPECT_TRUE(HasProblem(cp, "tar.link-member")) << ProblemCodes(cp);
  bool read_target = false;
  for (const PickleStream& p : cp.pickles) {
    if (p.record == "pickle") read_target = !p.graph.globals.empty();
  }
  EXPECT_TRUE(read_target);
}

TEST(ReadCheckpoint, TruncatedPickleMemberIsUnvouched) {
  std::string member = TarFile("pickle", kExecPickle);
  std::string tar = LegacyTarPrefix() + TarFile("sys_info", kBenignPickle) + member;
  // The last member's data is cut: tarfile lists it (its data is the last
  // thing in the file), torch's extractfile returns fewer bytes.
  tar = LegacyTarPrefix() + member.substr(0, 512) + kExecPickle.substr(0, 10);
  Checkpoint cp = ReadBytes(tar);
  bool unvouched = HasProblem(cp, "pickle.unvouched") || HasProblem(cp, "tar.rejected-by-tarfile");
  EXPECT_TRUE(unvouched) << ProblemCodes(cp);
}

TEST(ReadCheckpoint, TarNamedLikeAPickleScansTheFallbackReading) {
  // The first member's name is a protocol-0 pickle: torch reads the tar, but
  // falls back to unpickling byte 0 if extraction fails: both are scanned.
  std::string tar = TarFile("cbuiltins\nexec\n(S'pass'\ntR.", kBenignPickle) + LegacyTarPrefix() +
                    TarFile("pickle", kBenignPickle) + std::string(1024, '\0');
  Checkpoint cp = ReadBytes(tar);
  ASSERT_EQ(cp.format, ContainerFormat::kLegacyTar) << ProblemCodes(cp);
  EXPECT_TRUE(ScannedGlobal(cp, "builtins", "exec"));
}

TEST(ReadCheckpoint, TarMembersArePickledAndMissingOnesReported) {
  std::string pickle("\x80\x02}q\x00.", 6);
  std::string tar = TarHeader("pickle", "00000000006") + pickle + std::string(506, '\0') +
                    std::string(1024, '\0');
  Checkpoint cp = ReadBytes(tar);
  EXPECT_EQ(cp.format, ContainerFormat::kLegacyTar);
  EXPECT_TRUE(HasProblem(cp, "tar.missing-member")) << ProblemCodes(cp);
  ASSERT_EQ(cp.pickles.size(), 1u) << ProblemCodes(cp);
  EXPECT_EQ(cp.pickles[0].record, "pickle");
  EXPECT_TRUE(cp.pickles[0].graph.complete());
  EXPECT_EQ(cp.pickles[0].graph.start_offset, 512u);
}

// ------------------------------------------------------------ safetensors and indexes

TEST(ReadCheckpoint, ZipRecordsAreLookedUpLikeMiniz) {
  // Upper-case data.pkl is torch's data.pkl.
  std::vector<ZipRecord> records = {{"archive/DATA.PKL", kExecPickle}, {"archive/version", "3\n"}};
  Checkpoint cp = ReadBytes(WriteZip(records));
  ASSERT_EQ(cp.pickles.size(), 1u) << ProblemCodes(cp);
  EXPECT_EQ(cp.pickles[0].record, "archive/DATA.PKL");
  EXPECT_FALSE(HasProblem(cp, "zip.missing-record")) << ProblemCodes(cp);
  // Two copies of data.pkl: both are scanned, whichever torch takes.
  records = {{"archive/data.pkl", kBenignPickle}, {"archive/Data.pkl", kExecPickle},
             {"archive/version", "3\n"}};
  cp = ReadBytes(WriteZip(records));
  EXPECT_TRUE(HasProblem(cp, "zip.duplicate-data-pkl")) << ProblemCodes(cp);
  EXPECT_TRUE(ScannedGlobal(cp, "builtins", "exec"));
}

TEST(ZipArchive, FindLikeTorchFoldsCaseAndPicksTheMinizCopy) {
  std::vector<ZipRecord> records = {{"a/x", "1"}, {"a/DATA.pkl", "2"}, {"a/data.pkl", "3"}, {"a/y", "4"}};
  std::string bytes = WriteZip(records);
  MemoryByteSource source(bytes);
  Result<ZipArchive> zip = ZipArchive::Open(source);
  ASSERT_TRUE(zip.ok());
  const ZipEntry* e = zip->FindLikeTorch("a/data.pkl");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(zip->FindAllIgnoringCase("A/Data.PKL").size(), 2u);
  EXPECT_EQ(zip->FindLikeTorch("a/nothing"), nullptr);
}

TEST(ReadCheckpoint, SecondEndRecordInTheCommentIsReadToo) {
  // miniz takes the last end record in the file; a stricter reader the one
  // whose comment ends the file. Put a second directory (payload data.pkl)
  // behind an end record hidden in the comment of the real one.
  std::string benign = WriteZip({{"archive/data.pkl", kBenignPickle}, {"archive/version", "3\n"}});
  // Parse the benign archive's end record to rebuild it with a comment.
  size_t eocd = benign.rfind(std::string("PK\x05\x06", 4));
  std::string body = benign.substr(0, eocd);
  std::string payload_local;
  // The payload's local header goes right after the benign records.
  uint64_t payload_offset = static_cast<uint8_t>(benign[eocd + 16]) | (static_cast<uint8_t>(benign[eocd + 17]) << 8);
  uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(kExecPickle.data()), kExecPickle.size());
  std::string name = "archive/data.pkl";
  PutLe(payload_local, 0x04034b50, 4);
  PutLe(payload_local, 20, 2); PutLe(payload_local, 0, 2); PutLe(payload_local, 0, 2);
  PutLe(payload_local, 0, 2); PutLe(payload_local, 0, 2);
  PutLe(payload_local, crc, 4); PutLe(payload_local, kExecPickle.size(), 4);
  PutLe(payload_local, kExecPickle.size(), 4); PutLe(payload_local, name.size(), 2); PutLe(payload_local, 0, 2);
  payload_local += name + kExecPickle;
  std::string cd2;
  PutLe(cd2, 0x02014b50, 4);
  PutLe(cd2, 20, 2); PutLe(cd2, 20, 2); PutLe(cd2, 0, 2); PutLe(cd2, 0, 2); PutLe(cd2, 0, 2); PutLe(cd2, 0, 2);
  PutLe(cd2, crc, 4); PutLe(cd2, kExecPickle.size(), 4); PutLe(cd2, kExecPickle.size(), 4);
  PutLe(cd2, name.size(), 2); PutLe(cd2, 0, 2); PutLe(cd2, 0, 2); PutLe(cd2, 0, 2); PutLe(cd2, 0, 2);
  PutLe(cd2, 0, 4); PutLe(cd2, payload_offset, 4);
  cd2 += name;
  // The original central directory starts where the benign end record says.
  uint64_t cd1_offset = static_cast<uint8_t>(benign[eocd + 16]) | (static_cast<uint8_t>(benign[eocd + 17]) << 8);
  uint64_t cd1_size = static_cast<uint8_t>(benign[eocd + 12]) | (static_cast<uint8_t>(benign[eocd + 13]) << 8);
  std::string records_part = body.substr(0, cd1_offset);
  std::string cd1 = body.substr(cd1_offset, cd1_size);
  std::string out = records_part + payload_local;
  uint64_t cd2_offset = out.size();
  out += cd2;
  uint64_t new_cd1_offset = out.size();
  out += cd1;
  std::string fake_end;
  PutLe(fake_end, 0x06054b50, 4); PutLe(fake_end, 0, 2); PutLe(fake_end, 0, 2);
  PutLe(fake_end, 1, 2); PutLe(fake_end, 1, 2); PutLe(fake_end, cd2.size(), 4); PutLe(fake_end, cd2_offset, 4);
  PutLe(fake_end, 0, 2);
  std::string comment = fake_end + "xyz";
  PutLe(out, 0x06054b50, 4); PutLe(out, 0, 2); PutLe(out, 0, 2);
  PutLe(out, 2, 2); PutLe(out, 2, 2); PutLe(out, cd1.size(), 4); PutLe(out, new_cd1_offset, 4);
  PutLe(out, comment.size(), 2);
  out += comment;
  Checkpoint cp = ReadBytes(out);
  EXPECT_TRUE(ScannedGlobal(cp, "builtins", "exec")) << ProblemCodes(cp);
}

TEST(ReadCheckpoint, SafetensorsHeaderToTensors) {
  std::string st = SafetensorsBytes(
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
      20);
  // Pad the header (trailing spaces are allowed) to 0xb0 bytes: torch.load
  // then fails on the first byte, 0xb0, which is no pickle opcode.
  {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(st[i]);
    ASSERT_LT(n, 0xb0u);
    st.insert(8 + n, std::string(0xb0 - n, ' '));
    st[0] = static_cast<char>(0xb0);
  }
  Checkpoint cp = ReadBytes(st, "model.pt");
  EXPECT_EQ(cp.format, ContainerFormat::kSafetensors) << ProblemCodes(cp);
  EXPECT_EQ(cp.layout, Layout::kSafetensors);
  ASSERT_EQ(cp.tensors.size(), 2u);
  std::map<std::string, const TensorInfo*> by_name;
  for (const TensorInfo& t : cp.tensors) by_name[t.name] = &t;
  ASSERT_TRUE(by_name.count("w"));
  EXPECT_EQ(by_name["w"]->dtype, "bfloat16");
  EXPECT_EQ(by_name["w"]->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(by_name["w"]->stride, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(by_name["b"]->dtype, "float32");
  EXPECT_EQ(cp.records["safetensors.format"], "pt");
  const ReaderProblem* info = FindProblem(cp, "safetensors.not-for-torch-load");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->severity, Severity::kInfo);
  EXPECT_EQ(info->torch_error, "_pickle.UnpicklingError: invalid load key, '\\xb0'.");
}

TEST(ReadCheckpoint, SafetensorsWithoutFormatGetsTransformersText) {
  std::string st = SafetensorsBytes(
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
  Checkpoint cp = ReadBytes(st, "x.safetensors");
  const ReaderProblem* p = FindProblem(cp, "safetensors.bad-format-metadata");
  ASSERT_NE(p, nullptr) << ProblemCodes(cp);
  EXPECT_EQ(p->severity, Severity::kWarning);
  EXPECT_EQ(p->torch_error,
            "OSError: The safetensors archive passed at x.safetensors does not contain the valid "
            "metadata. Make sure you save your model with the `save_pretrained` method.");
}

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(PTLINT_BINARY_DIR) / "h7_index_test" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sub");
    WriteFileBytes(dir_ / "sub" / "a.safetensors",
                   SafetensorsBytes("{\"__metadata__\":{\"format\":\"pt\"},"
                                    "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                    "\"y\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}",
                                    12));
    WriteFileBytes(dir_ / "sub" / "b.safetensors",
                   SafetensorsBytes("{\"__metadata__\":{\"format\":\"pt\"},"
                                    "\"z\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                                    8));
    // A file a hostile index would like us to read.
    WriteFileBytes(dir_ / "secret.safetensors",
                   SafetensorsBytes("{\"s\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
  }
  Checkpoint ReadIndex(const std::string& json) {
    fs::path path = dir_ / "sub" / "model.safetensors.index.json";
    WriteFileBytes(path, json);
    return ReadCheckpoint(path.string());
  }
  fs::path dir_;
};

TEST_F(IndexTest, ConsistentIndexAggregatesShards) {
  Checkpoint cp = ReadIndex(
      R"({"metadata":{"total_size":20},"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors"}})");
  EXPECT_EQ(cp.format, ContainerFormat::kShardedIndex);
  EXPECT_EQ(cp.layout, Layout::kSharded);
  EXPECT_EQ(cp.tensors.size(), 3u);
  ASSERT_EQ(cp.shards.size(), 2u);
  EXPECT_EQ(cp.shards[0].file, "a.safetensors");
  EXPECT_EQ(cp.shards[0].tensors, (std::vector<std::string>{"x", "y"}));
  for (const ReaderProblem& p : cp.problems) {
    EXPECT_NE(p.severity, Severity::kError) << p.code << ": " << p.message;
    EXPECT_NE(p.code, "index.total-size-mismatch");
  }
}

TEST_F(IndexTest, TraversalIsReportedNotCountedButScannedOnItsOwn) {
  WriteFileBytes(dir_ / "evil.bin", kExecPickle);
  Checkpoint cp = ReadIndex(
      R"({"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors","s":"../secret.safetensors","t":"/etc/passwd","e":"../evil.bin"}})");
  int escapes = 0;
  for (const ReaderProblem& p : cp.problems) escapes += p.code == "index.shard-path-escapes";
  EXPECT_EQ(escapes, 3) << ProblemCodes(cp);
  // The file an escaping shard names is still scanned (as unread pickles).
  EXPECT_TRUE(ScannedGlobal(cp, "builtins", "exec"));
  for (const TensorInfo& t : cp.tensors) EXPECT_NE(t.name, "s");
  for (const ShardInfo& s : cp.shards) EXPECT_EQ(s.file.find(".."), std::string::npos);
}

TEST_F(IndexTest, MismatchesBetweenWeightMapAndShards) {
  Checkpoint cp = ReadIndex(
      R"({"metadata":{"total_size":999},"weight_map":{"x":"a.safetensors","lm_head.weight":"a.safetensors","z":"a.safetensors","q":"b.safetensors","w":"gone.safetensors"}})");
  EXPECT_TRUE(HasProblem(cp, "index.tensor-missing-from-shard")) << ProblemCodes(cp);  // lm_head.weight
  EXPECT_TRUE(HasProblem(cp, "index.tensor-not-in-weight-map")) << ProblemCodes(cp);   // y
  EXPECT_TRUE(HasProblem(cp, "index.tensor-in-wrong-shard")) << ProblemCodes(cp);      // z is in b
  const ReaderProblem* missing = FindProblem(cp, "index.missing-shard");
  ASSERT_NE(missing, nullptr) << ProblemCodes(cp);
  EXPECT_NE(missing->message.find("gone.safetensors"), std::string::npos);

  Checkpoint size = ReadIndex(
      R"({"metadata":{"total_size":999},"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors"}})");
  const ReaderProblem* total = FindProblem(size, "index.total-size-mismatch");
  ASSERT_NE(total, nullptr) << ProblemCodes(size);
  EXPECT_NE(total->message.find("20 bytes"), std::string::npos) << total->message;
}

TEST_F(IndexTest, TotalSizeBeyondAnyIntegerIsNotRecorded) {
  // Fuzzer find: 6.3e56 converted to uint64_t was undefined behaviour (UBSan).
  Checkpoint cp = ReadIndex(
      R"({"metadata":{"total_size":6.33333e56},"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors"}})");
  EXPECT_EQ(cp.records.count("index.total_size"), 0u);
  EXPECT_EQ(FindProblem(cp, "index.total-size-mismatch"), nullptr) << ProblemCodes(cp);
  Checkpoint fractional = ReadIndex(
      R"({"metadata":{"total_size":20.0},"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors"}})");
  EXPECT_EQ(fractional.records["index.total_size"], "20");
}

TEST_F(IndexTest, DuplicateTensorAcrossShards) {
  WriteFileBytes(dir_ / "sub" / "c.safetensors",
                 SafetensorsBytes("{\"__metadata__\":{\"format\":\"pt\"},"
                                  "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                                  8));
  Checkpoint cp = ReadIndex(
      R"({"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors","q":"c.safetensors"}})");
  const ReaderProblem* p = FindProblem(cp, "index.duplicate-tensor");
  ASSERT_NE(p, nullptr) << ProblemCodes(cp);
  EXPECT_NE(p->message.find("a.safetensors"), std::string::npos);
  EXPECT_NE(p->message.find("c.safetensors"), std::string::npos);
}

TEST_F(IndexTest, BrokenJsonIsAProblem) {
  Checkpoint cp = ReadIndex("{\"weight_map\": {\"x\": ");
  EXPECT_FALSE(cp.problems.empty());
  EXPECT_EQ(cp.format, ContainerFormat::kShardedIndex);
}

// ------------------------------------------------------------ raw pickles and DCP

TEST(ReadCheckpoint, BarePickleNamedDistcpIsARawPickle) {
  for (const char* rel : {"ext_gap/__0_0.distcp", "ext_gap/.metadata", "ext_gap/optimizer.pt.part"}) {
    SCOPED_TRACE(rel);
    Checkpoint cp = ReadCheckpoint(CorpusFile(rel).string());
    EXPECT_EQ(cp.format, ContainerFormat::kRawPickle) << ProblemCodes(cp);
    ASSERT_FALSE(cp.pickles.empty());
    bool eval = false;
    for (const GlobalRef& g : cp.pickles[0].graph.globals) eval |= g.module == "builtins" && g.name == "eval";
    EXPECT_TRUE(eval);
  }
}

TEST(ReadCheckpoint, StackedRawPicklesAreAllRead) {
  std::string two = std::string("\x80\x02}q\x00.", 6) + std::string("\x80\x02" "cos\nsystem\n.", 14);
  Checkpoint cp = ReadBytes(two);
  EXPECT_EQ(cp.format, ContainerFormat::kRawPickle);
  ASSERT_EQ(cp.pickles.size(), 2u) << ProblemCodes(cp);
  ASSERT_EQ(cp.pickles[1].graph.globals.size(), 1u);
  EXPECT_EQ(cp.pickles[1].graph.globals[0].module, "os");
  EXPECT_EQ(cp.pickles[1].graph.globals[0].offset, 8u);
}

// ------------------------------------------------------------ real fixtures (manifest.json)

// Problem code the reader must give for each manifest `error` value.
const std::map<std::string, std::string>& ExpectedProblemForError() {
  static const std::map<std::string, std::string> kCodes = {
      {"lfs-pointer", "file.lfs-pointer"},
      {"html", "file.html"},
      {"empty", "file.empty"},
      {"unknown-binary", "file.unknown-format"},
      {"missing-record", "zip.missing-record"},
      {"missing-version", "zip.missing-version"},
      {"storage-size-mismatch", "storage.size-mismatch"},
      {"safetensors-as-pickle", "safetensors.not-for-torch-load"},
      {"index-missing-tensor", "index.tensor-missing-from-shard"},
      {"index-extra-tensor", "index.tensor-not-in-weight-map"},
      {"index-duplicate-tensor", "index.duplicate-tensor"},
      {"index-total-size", "index.total-size-mismatch"},
      {"index-path-traversal", "index.shard-path-escapes"},
  };
  return kCodes;
}

TEST(Fixtures, EveryFixtureMatchesTorchGroundTruth) {
  fs::path dir(PTLINT_FIXTURE_DIR);
  std::ifstream in(dir / "manifest.json");
  ASSERT_TRUE(in.good()) << "no fixtures: run tests/make_fixtures.py " << dir;
  nlohmann::json manifest = nlohmann::json::parse(in);
  int checked = 0;
  for (const nlohmann::json& fx : manifest.at("fixtures")) {
    std::string rel = fx.at("path").get<std::string>();
    SCOPED_TRACE(rel);
    Checkpoint cp = ReadCheckpoint((dir / rel).string());
    ++checked;
    EXPECT_EQ(ContainerFormatName(cp.format), fx.at("format").get<std::string>()) << ProblemCodes(cp);
    EXPECT_EQ(LayoutName(cp.layout), fx.at("layout").get<std::string>()) << ProblemCodes(cp);

    // TorchScript tensor names are checked in their own test below.
    bool torchscript = cp.format == ContainerFormat::kTorchScript;
    std::map<std::string, const TensorInfo*> got;
    for (const TensorInfo& t : cp.tensors) got[t.name] = &t;
    std::set<std::string> want_names;
    for (const nlohmann::json& t : fx.at("tensors")) {
      std::string name = t.at("name").get<std::string>();
      want_names.insert(name);
      auto it = got.find(name);
      if (torchscript) continue;
      if (it == got.end()) {
        ADD_FAILURE() << "tensor " << name << " not found";
        continue;
      }
      EXPECT_EQ(it->second->dtype, t.at("dtype").get<std::string>()) << name;
      EXPECT_EQ(it->second->shape, t.at("shape").get<std::vector<int64_t>>()) << name;
      EXPECT_EQ(it->second->location, t.at("device").get<std::string>()) << name;
    }
    if (torchscript) {
      EXPECT_EQ(got.size(), want_names.size());
    } else {
      for (const auto& [name, t] : got) EXPECT_TRUE(want_names.count(name)) << "unexpected tensor " << name;
    }

    if (fx.contains("shards") && fx["shards"].is_object()) {
      std::map<std::string, std::set<std::string>> want, have;
      for (auto it = fx["shards"].begin(); it != fx["shards"].end(); ++it) {
        for (const auto& n : it.value()) want[it.key()].insert(n.get<std::string>());
      }
      for (const ShardInfo& s : cp.shards) have[s.file].insert(s.tensors.begin(), s.tensors.end());
      EXPECT_EQ(have, want);
    }

    const nlohmann::json& error = fx.at("error");
    if (error.is_null()) {
      for (const ReaderProblem& p : cp.problems) {
        EXPECT_NE(p.severity, Severity::kError) << p.code << ": " << p.message;
      }
      continue;
    }
    std::string error_kind = error.get<std::string>();
    if (error_kind == "truncated-zip") {
      ASSERT_FALSE(cp.problems.empty());
      EXPECT_EQ(cp.problems[0].code.rfind("zip.", 0), 0u) << ProblemCodes(cp);
    } else {
      auto code = ExpectedProblemForError().find(error_kind);
      ASSERT_NE(code, ExpectedProblemForError().end()) << "unmapped error kind " << error_kind;
      EXPECT_TRUE(HasProblem(cp, code->second)) << "want " << code->second << ", got " << ProblemCodes(cp);
    }
    if (fx.at("torch_error").is_string()) {
      std::string want = fx["torch_error"].get<std::string>();
      bool found = std::any_of(cp.problems.begin(), cp.problems.end(), [&](const ReaderProblem& p) {
        return !p.torch_error.empty() && p.torch_error.find(want) != std::string::npos;
      });
      EXPECT_TRUE(found) << "no problem carries torch's error: " << want;
    }
  }
  EXPECT_GE(checked, 50);
}

}  // namespace
}  // namespace ptlint

namespace ptlint {
namespace {

nlohmann::json FixtureEntry(const std::string& rel) {
  std::ifstream in(fs::path(PTLINT_FIXTURE_DIR) / "manifest.json");
  if (!in.good()) return nullptr;
  nlohmann::json manifest = nlohmann::json::parse(in);
  for (const nlohmann::json& fx : manifest.at("fixtures")) {
    if (fx.at("path") == rel) return fx;
  }
  return nullptr;
}

TEST(Fixtures, TorchScriptArchiveRecordsCodeAndDebugPickles) {
  fs::path path = fs::path(PTLINT_FIXTURE_DIR) / "torchscript/scripted.pt";
  ASSERT_TRUE(fs::exists(path));
  Checkpoint cp = ReadCheckpoint(path.string());
  EXPECT_EQ(cp.format, ContainerFormat::kTorchScript) << ProblemCodes(cp);
  EXPECT_EQ(cp.layout, Layout::kTorchScript);
  EXPECT_EQ(cp.records["version"], "3");
  int code = 0, debug = 0;
  for (const std::string& r : cp.torchscript_code) code += r.find("/code/") != std::string::npos;
  for (const PickleStream& p : cp.pickles) {
    if (p.record.size() > 10 && p.record.substr(p.record.size() - 10) == ".debug_pkl") {
      ++debug;
      EXPECT_TRUE(p.graph.complete()) << p.record;  // inflated (deflate) and parsed
    }
  }
  EXPECT_EQ(code, 10);
  EXPECT_EQ(debug, 5);
  bool constants = std::any_of(cp.pickles.begin(), cp.pickles.end(), [](const PickleStream& p) {
    return p.record.find("constants.pkl") != std::string::npos;
  });
  EXPECT_TRUE(constants);
}

// The ObjectInterpreter names TorchScript attributes; the manifest wants the
// module-path names torch.jit.load(...).state_dict() gives.
TEST(Fixtures, TorchScriptTensorsNamedLikeTheStateDict) {
  nlohmann::json fx = FixtureEntry("torchscript/scripted.pt");
  ASSERT_FALSE(fx.is_null());
  Checkpoint cp = ReadCheckpoint((fs::path(PTLINT_FIXTURE_DIR) / "torchscript/scripted.pt").string());
  std::set<std::string> got, want;
  for (const TensorInfo& t : cp.tensors) got.insert(t.name);
  for (const nlohmann::json& t : fx.at("tensors")) want.insert(t.at("name").get<std::string>());
  EXPECT_EQ(got, want);
}

TEST(Fixtures, LegacyTarTensorsViewsAndTies) {
  Checkpoint cp = ReadCheckpoint((fs::path(PTLINT_FIXTURE_DIR) / "legacy/legacy_tar.pt").string());
  EXPECT_EQ(cp.format, ContainerFormat::kLegacyTar) << ProblemCodes(cp);
  EXPECT_EQ(cp.record_names, (std::vector<std::string>{"sys_info", "pickle", "tensors", "storages"}));
  std::map<std::string, const TensorInfo*> by_name;
  for (const TensorInfo& t : cp.tensors) by_name[t.name] = &t;
  ASSERT_TRUE(by_name.count("fc.weight_row1"));
  EXPECT_EQ(by_name["fc.weight_row1"]->shape, (std::vector<int64_t>{4}));
  ASSERT_EQ(cp.tied_groups.size(), 1u);
  std::vector<std::string> tied = cp.tied_groups[0];
  std::sort(tied.begin(), tied.end());
  EXPECT_EQ(tied, (std::vector<std::string>{"fc.weight", "fc.weight_row1"}));
  for (const StorageInfo& s : cp.storages) {
    ASSERT_TRUE(s.record_bytes.has_value()) << s.key;
    EXPECT_EQ(*s.record_bytes, s.numel * s.element_size);
  }
}

TEST(Fixtures, DistributedCheckpointFolderReadsMetadataAndShards) {
  fs::path folder = fs::path(PTLINT_FIXTURE_DIR) / "dcp/checkpoint";
  Checkpoint cp = ReadCheckpoint(folder.string());
  EXPECT_EQ(cp.format, ContainerFormat::kDistributedCheckpoint) << ProblemCodes(cp);
  ASSERT_EQ(cp.shards.size(), 1u);
  EXPECT_EQ(cp.shards[0].file, "__0_0.distcp");
  // .metadata plus one data.pkl per torch.save'd tensor in the shard.
  int shard_pickles = 0;
  for (const PickleStream& p : cp.pickles) {
    if (p.record.find("__0_0.distcp@") == 0) {
      ++shard_pickles;
      EXPECT_TRUE(p.graph.complete()) << p.record;
      EXPECT_FALSE(p.graph.globals.empty()) << p.record;
    }
  }
  EXPECT_GE(shard_pickles, static_cast<int>(cp.tensors.size()));
}

}  // namespace
}  // namespace ptlint
