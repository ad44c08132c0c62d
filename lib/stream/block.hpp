// lib/stream/block.hpp: how a Stream computes: direct sliding sums or FFT overlap-save
// blocks, and the block length. One small function so that the cost model (lib/cost/)
// can take the choice over.
#pragma once

#include <cstddef>

#include <autoconv/types.hpp>

namespace autoconv::detail {

/// An overlap-save block length for a stream and its predicted cost.
struct StreamBlock {
  index_t F = 0;                 // transform length (0: none fits the memory limit)
  double cost_per_output = 0;    // fft::transform_cost units per output sample
  double bytes = 0;              // kernel spectrum + transform buffer + one input ring per channel
};

/// The transform length F minimising the predicted cost per output sample of
/// overlap-save blocks (F input samples give F - M + 1 outputs) for an M-tap kernel,
/// among fast lengths from ~2M up, within `memory_limit` bytes for `channels` rings.
StreamBlock stream_block_length(index_t M, std::size_t value_bytes, bool complex_data, index_t channels,
                                std::size_t memory_limit);

/// Predicted cost per output sample of direct sliding sums, in the same units.
double stream_direct_cost(index_t M, bool complex_data);

}  // namespace autoconv::detail
