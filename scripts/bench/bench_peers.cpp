// bench_peers: autoconv's methods and Method::Auto against the libraries a scientist
// would use instead, on the grid of scripts/bench/grid.txt, in one run, on the same data.
//
// Per case (random input and kernel, uniform in [-1, 1), C order), all at the same
// thread count (default 2):
//   ours:  autoconv::convolve one-shot calls with Method::Direct, FFT, OverlapAdd and Auto
//          (a one-shot call plans, allocates and computes: what the peers do too);
//   Eigen: Tensor::convolve (a correlation with the flipped kernel) on the padded input,
//          on the default device (1 thread) and on a ThreadPoolDevice (N threads); zero
//          padding x.pad() is timed, image-style borders are padded outside the timing
//          (Eigen has none);
//   OpenCV (2-D only, when built with it): cv::filter2D with the flipped kernel and the
//          matching border (full/valid: copyMakeBorder / crop, timed), cv::setNumThreads(N);
//   scipy: scripts/bench/peers_scipy.py in a subprocess of Debian's /usr/bin/python3 on
//          the same bytes: signal.convolve (auto), fftconvolve, oaconvolve and
//          ndimage.convolve, with scipy.fft.set_workers(N).
// Each time is the median of 3-7 calls after a warm-up call (one call when it takes over
// 1.5 s); our four are called round-robin, one call each per repetition, in an order
// that rotates (Auto against the oracle compares like with like). Auto is then also
// timed alone as the peers are, consecutive calls after a warm-up ("auto alone"), and
// that time is what the peers are compared with: in the round-robin the call before
// Auto's is often an FFT method whose buffers evicted the input, which the peers'
// consecutive calls never meet (10000 x 3: 4.3-4.7 us there, 2.8 us alone). A peer
// whose predicted time exceeds --cap seconds (from its operation count and the rate it
// reached on the smaller cases of the run) is skipped and marked so.
// Every peer's result is compared with Auto's (max |diff| / max |result|).
//
// Usage: bench_peers [--grid FILE] [--threads N] [--cases a,b,...] [--json FILE]
//                    [--profile FILE] [--cap SECONDS] [--no-scipy]
//   --profile FILE: also report what Auto would choose with that profile (and the
//                   built-in one), timed as the chosen method's measured time.
#define EIGEN_USE_THREADS
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <autoconv/autoconv.hpp>
#include <unsupported/Eigen/CXX11/Tensor>

#include "cost/model.hpp"

#ifdef AUTOCONV_BENCH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace {

using Clock = std::chrono::steady_clock;
using autoconv::Border;
using autoconv::Boundary;
using autoconv::Method;
using autoconv::Mode;
using autoconv::Shape;
namespace cost = autoconv::detail::cost;

