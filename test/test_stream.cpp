// test/test_stream.cpp: Stream<T> pushed in random chunk sequences (sizes 1, 2, below
// the kernel length and up to 1e5) gives the batch call's numbers within the error
// bound: against the exact long-double reference for every form and border it
// supports, and against the batch call for kernels of 3, 101 and 10001 taps on 1 and 8
// channels; and its errors name the argument and leave the output untouched.
#include "common.hpp"

using namespace testing;
using autoconv::Border;
using autoconv::Boundary;
using autoconv::Method;
using autoconv::Mode;
using autoconv::Operation;
using autoconv::Stream;
using autoconv::View;

namespace {

// The next chunk length: 1, 2, below the kernel length, or up to 1e5 (never past `left`).
index_t next_chunk(std::mt19937_64& rng, index_t M, index_t left) {
  const int kind = static_cast<int>(rng() % 4);
  index_t n = 1;
  if (kind == 1) n = 2;
  if (kind == 2) n = 1 + static_cast<index_t>(rng() % static_cast<std::uint64_t>(std::max<index_t>(1, M - 1)));
  if (kind == 3) n = 1 + static_cast<index_t>(rng() % 100000);
  return std::min(n, left);
}

// Pushes the rows of x (channels x N, C order) in random chunks, half of them through
// push(chunk, out) into a strided buffer with exactly output_size(n) columns and half
// through the vector form; returns channels x (everything returned), C order.
template <class T>
Array<T> run_stream(Stream<T>& s, const Array<T>& x, std::mt19937_64& rng) {
  const index_t C = s.channels(), N = x.shape[x.shape.rank() - 1];
  std::vector<std::vector<T>> got(static_cast<std::size_t>(C));
  auto take = [&](const std::vector<T>& v, index_t count) {
    for (index_t c = 0; c < C; ++c)
      got[static_cast<std::size_t>(c)].insert(got[static_cast<std::size_t>(c)].end(), v.begin() + c * count,
                                              v.begin() + (c + 1) * count);
  };
  index_t at = 0;
  while (at < N) {
    const index_t n = next_chunk(rng, s.kernel_size(), N - at);
    const View<const T> chunk = C == 1 && (rng() & 1) ? View<const T>(x.v.data() + at, Shape{n}, Shape{1})
                                                      : View<const T>(x.v.data() + at, Shape{C, n}, Shape{N, 1});
    const index_t count = s.output_size(n);
    REQUIRE(count <= s.max_output_size(n));
    if (rng() & 1) {
      take(s.push(chunk), count);
    } else {  // column-major output: channel stride 1, sample stride C
      std::vector<T> buf(static_cast<std::size_t>(C * count + 1));
      const View<T> out(buf.data(), Shape{C, count}, Shape{1, C});
      REQUIRE(s.push(chunk, out) == count);
      std::vector<T> v(static_cast<std::size_t>(C * count));
      for (index_t c = 0; c < C; ++c)
        for (index_t j = 0; j < count; ++j) v[static_cast<std::size_t>(c * count + j)] = buf[static_cast<std::size_t>(j * C + c)];
      take(v, count);
    }
    at += n;
  }
  REQUIRE(s.samples_in() == N);
  const index_t rest = s.finish_size();
  take(s.finish(), rest);
  REQUIRE(s.finished());
  const index_t L = static_cast<index_t>(got[0].size());
  Array<T> out(x.shape.rank() == 1 ? Shape{L} : Shape{C, L});
  for (index_t c = 0; c < C; ++c)
    std::copy(got[static_cast<std::size_t>(c)].begin(), got[static_cast<std::size_t>(c)].end(), out.v.begin() + c * L);
  REQUIRE(s.samples_out() == L);
  return out;
}

// One case against the exact reference: style 0 signal, 1 signal with border, 2 image.
template <class T>
void check_exact(bool correlate, int style, Mode mode, const Border& border, index_t N, index_t M, Method method,
                 std::mt19937_64& rng) {
  const auto x = random_array<T>(Shape{N}, rng);
  const auto k = random_array<T>(Shape{M}, rng);
  autoconv::Options o;
  o.method = method;
  o.planning = autoconv::Planning::Estimate;
  const Operation op = correlate ? Operation::Correlate : Operation::Convolve;
  Stream<T> s = style == 0   ? Stream<T>(op, k.view(), mode, o)
                : style == 1 ? Stream<T>(op, k.view(), mode, border, o)
                             : Stream<T>(op, k.view(), border, o);
  const Ext e = style == 0 ? Ext::Zero : to_ext(border.boundary);
  const auto ref = style == 2 ? reference_image(correlate, x, k, e, border.cval, border.origin)
                              : reference_signal(correlate, x, k, mode, e, border.cval);
  for (int rep = 0; rep < 2; ++rep) {  // the second signal after reset()
    const auto got = run_stream(s, x, rng);
    // Overlap-save: P = the transform length F, which may exceed fft_bound's 2 (N + M) for short signals.
    const double P = std::max<double>(static_cast<double>(s.block_length()), 2.0 * static_cast<double>(N + M));
    const double atol = s.method() == Method::Direct ? error_bound(x, k, border.cval) : error_bound(x, k, border.cval, P);
    const double err = max_abs_diff(got.view(), ref);
    CHECK_MESSAGE(err <= atol, type_name<T>(), (correlate ? " correlate" : " convolve"), " style ", style,
                  " mode=", std::string(autoconv::to_string(mode)), " border=", std::string(autoconv::to_string(border.boundary)),
                  " origin=", border.origin.empty() ? 0 : border.origin[0], " N=", N, " M=", M, " ",
                  std::string(autoconv::to_string(s.method())), " err ", err, " > ", atol);
    s.reset();
  }
}

}  // namespace

