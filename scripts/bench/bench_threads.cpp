// bench_threads: 2 threads against 1 for every method, on reused plans (issue 4's
// grid): 3-D 128^3 and 256^3 with 5^3 and 9^3 kernels, 2-D 2048^2 with 7^2 and
// 31^2, double and float, mode 'same'. Prints a Markdown table of medians.
// --scaling 1,4,8,16: Method::Direct alone at each of those thread counts, on shapes
// whose slabs are few (a short axis 0, a short 1-D signal) as well as large ones.
//
//   bench_threads [--reps N] [--threads T] [--quick] [--scaling 1,4,8,16]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <autoconv/autoconv.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using autoconv::index_t;

template <class T>
double time_ms(const std::vector<index_t>& n, const std::vector<index_t>& m, autoconv::Method method, int threads,
               int reps) {
  std::size_t nx = 1, nk = 1;
  for (index_t v : n) nx *= static_cast<std::size_t>(v);
  for (index_t v : m) nk *= static_cast<std::size_t>(v);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> x(nx), k(nk), y(nx);
  for (auto& v : x) v = static_cast<T>(u(rng));
  for (auto& v : k) v = static_cast<T>(u(rng));
  autoconv::Options o;
  o.method = method;
  o.threads = threads;
  o.planning = autoconv::Planning::Measure;
  const autoconv::Plan<T> plan(autoconv::Operation::Convolve, autoconv::Shape(n),
                               autoconv::View<const T>(k.data(), autoconv::Shape(m)), autoconv::Mode::Same, o);
  const autoconv::View<const T> in(x.data(), autoconv::Shape(n));
  const autoconv::View<T> out(y.data(), autoconv::Shape(n));
  plan.execute(in, out);
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    plan.execute(in, out);
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::string shape(const std::vector<index_t>& s) {
  std::string r;
  for (index_t v : s) r += (r.empty() ? "" : "x") + std::to_string(v);
  return r;
}

// Method::Direct at each thread count in `threads`; the speed-up is first over last.
void scaling(const std::vector<int>& threads, int reps) {
  struct Case {
    std::vector<index_t> n, m;
    bool single;
  };
  const Case cases[] = {{{128, 128, 128}, {9, 9, 9}, false}, {{128, 128, 128}, {9, 9, 9}, true},
                        {{128, 128, 128}, {5, 5, 5}, false}, {{256, 256, 256}, {9, 9, 9}, false},
                        {{64, 64, 64}, {9, 9, 9}, false},    {{512, 512}, {15, 15}, false},
                        {{100000}, {1001}, false},           {{12000}, {2001}, false}};
  std::printf("Method::Direct, reused plans, mode 'same', median of %d executes\n\n| input | kernel | type |", reps);
  for (int t : threads) std::printf(" %d thread%s (ms) |", t, t == 1 ? "" : "s");
  std::printf(" speed-up %d / %d |\n|---|---|---|", threads.back(), threads.front());
  for (std::size_t i = 0; i <= threads.size(); ++i) std::printf("---:|");
  std::printf("\n");
  const auto direct = autoconv::Method::Direct;
  for (const auto& c : cases) {
    std::printf("| %s | %s | %s |", shape(c.n).c_str(), shape(c.m).c_str(), c.single ? "float" : "double");
    double first = 0, last = 0;
    for (int t : threads) {
      last = c.single ? time_ms<float>(c.n, c.m, direct, t, reps) : time_ms<double>(c.n, c.m, direct, t, reps);
      if (t == threads.front()) first = last;
      std::printf(" %.2f |", last);
      std::fflush(stdout);
    }
    std::printf(" %.2fx |\n", first / last);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5, threads = 2;
  bool quick = false;
  std::vector<int> scale;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--scaling" && i + 1 < argc) {
      std::stringstream ss(argv[++i]);
      for (std::string t; std::getline(ss, t, ',');) scale.push_back(std::max(1, std::atoi(t.c_str())));
    } else {
      std::fprintf(stderr, "usage: %s [--reps N] [--threads T] [--quick] [--scaling 1,4,8,16]\n", argv[0]);
      return 2;
    }
  }
  if (!scale.empty()) {
    scaling(scale, reps);
    return 0;
  }
  struct Case {
    std::vector<index_t> n, m;
  };
  std::vector<Case> cases = {{{128, 128, 128}, {5, 5, 5}}, {{128, 128, 128}, {9, 9, 9}}, {{256, 256, 256}, {5, 5, 5}},
                             {{256, 256, 256}, {9, 9, 9}}, {{2048, 2048}, {7, 7}},       {{2048, 2048}, {31, 31}}};
  if (quick) cases = {{{64, 64, 64}, {5, 5, 5}}, {{512, 512}, {7, 7}}};
  const autoconv::Method methods[] = {autoconv::Method::Direct, autoconv::Method::FFT, autoconv::Method::OverlapAdd};
  std::printf("| case | type | method | 1 thread (ms) | %d threads (ms) | speedup |\n|---|---|---|---:|---:|---:|\n",
              threads);
  for (const auto& c : cases)
    for (int is_float = 0; is_float < 2; ++is_float)
      for (auto m : methods) {
        std::string name = std::to_string(c.n[0]) + "^" + std::to_string(c.n.size()) + ", k " + std::to_string(c.m[0]) +
                           "^" + std::to_string(c.m.size());
        const double t1 = is_float ? time_ms<float>(c.n, c.m, m, 1, reps) : time_ms<double>(c.n, c.m, m, 1, reps);
        const double t2 =
            is_float ? time_ms<float>(c.n, c.m, m, threads, reps) : time_ms<double>(c.n, c.m, m, threads, reps);
        std::printf("| %s | %s | %s | %.2f | %.2f | %.2fx |\n", name.c_str(), is_float ? "float" : "double",
                    autoconv::to_string(m), t1, t2, t1 / t2);
        std::fflush(stdout);
      }
  return 0;
}
