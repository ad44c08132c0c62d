// lib/separable/factor.cpp: rank detection by one-sided Jacobi SVD of kernel
// unfoldings, in long double (see factor.hpp for the tolerance and what is covered).
#include "separable/factor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace autoconv::detail {

namespace {

using LD = long double;

template <class S>
LD abs2(const S& v) {
  if constexpr (is_complex_v<S>)
    return std::norm(v);
  else
    return v * v;
}
template <class S>
S conj_of(const S& v) {
  if constexpr (is_complex_v<S>)
    return std::conj(v);
  else
    return v;
}

// Thin SVD of the p x q row-major matrix A: A = sum_j sigma_j u_j v_j^T (plain
// transpose, also for complex S), sigma descending, u_j of length p, v_j of length q,
// both of unit norm. One-sided (Hestenes) Jacobi on the k = min(p, q) vectors of the
// smaller side, with a phase step for complex data.
template <class S>
struct Svd {
  std::vector<LD> sigma;
  std::vector<std::vector<S>> u, v;
};

template <class S>
Svd<S> jacobi_svd(const std::vector<S>& A, index_t p, index_t q) {
  const bool by_rows = p <= q;  // vectors = rows of A (length q), else columns (length p)
  const index_t k = by_rows ? p : q, len = by_rows ? q : p;
  std::vector<std::vector<S>> w(static_cast<std::size_t>(k), std::vector<S>(static_cast<std::size_t>(len)));
  for (index_t i = 0; i < p; ++i)
    for (index_t j = 0; j < q; ++j) {
      const S a = A[static_cast<std::size_t>(i * q + j)];
      if (by_rows)
        w[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = a;
      else
        w[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)] = a;
    }
  // J (k x k, unitary), stored by columns.
  std::vector<std::vector<S>> J(static_cast<std::size_t>(k), std::vector<S>(static_cast<std::size_t>(k), S(0)));
  for (index_t i = 0; i < k; ++i) J[static_cast<std::size_t>(i)][static_cast<std::size_t>(i)] = S(1);
  const LD tiny = std::numeric_limits<LD>::epsilon();
  auto rotate = [](std::vector<S>& a, std::vector<S>& b, LD c, LD s) {
    for (std::size_t t = 0; t < a.size(); ++t) {
      const S x = a[t], y = b[t];
      a[t] = c * x - s * y;
      b[t] = s * x + c * y;
    }
  };
  for (int sweep = 0; sweep < 80; ++sweep) {
    bool rotated = false;
    for (index_t i = 0; i + 1 < k; ++i)
      for (index_t j = i + 1; j < k; ++j) {
        auto& wi = w[static_cast<std::size_t>(i)];
        auto& wj = w[static_cast<std::size_t>(j)];
        LD alpha = 0, beta = 0;
        S gamma = 0;
        for (index_t t = 0; t < len; ++t) {
          alpha += abs2(wi[static_cast<std::size_t>(t)]);
          beta += abs2(wj[static_cast<std::size_t>(t)]);
          gamma += conj_of(wi[static_cast<std::size_t>(t)]) * wj[static_cast<std::size_t>(t)];
        }
        const LD g = std::abs(gamma);
        if (!(g > tiny * std::sqrt(alpha * beta)) || g == 0) continue;
        rotated = true;
        // Make w_i^H w_j real and positive: scale w_j (and J's column j) by conj(phase).
        if constexpr (is_complex_v<S>) {
          const S ph = std::conj(gamma / g);
          for (auto& x : wj) x *= ph;
          for (auto& x : J[static_cast<std::size_t>(j)]) x *= ph;
        } else if (gamma < 0) {
          for (auto& x : wj) x = -x;
          for (auto& x : J[static_cast<std::size_t>(j)]) x = -x;
        }
        const LD zeta = (beta - alpha) / (2 * g);
        const LD t = (zeta >= 0 ? 1 : -1) / (std::abs(zeta) + std::sqrt(1 + zeta * zeta));
        const LD c = 1 / std::sqrt(1 + t * t), s = c * t;
        rotate(wi, wj, c, s);
        rotate(J[static_cast<std::size_t>(i)], J[static_cast<std::size_t>(j)], c, s);
      }
    if (!rotated) break;
  }
  std::vector<LD> norms(static_cast<std::size_t>(k));
  for (index_t i = 0; i < k; ++i) {
    LD s = 0;
    for (const S& x : w[static_cast<std::size_t>(i)]) s += abs2(x);
    norms[static_cast<std::size_t>(i)] = std::sqrt(s);
  }
  std::vector<std::size_t> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return norms[a] > norms[b]; });
  Svd<S> out;
  for (std::size_t o : order) {
    const LD sg = norms[o];
    std::vector<S> hat = w[o];  // normalised: a singular vector on the long side
    for (auto& x : hat) x = sg > 0 ? x / sg : S(0);
    if (sg == 0 && !hat.empty()) hat[0] = S(1);
    std::vector<S> jc = J[o];  // conj(J column): the singular vector on the short side
    for (auto& x : jc) x = conj_of(x);
    out.sigma.push_back(sg);
    if (by_rows) {
      out.u.push_back(std::move(jc));
      out.v.push_back(std::move(hat));
    } else {
      out.u.push_back(std::move(hat));
      out.v.push_back(std::move(jc));
    }
  }
  return out;
}

