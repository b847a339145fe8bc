// Parsing of one GGUF image (header, metadata, tensor table, data layout checks) from bytes.
// Internal to the gguf layer: GgufFile::open / open_memory build on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_value.h"

namespace dsinfer::gguf {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian uint32
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
constexpr int kMaxArrayNesting = 16;

struct ParsedImage {
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t data_start = 0;  // absolute offset of the data section
  Metadata metadata;
  std::vector<TensorInfo> tensors;      // data pointers set into the image
  std::vector<uint64_t> info_offsets;   // file offset of each tensor's table entry
  std::vector<uint64_t> value_offsets;  // file offset of each metadata value (entry order)
};

// Parses and validates the GGUF image `data[0, size)`. `name` (the file path) is used in every
// error: Error(kBadFile) "NAME: offset N: reason". `file_index` is stored in each TensorInfo.
// Never reads outside the image; every count and length is checked against the remaining bytes
// before anything is allocated.
ParsedImage parse_image(const std::string& name, const uint8_t* data, size_t size, int file_index);

}  // namespace dsinfer::gguf
