// GGUF v3 writer, streaming tensor by tensor (memory stays small for multi-GB files).
// Used by `make-model` and tests.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/gguf_value.h"
#include "tensor/dtype.h"

namespace dsinfer::gguf {

struct TensorDecl {
  std::string name;
  tensor::DType type;
  std::vector<int64_t> shape;  // GGUF order (shape[0] innermost)
  uint64_t n_bytes() const;
};

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t alignment = 32) : alignment_(alignment) {}

  Metadata& metadata() { return metadata_; }
  void add_tensor(TensorDecl decl);
  const std::vector<TensorDecl>& tensors() const { return tensors_; }

  // Writes the file: header, metadata, tensor table, then each tensor's bytes as produced by
  // `produce(index, decl, out)` (which must fill exactly decl.n_bytes() bytes), in order.
  // Writes to PATH.tmp and renames, so a failed write leaves no partial file.
  using Producer = std::function<void(size_t, const TensorDecl&, std::vector<uint8_t>&)>;
  void write(const std::string& path, const Producer& produce) const;

 private:
  uint32_t alignment_;
  Metadata metadata_;
  std::vector<TensorDecl> tensors_;
};

}  // namespace dsinfer::gguf
