// lib/core/problem.cpp: validation of every call form and its reduction to one
// normalised Problem (see problem.hpp). The rules are SEMANTICS.md's.
#include "core/problem.hpp"

#include <limits>

#include <unistd.h>

namespace autoconv::detail {

const char* api_name(Operation op) {
  switch (op) {
    case Operation::Convolve:
      return "autoconv::convolve";
    case Operation::Correlate:
      return "autoconv::correlate";
  }
  throw error("autoconv: unknown Operation value " + std::to_string(static_cast<int>(op)));
}

const char* Problem::api_name() const { return detail::api_name(op); }

std::size_t default_memory_limit() {
  // Asked once: sysconf(_SC_PHYS_PAGES) is a system call (~5 us), and every plan asks.
  static const std::size_t limit = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return std::size_t(4) << 30;
    return static_cast<std::size_t>(pages) / 2 * static_cast<std::size_t>(page);
  }();
  return limit;
}

std::size_t checked_size(const Shape& s, const char* api, const char* what, std::size_t elem_bytes) {
  std::size_t n = 1;
  for (index_t e : s) {
    if (e < 0)
      throw error(std::string(api) + ": " + what + " has a negative extent, shape " + s.str());
    if (__builtin_mul_overflow(n, static_cast<std::size_t>(e), &n))
      throw error(std::string(api) + ": " + what + " shape " + s.str() + " has more elements than std::size_t can count");
  }
  std::size_t bytes = 0;
  if (elem_bytes && __builtin_mul_overflow(n, elem_bytes, &bytes))
    throw error(std::string(api) + ": " + what + " shape " + s.str() + " needs more bytes than std::size_t can count");
  if (n > static_cast<std::size_t>(std::numeric_limits<index_t>::max()))
    throw error(std::string(api) + ": " + what + " shape " + s.str() + " has more elements than index_t can count");
  return n;
}

namespace {

std::string shapes(const Shape& in, const Shape& k) { return "(input " + in.str() + ", kernel " + k.str() + ")"; }

// Checks common to every form: known operation, ranks, non-empty, no overflow, axes.
Problem base_problem(Operation op, const Shape& in, const Shape& k, const std::vector<int>& axes) {
  Problem p;
  p.op = op;
  const char* api = api_name(op);  // throws on an unknown Operation
  if (in.rank() == 0) throw error(std::string(api) + ": input has rank 0; a rank of at least 1 is needed " + shapes(in, k));
  if (k.rank() != in.rank())
    throw error(std::string(api) + ": kernel has rank " + std::to_string(k.rank()) + " but input has rank " +
                std::to_string(in.rank()) + " " + shapes(in, k));
  checked_size(in, api, "input");
  checked_size(k, api, "kernel");
  for (int d = 0; d < in.rank(); ++d) {
    if (in[d] == 0) throw error(std::string(api) + ": input is empty, shape " + in.str() + " " + shapes(in, k));
    if (k[d] == 0) throw error(std::string(api) + ": kernel is empty, shape " + k.str() + " " + shapes(in, k));
  }
  p.input = in;
  p.kernel = k;
  p.output = in;
  if (axes.empty()) {
    for (int d = 0; d < in.rank(); ++d) p.convolved[static_cast<std::size_t>(d)] = true;
  } else {
    for (int a : axes) {
      if (a < 0 || a >= in.rank())
        throw error(std::string(api) + ": Options::axes names axis " + std::to_string(a) + ", outside [0, " +
                    std::to_string(in.rank()) + ") " + shapes(in, k));
      if (p.convolved[static_cast<std::size_t>(a)])
        throw error(std::string(api) + ": Options::axes names axis " + std::to_string(a) + " twice " + shapes(in, k));
      p.convolved[static_cast<std::size_t>(a)] = true;
    }
    for (int d = 0; d < in.rank(); ++d)
      if (!p.convolved[static_cast<std::size_t>(d)] && k[d] != 1)
        throw error(std::string(api) + ": the kernel has extent " + std::to_string(k[d]) + " on axis " +
                    std::to_string(d) + ", which is not in Options::axes; it must be 1 there (one kernel for every "
                    "slice) " + shapes(in, k));
  }
  return p;
}

void set_mode(Problem& p, Mode mode) {
  const Shape& in = p.input;
  const Shape& k = p.kernel;
  const int r = in.rank();
  if (mode == Mode::Valid) {
    bool in_larger = true, k_larger = true;
    for (int d = 0; d < r; ++d) {
      if (!p.convolved[static_cast<std::size_t>(d)]) continue;  // batch axes: kernel extent 1
      in_larger = in_larger && in[d] >= k[d];
      k_larger = k_larger && k[d] >= in[d];
    }
    if (!in_larger && !k_larger)
      throw error(std::string(p.api_name()) +
                  ": mode 'valid' needs the input or the kernel to be at least as large as the other on every axis " +
                  shapes(in, k));
  }
  for (int d = 0; d < r; ++d) {
    const index_t n = in[d], m = k[d];
    switch (mode) {
      case Mode::Full:
        if (__builtin_add_overflow(n, m - 1, &p.output[d]))
          throw error(std::string(p.api_name()) + ": 'full' output extent overflows " + shapes(in, k));
        p.start[static_cast<std::size_t>(d)] = 0;
        break;
      case Mode::Same:
        p.output[d] = n;
        p.start[static_cast<std::size_t>(d)] = (m - 1) / 2;
        break;
      case Mode::Valid:
        // Also covers scipy's swap (kernel at least as large on every axis): the
        // result is full[min(N, M) - 1 + i], of length |N - M| + 1.
        p.output[d] = (n > m ? n - m : m - n) + 1;
        p.start[static_cast<std::size_t>(d)] = (n < m ? n : m) - 1;
        break;
      default:
        throw error(std::string(p.api_name()) + ": unknown Mode value " + std::to_string(static_cast<int>(mode)));
    }
  }
  checked_size(p.output, p.api_name(), "output");
}

Ext to_ext(Boundary b, const char* api) {
  switch (b) {
    case Boundary::Reflect:
      return Ext::Reflect;
    case Boundary::Mirror:
      return Ext::Mirror;
    case Boundary::Nearest:
      return Ext::Nearest;
    case Boundary::Wrap:
      return Ext::Wrap;
    case Boundary::Constant:
      return Ext::Constant;
  }
  throw error(std::string(api) + ": unknown Boundary value " + std::to_string(static_cast<int>(b)));
}

void check_cval(const Border& b, const char* api) {
  if (b.cval != b.cval) throw error(std::string(api) + ": border cval is NaN");
}

}  // namespace