TEST_CASE_TEMPLATE("stream = exact reference, every mode and border it supports", T, float, double,
                   std::complex<float>, std::complex<double>) {
  std::mt19937_64 rng(61);
  for (Method method : {Method::Direct, Method::OverlapAdd})
    for (index_t M : {1, 3, 4, 101})
      for (index_t N : {1, 2, 5, 100, 101, 3000}) {
        for (Mode mode : {Mode::Full, Mode::Same, Mode::Valid}) {
          check_exact<T>(false, 0, mode, {}, N, M, method, rng);
          check_exact<T>(true, 0, mode, {}, N, M, method, rng);
        }
        for (Boundary b : {Boundary::Constant, Boundary::Reflect, Boundary::Mirror, Boundary::Nearest}) {
          const Border sig{b, 0.75};
          check_exact<T>(rng() & 1, 1, Mode::Same, sig, N, M, method, rng);
          check_exact<T>(rng() & 1, 1, Mode::Full, sig, N, M, method, rng);
          check_exact<T>(rng() & 1, 1, Mode::Valid, sig, N, M, method, rng);
          if (b == Boundary::Nearest)  // 'valid' never reads the border: Wrap is accepted there
            check_exact<T>(rng() & 1, 1, Mode::Valid, Border{Boundary::Wrap}, N, M, method, rng);
          for (index_t origin : {-(M / 2), index_t(0), (M - 1) / 2}) {
            const Border img{b, -0.5, {origin}};
            check_exact<T>(rng() & 1, 2, Mode::Same, img, N, M, method, rng);
          }
        }
      }
}

