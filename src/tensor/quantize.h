// Conversions between float rows and GGUF tensor types: dequantize_row / quantize_row for every
// type dsinfer computes, and the fast activation quantisers matmul kernels call on every forward.
// Typed per-format entry points (one block type each) are in tensor/quant_rows.h.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/dtype.h"
#include "tensor/quant_blocks.h"

namespace dsinfer::tensor {

// True when dequantize_row / quantize_row accept `type`.
bool can_dequantize(DType type);
bool can_quantize(DType type);

// "F32, F16, BF16, Q4_0, ..." — the types dequantize_row (or quantize_row) accepts.
std::string dequantizable_types_text();
std::string quantizable_types_text();

// Throws Error(kUnsupported) "tensor type IQ2_XXS is not supported (supported: ...)" unless
// can_dequantize(type). Model loaders call it once per tensor before binding weights.
void require_dequantizable(DType type);
// Throws Error(kUnsupported) unless can_quantize(type).
void require_quantizable(DType type);

// Throws Error(kInvalidInput) unless n >= 0 and n is a multiple of the type's block size.
void require_row_length(DType type, int64_t n);

// dst[0..n) = the float values of one row of `n` elements stored in `type` at `src`
// (row_bytes(dtype_info(type), n) bytes, no alignment needed).
// Bit-exact with the GGUF reference definition of each format (each product and sum rounded to
// float in the reference's order; no FMA contraction). Throws Error(kUnsupported) for types that
// cannot be converted and Error(kInvalidInput) when n is not a multiple of the block size.
// Thread-safe (no shared state).
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

// Encodes src[0..n) as `type` into dst (row_bytes(dtype_info(type), n) bytes), with the
// reference's rules for model files: F16/BF16 round to nearest even; Q8_0 d = amax/127 with
// round-half-away; Q4_0/Q5_0 scale from the signed max-abs element (d = max/-8, max/-16);
// Q4_1/Q5_1 min/max; K types the reference's scale search (make_qkx2 / make_qx style), so files
// come out byte-identical to the reference's in all but rare float-contraction ties.
// Supported: the types whose row in tensor/dtype.cpp has a quantiser (quantizable_types_text()).
// Throws like dequantize_row. Thread-safe.
void quantize_row(DType type, const float* src, void* dst, int64_t n);

// quantize_row over n_rows consecutive rows of n_per_row floats (dst rows tightly packed).
void quantize_rows(DType type, const float* src, void* dst, int64_t n_rows, int64_t n_per_row);

// ---- Activations (hot path: kernels call these on every matmul) ----
// Each has an AVX2 path chosen once from CPUID and a scalar path; both give identical bytes.
// Preconditions (checked, Error(kInvalidInput)): n a multiple of 32 (Q8_0/Q8_1) or 256 (Q8_K).

// x -> Q8_0 blocks as the reference's x86 matmul does: d = amax/127 (stored as fp16),
// q = round_half_even(x * (127/amax)). Used with Q8_0, Q4_0, Q5_0 weights.
void quantize_act_q8_0(const float* x, BlockQ8_0* y, int64_t n);
// As quantize_act_q8_0 plus s = fp16(d * sum(q)). Used with Q4_1, Q5_1 weights.
void quantize_act_q8_1(const float* x, BlockQ8_1* y, int64_t n);
// x -> Q8_K blocks (reference rule): the element of largest |x| (first one) sets
// iscale = -127/max, q = min(127, round_half_even(iscale*x)), d = 1/iscale (float),
// bsums = sums of 16 consecutive q. Used with Q2_K..Q6_K weights.
void quantize_act_q8_k(const float* x, BlockQ8_K* y, int64_t n);

// The scalar variants (tests compare them with the dispatched ones; never faster).
void quantize_act_q8_0_scalar(const float* x, BlockQ8_0* y, int64_t n);
void quantize_act_q8_1_scalar(const float* x, BlockQ8_1* y, int64_t n);
void quantize_act_q8_k_scalar(const float* x, BlockQ8_K* y, int64_t n);
// True when the AVX2 variants run on this CPU (decided once; thread-safe).
bool quantize_act_uses_avx2();

// ---- 16-bit float rows (F16C / AVX2 when available, exact either way) ----
void fp16_to_float_row(const fp16_t* src, float* dst, int64_t n);
void float_to_fp16_row(const float* src, fp16_t* dst, int64_t n);
void bf16_to_float_row(const bf16_t* src, float* dst, int64_t n);
void float_to_bf16_row(const float* src, bf16_t* dst, int64_t n);

}  // namespace dsinfer::tensor
