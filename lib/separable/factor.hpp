// lib/separable/factor.hpp: is a kernel a sum of few outer products of 1-D kernels?
// Detection and factorisation for Method::Separable and the cost model.
#pragma once

#include <optional>
#include <vector>

#include <autoconv/types.hpp>

#include "core/value.hpp"

namespace autoconv::detail {

/// A kernel written as a sum of `terms` outer products of 1-D kernels:
///   K[m0, m1, ...] = sum_j f(j, 0)[m0] * f(j, 1)[m1] * ...
/// Every factor has the kernel's extent on its axis (length 1, value 1, on axes of
/// extent 1). The factors keep the order of the kernel they came from (correlation
/// order when given kc).
template <class T>
struct Factors {
  int terms = 0;
  Shape kernel;                     // the factored kernel's shape
  std::vector<std::vector<T>> f;    // f[term * rank + axis]

  int rank() const { return kernel.rank(); }
  const std::vector<T>& factor(int term, int axis) const {
    return f[static_cast<std::size_t>(term * kernel.rank() + axis)];
  }
  std::vector<T>& factor(int term, int axis) { return f[static_cast<std::size_t>(term * kernel.rank() + axis)]; }
};

/// The fewest terms r <= max_terms whose outer products sum to the kernel (C order)
/// within the tolerance below, or nothing when no such r is found.
///
/// Tolerance: ||K - sum_j outer(f_j)||_F <= tol = 8 * d * max(1, log2 n) * eps(T) * ||K||_F,
/// d = the number of axes of extent > 1, n = the number of taps. Why: a kernel held in T
/// that is mathematically separable carries, per tap, the rounding of its computation
/// (a product of d computed 1-D values, each a few ulps: ~(2d+1)u relative, u = eps/2),
/// and the factors found are themselves rounded to T before the check (d more roundings
/// per product): ||E||_F <= (3d+1) u ||K||_F, well inside 8 d eps ||K||_F; the
/// max(1, log2 n) factor covers kernels built by summation (a normalisation, a repeated
/// convolution, as the error bound of the methods allows log2 P). The factorisation
/// itself runs in long double (eps 1e-19), negligible for float and double. A relative
/// perturbation of 1e-3 stays far above it: for float, tol / ||K|| is 1e-4 only at
/// d * log2 n = 100 (e.g. 8 axes of 4096-tap kernels), 3.7e-5 for 19^3 and 3.4e-5 for 31^2.
/// The check is made on the reconstruction itself, so a factorisation is never accepted
/// on the strength of singular values alone; non-finite kernels are never factored.
///
/// How: d <= 1 is one term, the kernel itself. Otherwise, for each axis s of extent > 1,
/// a one-sided Jacobi SVD (long double) of the unfolding K_(s) (m_s x n/m_s) gives
/// K_(s) = sum_j sigma_j u_j v_j^T; the fewest r whose tail sqrt(sum_{j>=r} sigma_j^2) is
/// within tol are tried, each right factor v_j (a tensor over the other axes) made rank-1
/// by successive unfoldings (the leading singular pair of each unfolding in turn). So:
/// - 2-D: every rank r (the SVD is exact); rank 1 in any number of axes.
/// - N-D, r > 1: kernels sum_j a_j (x) B_j along some axis s whose B_j can be taken as
///   the (orthogonal) right singular vectors, each rank-1: e.g. a 2-D rank-r kernel times
///   a 1-D kernel on further axes. A general N-D CP rank r (e.g. the sum of two different
///   isotropic 3-D Gaussians) is not found and the kernel is reported as not separable
///   within max_terms (it still runs, by the other methods).
/// Complex kernels: the same, with a unitary (complex) Jacobi SVD: low rank included.
template <class T>
std::optional<Factors<T>> factor_kernel(const Shape& kernel_shape, const T* kernel_c_order, int max_terms);

/// Largest r factor_kernel can ever need for this shape: max over axes of extent > 1 of
/// min(m_s, n / m_s) (1 for a kernel with at most one such axis). Forced Method::Separable
/// factors with this as max_terms.
int separable_rank_bound(const Shape& kernel_shape);

/// True when the kernel has at least two axes of extent > 1. A kernel with one is
/// trivially "separable" but is already a 1-D problem: the cost model must not offer
/// Method::Separable for it (forced, it still runs, as one pass).
bool separable_candidate(const Shape& kernel_shape);

extern template std::optional<Factors<float>> factor_kernel(const Shape&, const float*, int);
extern template std::optional<Factors<double>> factor_kernel(const Shape&, const double*, int);
extern template std::optional<Factors<std::complex<float>>> factor_kernel(const Shape&, const std::complex<float>*, int);
extern template std::optional<Factors<std::complex<double>>> factor_kernel(const Shape&, const std::complex<double>*,
                                                                           int);

}  // namespace autoconv::detail