TEST_CASE_TEMPLATE("stream = batch for kernels 3, 101, 10001, 1 and 8 channels, random chunks", T, float, double) {
  std::mt19937_64 rng(62);
  for (index_t M : {3, 101, 10001})
    for (index_t C : {1, 8})
      for (Mode mode : {Mode::Full, Mode::Same}) {
        const index_t N = C == 1 ? 300000 : 60000;
        const auto x = random_array<T>(Shape{C, N}, rng);
        const auto k = random_array<T>(Shape{M}, rng);
        autoconv::Options o;
        o.planning = autoconv::Planning::Estimate;
        Stream<T> s(k.view(), mode, o, C);
        const auto got = run_stream(s, x, rng);
        // The batch call on channels x time (kernel (1, M) along axis 1).
        autoconv::Options bo;
        bo.axes.push_back(1);  // (an initializer list here trips GCC 12's -Wnonnull)
        bo.method = M > 200 ? Method::OverlapAdd : Method::Direct;
        const Array<T> k2 = [&] {
          Array<T> a(Shape{1, M});
          a.v = k.v;
          return a;
        }();
        Array<T> want(Shape{C, mode == Mode::Full ? N + M - 1 : N});
        autoconv::convolve<T>(x.view(), k2.view(), mode, want.view(), bo);
        Array<T> xb(Shape{N});  // for the bound: N samples whose max|x| is that of every channel
        for (const auto& v : x.v) xb.v[0] = std::max<real_t<T>>(std::abs(xb.v[0]), std::abs(v));
        const bool direct = s.method() == Method::Direct && bo.method == Method::Direct;
        const double atol = direct ? error_bound(xb, k) : fft_bound(xb, k);
        const double err = max_abs_diff(got.view(), want);
        CHECK_MESSAGE(err <= atol, type_name<T>(), " M=", M, " channels=", C, " mode=", std::string(autoconv::to_string(mode)),
                      " ", std::string(autoconv::to_string(s.method())), " F=", s.block_length(), " err ", err, " > ", atol);
      }
}

TEST_CASE("stream: the cost model takes FFT blocks for long kernels, direct sums for short ones") {
  std::vector<double> k3(3, 1.0), k10001(10001, 1.0);
  const Stream<double> a(View<const double>(k3.data(), Shape{3}), Mode::Same);
  CHECK(a.method() == Method::Direct);
  CHECK(a.block_length() == 0);
  const Stream<double> b(View<const double>(k10001.data(), Shape{10001}), Mode::Same);
  CHECK(b.method() == Method::OverlapAdd);
  CHECK(b.block_length() >= 2 * 10001);
  // A forced FFT streams by the same overlap-save blocks (a whole-signal transform
  // cannot be streamed); forced Direct sums directly whatever the kernel.
  autoconv::Options fft, direct;
  fft.method = Method::FFT;
  direct.method = Method::Direct;
  const Stream<double> c(View<const double>(k3.data(), Shape{3}), Mode::Same, fft);
  CHECK(c.method() == Method::OverlapAdd);
  CHECK(c.block_length() >= 2 * 3);
  const Stream<double> d(View<const double>(k10001.data(), Shape{10001}), Mode::Same, direct);
  CHECK(d.method() == Method::Direct);
}

TEST_CASE("stream: with more threads than channels, blocks run several at once, with the same numbers") {
  std::mt19937_64 rng(64);
  const index_t M = 10001, N = 500000;
  const auto k = random_array<double>(Shape{M}, rng);
  const auto x = random_array<double>(Shape{1, N}, rng);
  autoconv::Options one, two;
  one.threads = 1;
  two.threads = 2;
  Stream<double> s1(k.view(), Mode::Same, one), s2(k.view(), Mode::Same, two);
  REQUIRE(s2.method() == Method::OverlapAdd);
  const index_t B = s2.block_length() - M + 1;
  CHECK(s1.latency() == B);
  CHECK(s2.latency() == 2 * B);  // two blocks of the one channel at a time
  CHECK(s2.max_output_size(7) == 7 + M - 1 + 2 * B);
  // Outputs come two blocks at a time ('same' feeds (M - 1) / 2 zeros first), and every
  // number equals the one-thread stream's.
  CHECK(s1.output_size(B + (M - 1) / 2) == B);
  CHECK(s2.output_size(B + (M - 1) / 2) == 0);
  CHECK(s2.output_size(2 * B + (M - 1) / 2 - 1) == 0);
  CHECK(s2.output_size(2 * B + (M - 1) / 2) == 2 * B);
  const auto a = run_stream(s1, x, rng), b = run_stream(s2, x, rng);
  REQUIRE(a.v.size() == b.v.size());
  CHECK(std::memcmp(a.v.data(), b.v.data(), a.v.size() * sizeof(double)) == 0);
  // Eight channels on two threads: channels run in parallel, blocks one at a time.
  const Stream<double> s8(k.view(), Mode::Same, two, 8);
  CHECK(s8.latency() == B);
  // Two channels on four threads: the channels in parallel and each one's blocks two at
  // a time; the numbers are still the one-thread stream's.
  autoconv::Options four;
  four.threads = 4;
  const auto x2 = random_array<double>(Shape{2, 300000}, rng);
  Stream<double> c1(k.view(), Mode::Same, one, 2), c4(k.view(), Mode::Same, four, 2);
  REQUIRE(c4.block_length() == s2.block_length());
  CHECK(c4.latency() == 2 * B);
  const auto a2 = run_stream(c1, x2, rng), b2 = run_stream(c4, x2, rng);
  REQUIRE(a2.v.size() == b2.v.size());
  CHECK(std::memcmp(a2.v.data(), b2.v.data(), a2.v.size() * sizeof(double)) == 0);
}

