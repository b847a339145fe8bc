// Sequence bookkeeping: construction and cached chain hashes of full blocks.
#include "engine/sequence.h"

#include <span>

#include "engine/kv_block_allocator.h"

namespace dsinfer::engine {

Sequence::Sequence(RequestId id_in, uint64_t arrival_in, Request request_in, Sampler sampler_in,
                   EventSink sink_in)
    : id(id_in),
      arrival(arrival_in),
      request(std::move(request_in)),
      sampler(std::move(sampler_in)),
      sink(std::move(sink_in)),
      stop(request.stop) {
  tokens = std::move(request.prompt_tokens);
  request.prompt_tokens.clear();
  prompt_len = static_cast<int64_t>(tokens.size());
  sampler.add_prompt_tokens(tokens);
}

const std::vector<BlockHash>& Sequence::block_hashes_upto(int64_t n_blocks, int64_t block_size,
                                                          const BlockHasher& hasher) {
  while (static_cast<int64_t>(block_hashes.size()) < n_blocks) {
    const size_t i = block_hashes.size();
    const BlockHash parent = i == 0 ? hasher.root() : block_hashes[i - 1];
    std::span<const TokenId> block(tokens.data() + i * static_cast<size_t>(block_size),
                                   static_cast<size_t>(block_size));
    block_hashes.push_back(hasher.chain(parent, block));
  }
  return block_hashes;
}

}  // namespace dsinfer::engine
