// bench_stream: Stream<double> fed in chunks against the batch one-shot call on the
// whole signal (issue 6, acceptance 4): n = 1e7 samples, kernel 10001, mode 'same',
// chunks of 4096; batch with Method::OverlapAdd and Method::FFT; 1 and 2 threads.
// Each time is the median of --reps interleaved runs after one warm-up (FFTW plans are
// cached for both sides); the stream's time includes making it, every push and finish().
// Prints a Markdown table and the stream's throughput as a ratio to the best batch.
//
//   bench_stream [--reps N] [--n N] [--k K] [--chunk C] [--threads 1,2,...] [--fft]
//   --threads: the thread counts to run (default 1,2); --fft adds the batch FFT column
//   (a single 1-D transform of the whole signal, always slower here: off by default).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <autoconv/autoconv.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using autoconv::index_t;
using autoconv::Shape;
using autoconv::View;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  index_t n = 10000000, k = 10001, chunk = 4096;
  std::vector<int> thread_counts;
  bool with_fft = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--n" && i + 1 < argc) n = std::atol(argv[++i]);
    else if (a == "--k" && i + 1 < argc) k = std::atol(argv[++i]);
    else if (a == "--chunk" && i + 1 < argc) chunk = std::atol(argv[++i]);
    else if (a == "--fft") with_fft = true;
    else if (a == "--threads" && i + 1 < argc) {
      for (const char* p = argv[++i]; *p;) {
        thread_counts.push_back(std::max(1, std::atoi(p)));
        while (*p && *p != ',') ++p;
        if (*p == ',') ++p;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--reps N] [--n N] [--k K] [--chunk C] [--threads 1,2,...] [--fft]\n", argv[0]);
      return 2;
    }
  }
  if (thread_counts.empty()) thread_counts = {1, 2};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> x(static_cast<std::size_t>(n)), h(static_cast<std::size_t>(k)), y(x.size()), z(x.size());
  for (auto& v : x) v = u(rng);
  for (auto& v : h) v = u(rng);
  const View<const double> xv(x.data(), Shape{n}), hv(h.data(), Shape{k});

  std::printf("n = %ld, k = %ld, double, mode 'same', stream chunks of %ld, median of %d\n\n", static_cast<long>(n),
              static_cast<long>(k), static_cast<long>(chunk), reps);
  std::printf("| threads | batch OverlapAdd (ms) | batch FFT (ms) | stream (ms) | stream min-max (ms) | stream block | stream / best batch throughput |\n");
  std::printf("|---:|---:|---:|---:|---:|---|---:|\n");
  for (int threads : thread_counts) {
    autoconv::Options o;
    o.threads = threads;
    auto batch = [&](autoconv::Method m) {
      o.method = m;
      autoconv::convolve<double>(xv, hv, autoconv::Mode::Same, View<double>(y.data(), Shape{n}), o);
    };
    auto stream = [&] {
      o.method = autoconv::Method::Auto;
      autoconv::Stream<double> s(hv, autoconv::Mode::Same, o);
      index_t at = 0;  // outputs go straight to their place in z, as into a caller's buffer
      for (index_t i = 0; i < n; i += chunk) {
        const index_t c = std::min(chunk, n - i);
        at += s.push(View<const double>(x.data() + i, Shape{c}), View<double>(z.data() + at, Shape{s.output_size(c)}));
      }
      s.finish(View<double>(z.data() + at, Shape{s.finish_size()}));
      return s.block_length();
    };
    // One warm-up of each (FFTW plans cached), then the three interleaved, so that a
    // busy spell of the machine hits all of them alike.
    batch(autoconv::Method::OverlapAdd);
    if (with_fft) batch(autoconv::Method::FFT);
    const index_t F = stream();
    std::vector<double> t_ola, t_fft, t_st;
    for (int r = 0; r < reps; ++r) {
      auto t0 = Clock::now();
      batch(autoconv::Method::OverlapAdd);
      t_ola.push_back(ms_since(t0));
      if (with_fft) {
        t0 = Clock::now();
        batch(autoconv::Method::FFT);
        t_fft.push_back(ms_since(t0));
      }
      t0 = Clock::now();
      stream();
      t_st.push_back(ms_since(t0));
    }
    const double ola = median(t_ola), fft = with_fft ? median(t_fft) : 0, st = median(t_st);
    double worst = 0;  // stream against batch, a sanity check of the numbers timed
    for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - z[i]));
    const double best = with_fft ? std::min(ola, fft) : ola;
    char fcol[32] = "-";
    if (with_fft) std::snprintf(fcol, sizeof fcol, "%.1f", fft);
    std::printf("| %d | %.1f | %s | %.1f | %.1f-%.1f | F = %ld | %.2f |\n", threads, ola, fcol, st,
                *std::min_element(t_st.begin(), t_st.end()), *std::max_element(t_st.begin(), t_st.end()),
                static_cast<long>(F), best / st);
    std::fflush(stdout);
    if (worst > 1e-9) std::fprintf(stderr, "stream and batch differ by %g\n", worst);
  }
  return 0;
}