TEST_CASE("stream: direct sums return every final sample at once; Reflect waits for its left extension") {
  std::vector<double> k(5, 1.0), x(1, 1.0), out(8, 0.0);
  const View<const double> kv(k.data(), Shape{5});
  Stream<double> full(kv, Mode::Full);  // output i needs x[0..i]
  for (int i = 0; i < 10; ++i) CHECK(full.push(View<const double>(x.data(), Shape{1}), View<double>(out.data(), Shape{8})) == 1);
  Stream<double> same(kv, Mode::Same);  // output i needs x[0..i+2]
  CHECK(same.output_size(1) == 0);
  CHECK(same.output_size(3) == 1);
  Stream<double> refl(Operation::Convolve, kv, Border{Boundary::Reflect});  // x_ext[-2..-1] = x[1], x[0]
  CHECK(refl.output_size(1) == 0);
  CHECK(refl.output_size(4) == 2);
  CHECK(refl.finish_size() == 0);
}

TEST_CASE("stream errors name the argument and leave the output and the stream untouched") {
  std::vector<double> k(5, 1.0), x(64, 1.0), out(64, -7.0);
  const View<const double> kv(k.data(), Shape{5});
  auto throws = [](auto&& f, const char* fragment) {
    CHECK_THROWS_WITH_AS(f(), doctest::Contains(fragment), autoconv::error);
  };
  throws([&] { Stream<double>(View<const double>(k.data(), Shape{1, 5}), Mode::Same); }, "1-D kernel");
  throws([&] { Stream<double>(View<const double>(k.data(), Shape{0}), Mode::Same); }, "kernel is empty");
  throws([&] { Stream<double>(Operation::Convolve, kv, Border{Boundary::Wrap}); }, "Boundary::Wrap");
  throws([&] { Stream<double>(Operation::Convolve, kv, Mode::Same, Border{Boundary::Wrap}); },
         "or the batch call (kernel (5,))");
  throws([&] { Stream<double>(kv, Mode::Same, {}, 0); }, "channels = 0");
  throws([&] { Stream<double>(Operation::Convolve, kv, Border{Boundary::Reflect, 0, {3}}); },
         "autoconv::Stream: origin 3 on axis 0 is out of range [-2, 2] for kernel extent 5 (kernel (5,))");
  throws([&] { Stream<double>(Operation::Convolve, kv, Border{Boundary::Constant, std::nan("")}); }, "cval is NaN");
  throws([&] {
    autoconv::Options o;
    o.axes = {0};
    Stream<double>(kv, Mode::Same, o);
  }, "Options::axes does not apply to a Stream (it convolves the time axis of each channel; kernel (5,))");
  throws([&] {  // forced FFT blocks: a 10001-tap kernel's spectrum alone is ~160 KiB
    std::vector<double> long_k(10001, 1.0);
    autoconv::Options o;
    o.method = Method::OverlapAdd;
    o.memory_limit = 64 * 1024;
    Stream<double>(View<const double>(long_k.data(), Shape{10001}), Mode::Same, o);
  }, "FFT blocks for kernel (10001,) and 1 channel(s) need more than Options::memory_limit = 64 KiB");

  Stream<double> s(kv, Mode::Full, {}, 2);
  const View<const double> chunk(x.data(), Shape{2, 16});
  auto untouched = [&] {
    CHECK(std::all_of(out.begin(), out.end(), [](double v) { return v == -7.0; }));
    CHECK(s.samples_in() == 0);
  };
  throws([&] { s.push(View<const double>(x.data(), Shape{3, 16}), View<double>(out.data(), Shape{2, 32})); },
         "chunk has shape (3, 16) but the stream has 2 channel(s)");
  throws([&] { s.push(View<const double>(x.data(), Shape{32}), View<double>(out.data(), Shape{2, 32})); },
         "give shape (2, n)");
  throws([&] { s.push(chunk, View<double>(out.data(), Shape{2, 15})); }, "give at least 16 columns");
  throws([&] { s.push(chunk, View<double>(out.data(), Shape{32})); }, "out has shape (32,)");
  throws([&] { s.push(chunk, View<double>(x.data() + 8, Shape{2, 16})); }, "overlaps chunk");
  throws([&] { s.push(chunk, View<double>(out.data(), Shape{2, 16}, Shape{1, 1})); }, "overlap");
  throws([&] { s.push(View<const double>(x.data(), Shape{2, -3}, Shape{16, 1}), View<double>(out.data(), Shape{2, 32})); },
         "chunk has a negative extent, shape (2, -3)");
  throws([&] { s.push(chunk, View<double>(out.data(), Shape{2, -1}, Shape{32, 1})); },
         "out has a negative extent, shape (2, -1)");
  untouched();
  const index_t huge = std::numeric_limits<index_t>::max();
  throws([&] { (void)s.output_size(huge); }, "n = 9223372036854775807 is too large");
  throws([&] { (void)s.max_output_size(huge); }, "autoconv::Stream::max_output_size: n = 9223372036854775807");
  CHECK(s.output_size(-5) == 0);
  throws([&] { s.finish(View<double>(out.data(), Shape{2, 32})); }, "no samples were pushed");
  untouched();
  CHECK(s.push(chunk, View<double>(out.data(), Shape{2, 32})) == 16);
  CHECK(s.finish_size() == 4);
  throws([&] { s.finish(View<double>(out.data(), Shape{2, 3})); }, "give at least 4 columns");
  CHECK(s.finish(View<double>(out.data(), Shape{2, 4})) == 4);
  throws([&] { s.push(chunk, View<double>(out.data(), Shape{2, 32})); }, "after finish()");
  throws([&] { s.finish(); }, "called twice");
  s.reset();
  CHECK(s.samples_in() == 0);
  CHECK(s.push(chunk, View<double>(out.data(), Shape{2, 32})) == 16);
}

