// libFuzzer target for the GGUF reader: parses the input from memory (no file I/O), then
// summarises it and walks the tensors. Only dsinfer::Error may escape the parser; anything
// else (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto file = dsinfer::gguf::GgufFile::open_memory("fuzz.gguf", data, size);
    const auto summary = dsinfer::gguf::summarize(*file);
    // Touch every tensor's first and last byte: they must lie inside the input.
    uint64_t sum = summary.tensor_count;
    for (const auto& t : file->tensors()) {
      if (t.n_bytes > 0) sum += t.data[0] + t.data[t.n_bytes - 1];
      sum += static_cast<uint64_t>(t.rows());
    }
    for (const auto& [key, value] : file->metadata().entries()) sum += key.size();
    volatile uint64_t sink = sum;
    (void)sink;
  } catch (const dsinfer::Error& e) {
    if (e.what()[0] == '\0') __builtin_trap();  // every error says something
  }
  return 0;
}