// Moves axis s of a C-order tensor (extents ext) to the front: the unfolding K_(s).
template <class S>
std::vector<S> unfold(const std::vector<S>& K, const std::vector<index_t>& ext, std::size_t s) {
  index_t outer = 1, inner = 1;
  for (std::size_t a = 0; a < s; ++a) outer *= ext[a];
  for (std::size_t a = s + 1; a < ext.size(); ++a) inner *= ext[a];
  const index_t m = ext[s];
  std::vector<S> U(K.size());
  for (index_t o = 0; o < outer; ++o)
    for (index_t i = 0; i < m; ++i)
      for (index_t t = 0; t < inner; ++t)
        U[static_cast<std::size_t>(i * outer * inner + o * inner + t)] = K[static_cast<std::size_t>((o * m + i) * inner + t)];
  return U;
}

// Rank-1 approximation of a C-order tensor by successive unfoldings along its axes in
// order: one vector per axis (their outer product approximates it).
template <class S>
std::vector<std::vector<S>> rank1(std::vector<S> K, const std::vector<index_t>& ext) {
  std::vector<std::vector<S>> f;
  S scale = 1;
  for (std::size_t a = 0; a + 1 < ext.size(); ++a) {
    const index_t m = ext[a], rest = static_cast<index_t>(K.size()) / m;
    Svd<S> d = jacobi_svd(K, m, rest);
    f.push_back(d.u[0]);
    scale *= d.sigma[0];
    K = std::move(d.v[0]);
  }
  for (auto& x : K) x *= scale;
  f.push_back(std::move(K));
  return f;
}