TEST_CASE_TEMPLATE("stream: a non-finite sample spoils exactly the outputs whose window holds it, as the batch call",
                   T, double, std::complex<double>) {
  std::mt19937_64 rng(63);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (Method method : {Method::Direct, Method::OverlapAdd})
    for (index_t M : {5, 101}) {
      auto x = random_array<T>(Shape{5000}, rng);
      const auto k = random_array<T>(Shape{M}, rng);
      if constexpr (is_complex_v<T>) {  // non-finite in the imaginary part only
        x.v[1234] = T(0.25, nan);
        x.v[4000] = T(-1.0, inf);
      } else {
        x.v[1234] = nan;
        x.v[4000] = inf;
      }
      autoconv::Options o;
      o.method = method;
      Stream<T> s(k.view(), Mode::Full, o);
      const auto got = run_stream(s, x, rng);
      o.method = Method::Direct;
      Array<T> want(Shape{5000 + M - 1});
      autoconv::convolve<T>(x.view(), k.view(), Mode::Full, want.view(), o);
      auto finite_x = x;
      finite_x.v[1234] = finite_x.v[4000] = T(0);
      const double atol = fft_bound(finite_x, k);
      index_t bad = 0;
      for (std::size_t i = 0; i < want.v.size(); ++i) {
        const bool fw = std::isfinite(std::abs(want.v[i]));
        REQUIRE(std::isfinite(std::abs(got.v[i])) == fw);
        if (fw)
          REQUIRE(std::abs(got.v[i] - want.v[i]) <= atol);
        else
          ++bad;
      }
      CHECK(bad == 2 * M);
    }
}