Problem make_problem(Operation op, const Shape& in, const Shape& k, Mode mode, const std::vector<int>& axes) {
  Problem p = base_problem(op, in, k, axes);
  set_mode(p, mode);
  return p;
}

Problem make_problem(Operation op, const Shape& in, const Shape& k, Mode mode, const Border& border,
                     const std::vector<int>& axes) {
  Problem p = base_problem(op, in, k, axes);
  set_mode(p, mode);
  const char* api = p.api_name();
  const Ext ext = to_ext(border.boundary, api);
  for (index_t o : border.origin)
    if (o != 0)
      throw error(std::string(api) +
                  ": a signal-style call (Mode with Border) takes no origin; use the image-style form (Border alone) "
                  "to shift the kernel " +
                  shapes(in, k));
  check_cval(border, api);
  // In 'valid' mode the border is never read (as in convolve2d): keep zero extension,
  // which also gives the right answer when the operands are swapped.
  if (mode != Mode::Valid) {
    p.ext = ext;
    p.cval = border.cval;
  }
  return p;
}

Problem make_problem(Operation op, const Shape& in, const Shape& k, const Border& border,
                     const std::vector<int>& axes) {
  Problem p = base_problem(op, in, k, axes);
  const char* api = p.api_name();
  p.ext = to_ext(border.boundary, api);
  check_cval(border, api);
  p.cval = border.cval;
  const int r = in.rank();
  const std::size_t no = border.origin.size();
  if (no != 0 && no != 1 && no != static_cast<std::size_t>(r))
    throw error(std::string(api) + ": border origin has " + std::to_string(no) + " values; give 0, 1 or " +
                std::to_string(r) + " (one per axis) " + shapes(in, k));
  for (int d = 0; d < r; ++d) {
    const index_t m = k[d];
    index_t o = no == 0 ? 0 : border.origin[no == 1 ? 0 : static_cast<std::size_t>(d)];
    if (!p.convolved[static_cast<std::size_t>(d)]) {
      if (no == static_cast<std::size_t>(r) && o != 0)
        throw error(std::string(api) + ": origin " + std::to_string(o) + " on axis " + std::to_string(d) +
                    ", which is not in Options::axes; it must be 0 there " + shapes(in, k));
      o = 0;  // a single origin value applies to the convolved axes
    }
    // scipy.ndimage's rule: -(M//2) <= origin <= (M-1)//2.
    if (o < -(m / 2) || o > (m - 1) / 2)
      throw error(std::string(api) + ": origin " + std::to_string(o) + " on axis " + std::to_string(d) +
                  " is out of range [" + std::to_string(-(m / 2)) + ", " + std::to_string((m - 1) / 2) +
                  "] for kernel extent " + std::to_string(m) + " " + shapes(in, k));
    // convolve:  out[i] = sum_j w[j] x_ext[i - j + M//2 + origin]     -> start = M//2 + origin
    // correlate: out[i] = sum_j w[j] x_ext[i + j - M//2 - origin];
    //   as a convolution with the flipped kernel (j = M-1-m): start = (M-1) - M//2 - origin.
    p.start[static_cast<std::size_t>(d)] = op == Operation::Convolve ? m / 2 + o : (m - 1) - m / 2 - o;
  }
  return p;
}

}  // namespace autoconv::detail

namespace autoconv {

Shape output_shape(const Shape& input, const Shape& kernel, Mode mode) {  // all axes
  return detail::make_problem(Operation::Convolve, input, kernel, mode).output;
}

const char* to_string(Method m) {
  switch (m) {
    case Method::Auto:
      return "auto";
    case Method::Direct:
      return "direct";
    case Method::FFT:
      return "fft";
    case Method::OverlapAdd:
      return "overlap_add";
    case Method::Separable:
      return "separable";
  }
  return "unknown";
}

const char* to_string(Mode m) {
  switch (m) {
    case Mode::Full:
      return "full";
    case Mode::Same:
      return "same";
    case Mode::Valid:
      return "valid";
  }
  return "unknown";
}

const char* to_string(Boundary b) {
  switch (b) {
    case Boundary::Reflect:
      return "reflect";
    case Boundary::Mirror:
      return "mirror";
    case Boundary::Nearest:
      return "nearest";
    case Boundary::Wrap:
      return "wrap";
    case Boundary::Constant:
      return "constant";
  }
  return "unknown";
}

}  // namespace autoconv