template <class T>
std::optional<Factors<T>> factor(const Shape& shape, const T* kc, int max_terms) {
  using S = std::conditional_t<is_complex_v<T>, std::complex<LD>, LD>;
  const int D = shape.rank();
  std::vector<int> axes;  // axes of extent > 1
  std::vector<index_t> ext;
  std::size_t n = 1;
  for (int a = 0; a < D; ++a) {
    n *= static_cast<std::size_t>(shape[a]);
    if (shape[a] > 1) {
      axes.push_back(a);
      ext.push_back(shape[a]);
    }
  }
  Factors<T> F;
  F.kernel = shape;
  auto set_terms = [&](int r) {
    F.terms = r;
    F.f.assign(static_cast<std::size_t>(r * D), std::vector<T>(1, T(1)));
  };
  if (axes.size() <= 1) {
    set_terms(1);
    if (!axes.empty()) F.factor(0, axes[0]).assign(kc, kc + n);
    if (axes.empty()) F.factor(0, 0)[0] = kc[0];
    return F;
  }
  if (max_terms < 1) return std::nullopt;
  std::vector<S> K(n);
  LD norm2 = 0;
  for (std::size_t t = 0; t < n; ++t) {
    K[t] = S(kc[t]);
    norm2 += abs2(K[t]);
  }
  if (!std::isfinite(static_cast<double>(norm2))) return std::nullopt;
  const LD d = static_cast<LD>(axes.size());
  const LD tol = 8 * d * std::max<LD>(1, std::log2(static_cast<LD>(n))) *
                 static_cast<LD>(std::numeric_limits<real_t<T>>::epsilon()) * std::sqrt(norm2);

  // Residual of terms rounded to T: ||K - sum_j outer(f_j)||_F, in long double.
  auto residual = [&](const Factors<T>& G) {
    std::vector<S> R = K;
    std::array<index_t, max_rank> m{};
    for (std::size_t t = 0; t < n; ++t) {
      for (int j = 0; j < G.terms; ++j) {
        S prod = 1;
        for (int a = 0; a < D; ++a) prod *= S(G.factor(j, a)[static_cast<std::size_t>(m[static_cast<std::size_t>(a)])]);
        R[t] -= prod;
      }
      for (int a = D - 1; a >= 0; --a) {
        if (++m[static_cast<std::size_t>(a)] < shape[a]) break;
        m[static_cast<std::size_t>(a)] = 0;
      }
    }
    LD s = 0;
    for (const S& x : R) s += abs2(x);
    return std::sqrt(s);
  };

  std::optional<Factors<T>> best;
  for (std::size_t s = 0; s < axes.size(); ++s) {
    const index_t m = ext[s], rest = static_cast<index_t>(n) / m;
    const int limit = static_cast<int>(std::min<index_t>({m, rest, static_cast<index_t>(max_terms)}));
    if (best && best->terms <= 1) break;
    Svd<S> svd = jacobi_svd(unfold(K, ext, s), m, rest);
    // Tail energies: the best any r-term split along this axis can do.
    std::vector<LD> tail(svd.sigma.size() + 1, 0);
    for (std::size_t j = svd.sigma.size(); j-- > 0;) tail[j] = tail[j + 1] + svd.sigma[j] * svd.sigma[j];
    std::vector<index_t> rest_ext;
    for (std::size_t a = 0; a < ext.size(); ++a)
      if (a != s) rest_ext.push_back(ext[a]);
    Factors<T> G;
    G.kernel = shape;
    // Real factors symmetric to within 4 eps(T) of their largest value (those of a
    // kernel symmetric only to an ulp, e.g. a Gaussian sampled on -3 + 0.2 i; an exactly
    // symmetric Gaussian's come out exactly symmetric as they are) are made exactly
    // symmetric, so that their passes can fold the taps (separable/engine.cpp,
    // fold_taps). The reconstruction check covers the change; should it fail, the r
    // terms are found again as they come, and kept where they pass (sym = false).
    bool sym = !is_complex_v<T>;
    auto symmetrise = [&](std::vector<S>& v) {
      if constexpr (!is_complex_v<T>) {
        const std::size_t m = v.size();
        LD big = 0, asym = 0;
        for (std::size_t t = 0; t < m; ++t) {
          big = std::max<LD>(big, std::abs(v[t]));
          asym = std::max<LD>(asym, std::abs(v[t] - v[m - 1 - t]));
        }
        if (asym > 4 * static_cast<LD>(std::numeric_limits<real_t<T>>::epsilon()) * big) return;
        for (std::size_t t = 0; t < m / 2; ++t) v[t] = v[m - 1 - t] = (v[t] + v[m - 1 - t]) / 2;
      } else {
        (void)v;
      }
    };
    // Term j: sigma_j u_j (axis s) times the rank-1 factors of v_j (the other axes),
    // the scale balanced between the factors (each of norm sigma^(1/d): float range).
    auto add_term = [&](int j) {
      std::vector<std::vector<S>> vf = rank1(svd.v[static_cast<std::size_t>(j)], rest_ext);
      std::vector<std::vector<S>> all(axes.size());
      all[s] = svd.u[static_cast<std::size_t>(j)];
      for (std::size_t a = 0, b = 0; a < axes.size(); ++a)
        if (a != s) all[a] = std::move(vf[b++]);
      if (sym)
        for (std::vector<S>& v : all) symmetrise(v);
      LD scale = svd.sigma[static_cast<std::size_t>(j)];
      std::vector<LD> nrm(axes.size());
      for (std::size_t a = 0; a < axes.size(); ++a) {
        LD q = 0;
        for (const S& x : all[a]) q += abs2(x);
        nrm[a] = std::sqrt(q);
        scale *= nrm[a];
      }
      const LD each = std::pow(scale, 1 / d);
      G.terms = j + 1;
      G.f.resize(static_cast<std::size_t>(G.terms * D), std::vector<T>(1, T(1)));
      for (std::size_t a = 0; a < axes.size(); ++a) {
        std::vector<T>& dst = G.factor(j, axes[a]);
        dst.resize(all[a].size());
        for (std::size_t t = 0; t < dst.size(); ++t) {
          const S v = nrm[a] > 0 ? all[a][t] * (each / nrm[a]) : S(0);
          if constexpr (is_complex_v<T>)
            dst[t] = T(static_cast<real_t<T>>(v.real()), static_cast<real_t<T>>(v.imag()));
          else
            dst[t] = static_cast<T>(v);
        }
      }
    };
    for (int r = 1; r <= limit; ++r) {
      if (best && r >= best->terms) break;
      if (std::sqrt(tail[static_cast<std::size_t>(r)]) > tol) continue;  // r terms cannot be enough
      while (G.terms < r) add_term(G.terms);
      LD res = residual(G);
      if (res > tol && sym) {  // again without symmetrising (never seen to pass)
        Factors<T> kept = G;
        sym = false;
        G = Factors<T>{};
        G.kernel = shape;
        while (G.terms < r) add_term(G.terms);
        res = residual(G);
        if (res > tol) {  // r terms are too few either way: on to r + 1, symmetrising
          G = std::move(kept);
          sym = true;
        }
      }
      if (res <= tol) {
        best = G;
        break;
      }
    }
  }
  return best;
}

}  // namespace

template <class T>
std::optional<Factors<T>> factor_kernel(const Shape& kernel_shape, const T* kernel_c_order, int max_terms) {
  return factor(kernel_shape, kernel_c_order, max_terms);
}

int separable_rank_bound(const Shape& k) {
  index_t n = 1, bound = 1;
  for (index_t e : k) n *= e;
  for (index_t e : k)
    if (e > 1) bound = std::max(bound, std::min(e, n / e));
  return static_cast<int>(std::min<index_t>(bound, 1 << 20));
}

bool separable_candidate(const Shape& k) {
  int big = 0;
  for (index_t e : k) big += e > 1;
  return big >= 2;
}

template std::optional<Factors<float>> factor_kernel(const Shape&, const float*, int);
template std::optional<Factors<double>> factor_kernel(const Shape&, const double*, int);
template std::optional<Factors<std::complex<float>>> factor_kernel(const Shape&, const std::complex<float>*, int);
template std::optional<Factors<std::complex<double>>> factor_kernel(const Shape&, const std::complex<double>*, int);

}  // namespace autoconv::detail