double secs(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <class T>
void keep(const T& v) {
  asm volatile("" : : "g"(&v) : "memory");
}

// Rows of a balanced Latin square on n items (Williams): in each row every item once,
// and over the rows every ordered pair (a, b), a != b, with b right after a equally
// often (once for even n; twice over the 2n rows for odd n).
std::vector<std::vector<std::size_t>> balanced_orders(std::size_t n) {
  std::vector<std::size_t> first;  // 0, 1, n-1, 2, n-2, ...
  for (std::size_t lo = 0, hi = n; first.size() < n;) {
    first.push_back(lo++);
    if (first.size() < n) first.push_back(--hi);
  }
  std::vector<std::vector<std::size_t>> rows;
  for (std::size_t r = 0; r < n; ++r) {
    std::vector<std::size_t> row;
    for (std::size_t v : first) row.push_back((v + r) % n);
    rows.push_back(row);
  }
  if (n % 2 == 1)
    for (std::size_t r = 0; r < n; ++r) rows.push_back(std::vector<std::size_t>(rows[r].rbegin(), rows[r].rend()));
  return rows;
}

// Median of 3..7 calls after a warm-up call; a call slower than 1.5 s is timed once.
template <class F>
double measure(F&& f) {
  auto t0 = Clock::now();
  f();
  const double warm = secs(t0);
  if (warm > 1.5) return warm;
  std::vector<double> t;
  const auto start = Clock::now();
  while (t.size() < 3 || (t.size() < 7 && secs(start) < 2.0)) {
    t0 = Clock::now();
    f();
    t.push_back(secs(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct Case {
  std::string name, type, mode;
  Shape input, kernel;
  bool image = false;  // mode is an image-style border
  Boundary boundary = Boundary::Constant;
};

Shape parse_shape(const std::string& s) {
  std::vector<long> v;
  std::stringstream ss(s);
  std::string t;
  while (std::getline(ss, t, 'x')) v.push_back(std::stol(t));
  return Shape(v);
}

std::vector<Case> read_grid(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::vector<Case> g;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    Case c;
    std::string in, k;
    ss >> c.name >> c.type >> in >> k >> c.mode;
    c.input = parse_shape(in);
    c.kernel = parse_shape(k);
    const std::map<std::string, Boundary> b = {{"reflect", Boundary::Reflect}, {"mirror", Boundary::Mirror},
                                                {"nearest", Boundary::Nearest}, {"wrap", Boundary::Wrap},
                                                {"constant", Boundary::Constant}};
    if (b.count(c.mode)) c.image = true, c.boundary = b.at(c.mode);
    g.push_back(c);
  }
  return g;
}

Mode mode_of(const std::string& m) { return m == "full" ? Mode::Full : m == "valid" ? Mode::Valid : Mode::Same; }

double product(const Shape& s) {
  double n = 1;
  for (int d = 0; d < s.rank(); ++d) n *= static_cast<double>(s[d]);
  return n;
}

struct Result {
  std::map<std::string, double> t;         // seconds by method/peer (absent: not run)
  std::map<std::string, std::string> skip;  // why a peer was skipped
  std::map<std::string, double> predicted;  // model seconds per our method (process profile)
  std::map<std::string, double> err;        // peer result vs Auto's
  std::string auto_choice, builtin_choice, file_choice;
};

// Rates (multiply-adds per second) each direct peer reached so far, for the cap.
std::map<std::string, double> peer_rate;

bool over_cap(const std::string& peer, double macs, double cap, Result& r) {
  const auto it = peer_rate.find(peer);
  const double rate = it == peer_rate.end() ? 2e9 : it->second;  // before any measurement: 2 GMAC/s
  if (macs / rate <= cap) return false;
  char b[96];
  std::snprintf(b, sizeof b, "skipped: predicted %.0f s (%.1e multiply-adds at %.1f G/s)", macs / rate, macs,
                rate / 1e9);
  r.skip[peer] = b;
  return true;
}

void note_rate(const std::string& peer, double macs, double seconds) {
  if (macs < 1e8) return;  // small cases are overhead-bound
  auto& r = peer_rate[peer];
  r = std::max(r, macs / seconds);
}

// The extended input an image-style or 'full'/'same' call reads, as one padded array
// (what Eigen and OpenCV correlate over): C order, per axis the window of every output.
template <class T>
std::vector<T> padded_input(const autoconv::detail::Problem& pb, const std::vector<T>& x, Shape* ps) {
  const int D = pb.rank();
  Shape s = pb.output;
  for (int d = 0; d < D; ++d) s[d] = pb.output[d] + pb.kernel[d] - 1;
  *ps = s;
  std::vector<T> p(static_cast<std::size_t>(product(s)));
  std::vector<long> i(static_cast<std::size_t>(D), 0), xs(static_cast<std::size_t>(D), 1);
  for (int d = D - 2; d >= 0; --d) xs[static_cast<std::size_t>(d)] = xs[static_cast<std::size_t>(d + 1)] * pb.input[d + 1];
  for (std::size_t f = 0; f < p.size(); ++f) {
    long off = 0;
    bool outside = false;
    for (int d = 0; d < D; ++d) {
      const auto u = static_cast<std::size_t>(d);
      const long e = autoconv::detail::extend_index(i[u] + pb.start[u] - (pb.kernel[d] - 1), pb.input[d], pb.ext);
      if (e < 0) outside = true;
      off += e * xs[u];
    }
    p[f] = outside ? T(pb.ext == autoconv::detail::Ext::Constant ? pb.cval : 0) : x[static_cast<std::size_t>(off)];
    for (int d = D - 1; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      if (++i[u] < s[d]) break;
      i[u] = 0;
    }
  }
  return p;
}

double rel_err(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0, d = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::abs(a[i])), d = std::max(d, std::abs(a[i] - b[i]));
  return a.size() == b.size() ? d / std::max(m, 1e-300) : HUGE_VAL;
}

template <class T>
std::vector<double> as_double(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// Eigen: correlate the padded input with the flipped kernel ('valid' over the padded
// array). Rank is a template parameter; C-order data is a ColMajor tensor of reversed dims.
template <class T, int D>
void run_eigen(const Case& c, const autoconv::detail::Problem& pb, const std::vector<T>& x, const std::vector<T>& k,
               int threads, double cap, const std::vector<double>& ref, Result& r) {
  using TM = Eigen::TensorMap<Eigen::Tensor<const T, D>>;
  Eigen::array<Eigen::Index, D> kd, od, dims, xd;
  Eigen::array<std::pair<Eigen::Index, Eigen::Index>, D> pads;
  Eigen::array<bool, D> rev;
  for (int a = 0; a < D; ++a) {
    const int d = D - 1 - a;  // Eigen axis a = our axis d
    kd[a] = pb.kernel[d];
    od[a] = pb.output[d];
    xd[a] = pb.input[d];
    dims[a] = a;
    rev[a] = true;
    pads[a] = {0, 0};
  }
  Eigen::Tensor<T, D> kf = TM(k.data(), kd).reverse(rev);
  const double macs = product(pb.output) * product(pb.kernel);
  for (int nt : {1, threads}) {
    const std::string name = nt == 1 ? "eigen1" : "eigen" + std::to_string(nt);
    if (nt == 1 && threads == 1 && r.t.count(name)) continue;
    if (over_cap(name, macs, cap, r)) continue;
    Eigen::Tensor<T, D> out(od);
    Eigen::ThreadPool pool(nt);
    Eigen::ThreadPoolDevice dev(&pool, nt);
    double t;
    if (!c.image && pb.ext == autoconv::detail::Ext::Zero) {
      // Zero padding as a user would write it: x.pad(...) then convolve.
      for (int a = 0; a < D; ++a) {
        const int d = D - 1 - a;
        const long before = (pb.kernel[d] - 1) - pb.start[static_cast<std::size_t>(d)];
        const long total = pb.output[d] + pb.kernel[d] - 1 - pb.input[d];
        pads[a] = {std::max(0L, before), std::max(0L, total - before)};
      }
      Eigen::array<Eigen::Index, D> pd;
      for (int a = 0; a < D; ++a) pd[a] = xd[a] + pads[a].first + pads[a].second;
      Eigen::Tensor<T, D> padded(pd);
      // 'valid' with a negative pad (only possible in valid mode) starts inside the input.
      Eigen::array<Eigen::Index, D> off, ext;
      for (int a = 0; a < D; ++a) {
        const int d = D - 1 - a;
        off[a] = std::max(0L, pb.start[static_cast<std::size_t>(d)] - (pb.kernel[d] - 1));
        ext[a] = od[a] + kd[a] - 1;
      }
      const bool valid = c.mode == "valid";
      t = measure([&] {
        if (valid) {
          if (nt == 1)
            out = TM(x.data(), xd).slice(off, ext).convolve(kf, dims);
          else
            out.device(dev) = TM(x.data(), xd).slice(off, ext).convolve(kf, dims);
        } else {
          if (nt == 1) {
            padded = TM(x.data(), xd).pad(pads);
            out = padded.convolve(kf, dims);
          } else {
            padded.device(dev) = TM(x.data(), xd).pad(pads);
            out.device(dev) = padded.convolve(kf, dims);
          }
        }
        keep(out);
      });
    } else {
      Shape ps;
      const std::vector<T> p = padded_input(pb, x, &ps);
      Eigen::array<Eigen::Index, D> pd;
      for (int a = 0; a < D; ++a) pd[a] = ps[D - 1 - a];
      t = measure([&] {
        if (nt == 1)
          out = TM(p.data(), pd).convolve(kf, dims);
        else
          out.device(dev) = TM(p.data(), pd).convolve(kf, dims);
        keep(out);
      });
    }
    r.t[name] = t;
    note_rate(name, macs, t);
    r.err[name] = rel_err(ref, as_double(std::vector<T>(out.data(), out.data() + out.size())));
  }
}

#ifdef AUTOCONV_BENCH_OPENCV
template <class T>
void run_opencv(const Case& c, const autoconv::detail::Problem& pb, const std::vector<T>& x, const std::vector<T>& k,
                int threads, const std::vector<double>& ref, Result& r) {
  if (pb.rank() != 2) return;
  const int type = std::is_same_v<T, float> ? CV_32F : CV_64F;
  cv::setNumThreads(threads);
  cv::Mat X(static_cast<int>(pb.input[0]), static_cast<int>(pb.input[1]), type, const_cast<T*>(x.data()));
  cv::Mat K(static_cast<int>(pb.kernel[0]), static_cast<int>(pb.kernel[1]), type, const_cast<T*>(k.data()));
  cv::Mat Kf;
  cv::flip(K, Kf, -1);  // filter2D correlates
  const int M0 = static_cast<int>(pb.kernel[0]), M1 = static_cast<int>(pb.kernel[1]);
  int border = cv::BORDER_CONSTANT;
  if (c.image) {
    switch (c.boundary) {
      case Boundary::Reflect: border = cv::BORDER_REFLECT; break;
      case Boundary::Mirror: border = cv::BORDER_REFLECT_101; break;
      case Boundary::Nearest: border = cv::BORDER_REPLICATE; break;
      case Boundary::Constant: border = cv::BORDER_CONSTANT; break;
      case Boundary::Wrap: r.skip["opencv"] = "skipped: filter2D has no wrap border"; return;
    }
  }
  // anchor = the kernel sample over the output position (convolve: the flipped kernel's
  // (M-1) - M//2 index), so odd and even kernels centre as scipy does.
  const cv::Point anchor(M1 - 1 - M1 / 2, M0 - 1 - M0 / 2);
  cv::Mat out, tmp;
  const double t = measure([&] {
    if (c.mode == "full") {
      cv::copyMakeBorder(X, tmp, M0 - 1, M0 - 1, M1 - 1, M1 - 1, cv::BORDER_CONSTANT, 0);
      cv::filter2D(tmp, out, -1, Kf, cv::Point(0, 0), 0, cv::BORDER_CONSTANT);
      out = out(cv::Rect(0, 0, static_cast<int>(pb.output[1]), static_cast<int>(pb.output[0])));
    } else if (c.mode == "valid") {
      cv::filter2D(X, tmp, -1, Kf, cv::Point(0, 0), 0, cv::BORDER_CONSTANT);
      out = tmp(cv::Rect(0, 0, static_cast<int>(pb.output[1]), static_cast<int>(pb.output[0])));
    } else {
      cv::filter2D(X, out, -1, Kf, anchor, 0, border);
    }
    keep(out);
  });
  r.t["opencv"] = t;
  std::vector<double> o;
  for (int i = 0; i < out.rows; ++i)
    for (int j = 0; j < out.cols; ++j) o.push_back(static_cast<double>(out.at<T>(i, j)));
  r.err["opencv"] = rel_err(ref, o);
}
#endif

std::string exe_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string s(buf, static_cast<std::size_t>(n));
  return s.substr(0, s.find_last_of('/'));
}

template <class T>
void write_raw(const std::string& path, const std::vector<T>& v) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
}

// scipy in a subprocess on the same bytes; it prints "name seconds" or "name skip why"
// and "err name value" lines.
template <class T>
void run_scipy(const Case& c, const std::vector<T>& x, const std::vector<T>& k, const std::vector<T>& ref, int threads,
               double cap, const std::string& script, Result& r) {
  const std::string dir = "/tmp/autoconv_bench_" + std::to_string(getpid());
  if (std::system(("mkdir -p " + dir).c_str()) != 0) return;
  write_raw(dir + "/x", x);
  write_raw(dir + "/k", k);
  write_raw(dir + "/ref", ref);
  const std::string cmd = "/usr/bin/python3 " + script + " " + dir + " " + c.type + " '" + c.input.str() + "' '" +
                          c.kernel.str() + "' " + c.mode + " " + std::to_string(threads) + " " + std::to_string(cap);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return;
  char line[512];
  while (std::fgets(line, sizeof line, p)) {
    std::stringstream ss(line);
    std::string a, b;
    ss >> a >> b;
    if (a == "err") {
      double v;
      ss >> v;
      r.err[b] = v;
    } else if (b == "skip") {
      std::string rest;
      std::getline(ss, rest);
      r.skip[a] = "skipped:" + rest;
    } else if (!a.empty()) {
      r.t[a] = std::stod(b);
    }
  }
  pclose(p);
  std::system(("rm -rf " + dir).c_str());
}

template <class T>
Result run_case(const Case& c, int threads, double cap, bool scipy, const std::string& script,
                const cost::Profile* file_profile) {
  Result r;
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> x(static_cast<std::size_t>(product(c.input))), k(static_cast<std::size_t>(product(c.kernel)));
  for (auto& v : x) v = static_cast<T>(u(rng));
  for (auto& v : k) v = static_cast<T>(u(rng));
  const Border border{c.boundary, 0.0, {}};
  const autoconv::detail::Problem pb =
      c.image ? autoconv::detail::make_problem(autoconv::Operation::Convolve, c.input, c.kernel, border)
              : autoconv::detail::make_problem(autoconv::Operation::Convolve, c.input, c.kernel, mode_of(c.mode));
  std::vector<T> y(static_cast<std::size_t>(product(pb.output))), ref;
  autoconv::View<const T> xv(x.data(), c.input), kv(k.data(), c.kernel);
  autoconv::View<T> yv(y.data(), pb.output);
  auto call = [&](Method m) {
    autoconv::Options o;
    o.method = m;
    o.threads = threads;
    if (c.image)
      autoconv::convolve<T>(xv, kv, border, yv, o);
    else
      autoconv::convolve<T>(xv, kv, mode_of(c.mode), yv, o);
  };
  autoconv::Options eo;
  eo.threads = threads;
  eo.planning = autoconv::Planning::Estimate;  // what a one-shot call plans with
  const autoconv::Decision d = c.image ? autoconv::explain<T>(xv, kv, border, eo) : autoconv::explain<T>(xv, kv, mode_of(c.mode), eo);
  r.auto_choice = autoconv::to_string(d.method);
  for (const auto& cand : d.candidates)
    if (cand.feasible) r.predicted[autoconv::to_string(cand.method)] = cand.seconds;
  cost::Request req = cost::make_request<T>(pb, eo);
  r.builtin_choice = autoconv::to_string(cost::decide(req, cost::builtin_profile()).method);
  if (file_profile) r.file_choice = autoconv::to_string(cost::decide(req, *file_profile).method);
  const double macs = product(pb.output) * product(pb.kernel);
  // Ours round-robin: every repetition calls each method once, so a change in the
  // machine's load hits them alike and Auto/oracle compares like with like.
  std::vector<Method> ms;
  for (Method m : {Method::Direct, Method::FFT, Method::OverlapAdd, Method::Auto}) {
    const std::string name = autoconv::to_string(m);
    if (m == Method::Direct && over_cap("direct", macs, cap, r)) continue;
    try {
      const auto t0 = Clock::now();
      call(m);  // warm-up (plans FFTW)
      r.t[name] = secs(t0);
      ms.push_back(m);
    } catch (const autoconv::error& e) {
      r.skip[name] = std::string("skipped: ") + e.what();
    }
  }
  {
    std::map<std::string, std::vector<double>> ts;
    const auto start = Clock::now();
    // A method whose warm-up call took over 1.5 s keeps that time (as time() does for
    // the peers); the others are timed again, together, at least 3 times. (Timing all
    // of them once when one was slow left single samples of the fast ones, each at the
    // mercy of what ran before it: 3d-h's Auto, choosing FFT, once took 141 ms against
    // the forced FFT's 68.)
    std::vector<Method> fast;
    for (Method m : ms)
      if (r.t[autoconv::to_string(m)] <= 1.5) fast.push_back(m);
    ms = fast;
    const int reps = 8;
    Method last = Method::Direct;
    // What ran before a call changes what is left in the caches (an FFT method's
    // buffers evict the input a direct call would find there), so the order changes
    // each repetition as a balanced Latin square: over its rows every method directly
    // follows every other one equally often. (Rotating one fixed order did not: Auto
    // always ran right after OverlapAdd, and Direct right after Auto.)
    const std::vector<std::vector<std::size_t>> orders = balanced_orders(ms.size());
    for (int rep = 0; rep < reps && (rep < 3 || secs(start) < 4.0); ++rep)
      for (std::size_t j = 0; j < ms.size(); ++j) {
        const Method m = ms[orders[static_cast<std::size_t>(rep) % orders.size()][j]];
        const auto t0 = Clock::now();
        call(m);
        ts[autoconv::to_string(m)].push_back(secs(t0));
        last = m;
      }
    if (last != Method::Auto) call(Method::Auto);  // y: Auto's result, the peers' reference
    for (auto& [name, v] : ts) {
      std::sort(v.begin(), v.end());
      r.t[name] = v[v.size() / 2];
    }
    if (r.t.count("direct")) note_rate("direct", macs, r.t["direct"]);
  }
  // Auto timed as the peers are (measure(): a warm-up, then consecutive calls); y stays
  // Auto's result.
  r.t["auto_alone"] = r.t["auto"] > 1.5 ? r.t["auto"] : measure([&] { call(Method::Auto); });
  ref = y;  // Auto's result: every peer is compared with it
  const std::vector<double> refd = as_double(ref);
  switch (c.input.rank()) {
    case 1: run_eigen<T, 1>(c, pb, x, k, threads, cap, refd, r); break;
    case 2: run_eigen<T, 2>(c, pb, x, k, threads, cap, refd, r); break;
    case 3: run_eigen<T, 3>(c, pb, x, k, threads, cap, refd, r); break;
  }
#ifdef AUTOCONV_BENCH_OPENCV
  run_opencv<T>(c, pb, x, k, threads, refd, r);
#endif
  if (scipy) run_scipy<T>(c, x, k, ref, threads, cap, script, r);
  return r;
}

const char* ours[] = {"direct", "fft", "overlap_add"};
const char* peers[] = {"eigen2", "opencv", "scipy_auto", "scipy_fft", "scipy_oa", "scipy_ndimage", "scipy_pad_fft"};

std::string fmt_ms(const Result& r, const std::string& k) {
  const auto it = r.t.find(k);
  if (it == r.t.end()) return r.skip.count(k) ? "skip" : "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", it->second * 1e3);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  std::string grid = exe_dir() + "/../../../scripts/bench/grid.txt", json, only, profile_file;
  std::string script = exe_dir() + "/../../../scripts/bench/peers_scipy.py";
  int threads = 2;
  double cap = 20;
  bool scipy = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--grid" && i + 1 < argc) grid = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--cases" && i + 1 < argc) only = "," + std::string(argv[++i]) + ",";
    else if (a == "--json" && i + 1 < argc) json = argv[++i];
    else if (a == "--profile" && i + 1 < argc) profile_file = argv[++i];
    else if (a == "--cap" && i + 1 < argc) cap = std::atof(argv[++i]);
    else if (a == "--no-scipy") scipy = false;
    else {
      std::fprintf(stderr, "usage: bench_peers [--grid FILE] [--threads N] [--cases a,b] [--json FILE] "
                           "[--profile FILE] [--cap S] [--no-scipy]\n");
      return 2;
    }
  }
  cost::Profile fp;
  const cost::Profile* fpp = nullptr;
  if (!profile_file.empty()) {
    std::ifstream f(profile_file);
    std::stringstream ss;
    ss << f.rdbuf();
    fp = cost::parse_profile(ss.str(), profile_file);
    fpp = &fp;
  }
  const auto cases = read_grid(grid);
  std::ofstream js;
  if (!json.empty()) js.open(json);
  std::printf("threads %d, profile in use: %s\n\n", threads,
              autoconv::profile_path().empty() ? "built-in" : autoconv::profile_path().c_str());
  std::printf("| case | type | input | kernel | mode | direct | fft | overlap_add | auto (choice) | auto/oracle | auto alone |"
              " eigen 1t | eigen %dt | opencv | scipy auto | fftconvolve | oaconvolve | ndimage | pad+fftconvolve |"
              " best peer | auto speed-up |\n",
              threads);
  std::printf("|---|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
  for (const Case& c : cases) {
    if (!only.empty() && only.find("," + c.name + ",") == std::string::npos) continue;
    const Result r = c.type == "float" ? run_case<float>(c, threads, cap, scipy, script, fpp)
                                       : run_case<double>(c, threads, cap, scipy, script, fpp);
    double oracle = HUGE_VAL;
    std::string oracle_m;
    for (const char* m : ours)
      if (r.t.count(m) && r.t.at(m) < oracle) oracle = r.t.at(m), oracle_m = m;
    double best = HUGE_VAL;
    std::string best_p;
    for (const char* p : peers) {
      const std::string key = std::string(p) == "eigen2" ? "eigen" + std::to_string(threads) : p;
      if (r.t.count(key) && r.t.at(key) < best) best = r.t.at(key), best_p = key;
    }
    const double a = r.t.at("auto_alone");
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2fx |\n",
                c.name.c_str(), c.type.c_str(), c.input.str().c_str(), c.kernel.str().c_str(), c.mode.c_str(),
                fmt_ms(r, "direct").c_str(), fmt_ms(r, "fft").c_str(), fmt_ms(r, "overlap_add").c_str(),
                fmt_ms(r, "auto").c_str(), r.auto_choice.c_str(), r.t.at("auto") / oracle, fmt_ms(r, "auto_alone").c_str(),
                fmt_ms(r, "eigen1").c_str(),
                fmt_ms(r, "eigen" + std::to_string(threads)).c_str(), fmt_ms(r, "opencv").c_str(),
                fmt_ms(r, "scipy_auto").c_str(), fmt_ms(r, "scipy_fft").c_str(), fmt_ms(r, "scipy_oa").c_str(),
                fmt_ms(r, "scipy_ndimage").c_str(), fmt_ms(r, "scipy_pad_fft").c_str(), best_p.c_str(), best / a);
    std::fflush(stdout);
    if (js) {
      js << "{\"case\":\"" << c.name << "\",\"type\":\"" << c.type << "\",\"input\":\"" << c.input.str()
         << "\",\"kernel\":\"" << c.kernel.str() << "\",\"mode\":\"" << c.mode << "\",\"threads\":" << threads
         << ",\"auto_choice\":\"" << r.auto_choice << "\",\"builtin_choice\":\"" << r.builtin_choice
         << "\",\"file_choice\":\"" << r.file_choice << "\",\"oracle\":\"" << oracle_m << "\",\"best_peer\":\""
         << best_p << "\",\"t\":{";
      bool first = true;
      for (const auto& [k2, v] : r.t) js << (first ? "" : ",") << "\"" << k2 << "\":" << v, first = false;
      js << "},\"predicted\":{";
      first = true;
      for (const auto& [k2, v] : r.predicted) js << (first ? "" : ",") << "\"" << k2 << "\":" << v, first = false;
      js << "},\"err\":{";
      first = true;
      for (const auto& [k2, v] : r.err) js << (first ? "" : ",") << "\"" << k2 << "\":" << v, first = false;
      js << "},\"skip\":{";
      first = true;
      for (const auto& [k2, v] : r.skip) { std::string s = v; std::replace(s.begin(), s.end(), '"', '\''); js << (first ? "" : ",") << "\"" << k2 << "\":\"" << s << "\"", first = false; }
      js << "}}\n";
      js.flush();
    }
  }
  return 0;
}
