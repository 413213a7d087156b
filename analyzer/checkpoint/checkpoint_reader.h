// ReadCheckpoint: recognises a checkpoint by its bytes (never by its file
// extension), reads its container, runs every pickle in it through the
// PickleMachine and interprets the objects (ObjectInterpreter) into a
// Checkpoint.
//
// It never fails: whatever is wrong with the input ends up in
// Checkpoint::problems with a precise diagnosis (LFS pointer, HTML page,
// truncated zip, missing record, storage size mismatch, ...).
#ifndef PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_READER_H_
#define PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_READER_H_

#include <string>
#include <string_view>

#include "analyzer/support/byte_source.h"
#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/formats/pickle_machine.h"
#include "analyzer/formats/zip_reader.h"

namespace ptlint {

struct ReadOptions {
  PickleLimits pickle_limits;
  ZipLimits zip_limits;
  // Pickle bytes kept in the model (PickleStream::bytes) across one read.
  uint64_t max_kept_pickle_bytes = 64ull << 20;
};

// `path` may be a file, a sharded index (*.index.json) or a
// distributed-checkpoint folder (containing `.metadata`).
Checkpoint ReadCheckpoint(const std::string& path, const ReadOptions& options = {});

// Reads from bytes already in memory (tests, fuzzing). `path` is used only
// for messages.
Checkpoint ReadCheckpointBytes(const ByteSource& source, const std::string& path,
                               const ReadOptions& options = {});

// What the first bytes of a file say it is. Used by the CLI to tell sources
// from checkpoints by content.
enum class Sniff {
  kZip, kLegacyPickle, kPickle, kTar, kSafetensors, kShardedIndexJson,
  kLfsPointer, kHtml, kEmpty, kPythonSource, kText, kUnknownBinary,
};
Sniff SniffBytes(std::string_view head, uint64_t file_size);
const char* SniffName(Sniff sniff);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_READER_H_
