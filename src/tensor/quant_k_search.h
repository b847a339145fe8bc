// The K types' sub-block scale searches (internal to the tensor layer): the reference's fits,
// one sub-block at a time (scalar) or eight at once in AVX2 lanes with every lane doing the
// scalar's float operations in the scalar's order, so both give identical bytes.
#pragma once

#include <cstdint>

namespace dsinfer::tensor::detail {

// NOTE: asymmetric sub-block fit (the reference's make_qkx2_quants). x ~ scale * L + min with
// L in [0, nmax] and min <= 0. Start from the min/max grid, then try nstep+1 grids with
// iscale = (nmax + rmin + rdelta*is) / (max - min); for each, the weighted least-squares
// scale/min for those L (min clamped to <= 0), keeping the lowest weighted error (squared, or
// absolute with use_mad); a better fit also moves the min later grids start from. Returns the
// scale; *neg_min = -min (>= 0). n <= 32.
float fit_scale_min(int n, int nmax, const float* x, const float* w, uint8_t* L, float* neg_min,
                    float rmin, float rdelta, int nstep, bool use_mad);

// NOTE: symmetric sub-block fit with weights x^2 (the reference's make_qx_quants, rmse_type 1).
// L stores l + nmax, l in [-nmax, nmax-1]. Start from iscale = -nmax/max (max the signed
// first largest-|x| element), take the least-squares scale sum(w x l)/sum(w l^2), then try
// iscale = -(nmax + 0.1*is)/max for is = -9..9, keeping the grid that maximises
// (sum w x l)^2 / sum w l^2. Returns the scale (0 for an all-zero sub-block). n <= 32.
float fit_symmetric_scale(int n, int nmax, const float* x, int8_t* L);

// fit_scale_min (squared error) over the 8 sub-blocks of 32 of one super-block: x, w and L are
// 256 long, scales/neg_mins 8. Uses AVX2 lanes when `allow_simd` and the CPU has AVX2.
void fit_scale_min_8x32(const float* x, const float* w, int nmax, float rmin, float rdelta,
                        int nstep, uint8_t* L, float* scales, float* neg_mins,
                        bool allow_simd = true);

// fit_symmetric_scale over the 16 sub-blocks of 16 of one super-block: x and L 256 long,
// scales 16. Uses AVX2 lanes when `allow_simd` and the CPU has AVX2.
void fit_symmetric_16x16(const float* x, int nmax, int8_t* L, float* scales,
                         bool allow_simd = true);

}  // namespace dsinfer::tensor::detail
