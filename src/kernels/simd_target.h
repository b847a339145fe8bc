// Function attributes for the hand-vectorised variants of the non-matmul kernels: each variant is
// compiled for its own target inside a portable build, and the scalar reference is kept free of
// auto-vectorisation so that it really is the scalar baseline.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#define DSINFER_HAVE_X86 1
#define DSINFER_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#else
#define DSINFER_HAVE_X86 0
#define DSINFER_TARGET_AVX2
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define DSINFER_SCALAR_REFERENCE __attribute__((optimize("no-tree-vectorize")))
#else
#define DSINFER_SCALAR_REFERENCE
#endif
