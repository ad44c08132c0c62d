// test/test_reference.cpp: every case of test/data/reference_cases.txt (made by
// scripts/make_reference.py with Debian's numpy 1.24 / scipy 1.10) through the
// raw-view API and Eigen tensors of both layouts, within the bound of common.hpp.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "calls.hpp"

using namespace testing;

namespace {

struct RawCase {
  std::string name, op, style, mode, boundary, dtype, error;
  double cval = 0;
  std::vector<index_t> origin;
  Shape in, kernel, expect;
  std::vector<double> in_v, kernel_v, expect_v;  // complex: re, im pairs
};

std::string data_path() {
  const char* dir = std::getenv("AUTOCONV_TEST_DATA");
  return std::string(dir ? dir : "test/data") + "/reference_cases.txt";
}

Shape read_shape(std::istream& is) {
  int r = 0;
  is >> r;
  std::vector<index_t> d(static_cast<std::size_t>(r));
  for (auto& e : d) is >> e;
  return Shape(d);
}

std::vector<double> read_values(std::istream& is, const Shape& s, bool cplx) {
  std::vector<double> v(numel(s) * (cplx ? 2 : 1));
  for (auto& x : v) {
    std::string tok;
    is >> tok;
    x = std::strtod(tok.c_str(), nullptr);  // handles nan/inf spellings too
  }
  return v;
}

std::vector<RawCase> load() {
  std::ifstream f(data_path());
  REQUIRE_MESSAGE(f.good(), "cannot open ", data_path());
  std::stringstream body;
  for (std::string line; std::getline(f, line);)
    if (line.empty() || line[0] != '#') body << line << '\n';
  std::vector<RawCase> cases;
  RawCase c;
  for (std::string key; body >> key;) {
    if (key == "case") {
      c = RawCase{};
      body >> c.name;
    } else if (key == "op") {
      body >> c.op;
    } else if (key == "style") {
      body >> c.style;
    } else if (key == "mode") {
      body >> c.mode;
    } else if (key == "boundary") {
      body >> c.boundary;
    } else if (key == "cval") {
      body >> c.cval;
    } else if (key == "origin") {
      int n = 0;
      body >> n;
      c.origin.resize(static_cast<std::size_t>(n));
      for (auto& o : c.origin) body >> o;
    } else if (key == "dtype") {
      body >> c.dtype;
    } else if (key == "input" || key == "kernel" || key == "expect") {
      const bool cplx = c.dtype.rfind("complex", 0) == 0;
      if (key == "expect" && body.peek() != EOF) {
        // "expect error WORD" or "expect RANK D..."
        std::string first;
        body >> first;
        if (first == "error") {
          body >> c.error;
          continue;
        }
        int r = std::stoi(first);
        std::vector<index_t> d(static_cast<std::size_t>(r));
        for (auto& e : d) body >> e;
        c.expect = Shape(d);
        c.expect_v = read_values(body, c.expect, cplx);
        continue;
      }
      Shape s = read_shape(body);
      (key == "input" ? c.in : c.kernel) = s;
      (key == "input" ? c.in_v : c.kernel_v) = read_values(body, s, cplx);
    } else if (key == "end") {
      cases.push_back(c);
    } else {
      FAIL("unexpected token in reference file: ", key, " after case ", c.name);
    }
  }
  return cases;
}

template <class T>
Array<T> to_array(const Shape& s, const std::vector<double>& v) {
  Array<T> a(s);
  for (std::size_t i = 0; i < a.v.size(); ++i) {
    if constexpr (is_complex_v<T>)
      a.v[i] = T(static_cast<real_t<T>>(v[2 * i]), static_cast<real_t<T>>(v[2 * i + 1]));
    else
      a.v[i] = static_cast<T>(v[i]);
  }
  return a;
}

Spec to_spec(const RawCase& c) {
  Spec s;
  s.correlate = c.op == "correlate";
  s.style = c.style == "image" ? 2 : c.boundary == "none" ? 0 : 1;
  s.mode = c.mode == "full" ? Mode::Full : c.mode == "valid" ? Mode::Valid : Mode::Same;
  const std::string& b = c.boundary;
  s.border.boundary = b == "reflect"   ? Boundary::Reflect
                      : b == "mirror"  ? Boundary::Mirror
                      : b == "nearest" ? Boundary::Nearest
                      : b == "wrap"    ? Boundary::Wrap
                                       : Boundary::Constant;
  s.border.cval = c.cval;
  if (s.style == 2) s.border.origin = c.origin;
  return s;
}

// Runs one case for value type T; returns true when it was checked.
template <class T>
void run_case(const RawCase& c) {
  const Spec s = to_spec(c);
  const auto x = to_array<T>(c.in, c.in_v);
  const auto k = to_array<T>(c.kernel, c.kernel_v);
  const std::string what = c.name + ": " + describe(s, c.in, c.kernel);
  if (!c.error.empty()) {
    // The output must be untouched by a failing call.
    Array<T> out(c.in);
    for (auto& v : out.v) v = T(42);
    CHECK_THROWS_WITH_AS_MESSAGE(call_view<T>(s, x.view(), k.view(), out.view()), doctest::Contains(c.error.c_str()),
                                 autoconv::error, what);
    CHECK(std::all_of(out.v.begin(), out.v.end(), [](const T& v) { return v == T(42); }));
    return;
  }
  const auto expect = to_array<T>(c.expect, c.expect_v);
  Array<wide_t<T>> ref(expect.shape);
  for (std::size_t i = 0; i < ref.v.size(); ++i) ref.v[i] = wide_t<T>(expect.v[i]);
  const double atol = error_bound(x, k, s.border.cval);
  Array<T> out(expect.shape);
  call_view<T>(s, x.view(), k.view(), out.view());
  CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= atol, what);
  check_eigen_rank(s, x, k, ref, atol, what);
  // Every method gives scipy's numbers (the FFT methods within their own bound).
  for (auto m : {autoconv::Method::FFT, autoconv::Method::OverlapAdd}) {
    autoconv::Options o;
    o.method = m;
    Array<T> o2(expect.shape);
    call_view<T>(s, x.view(), k.view(), o2.view(), o);
    CHECK_MESSAGE(max_abs_diff<T>(o2.view(), ref) <= fft_bound(x, k, s.border.cval), what, " ",
                  autoconv::to_string(m));
  }
}

}  // namespace

TEST_CASE("every scipy reference case matches, every value type, both layouts") {
  const auto cases = load();
  REQUIRE(cases.size() >= 600);
  std::size_t by_type[4] = {0, 0, 0, 0}, errors = 0;
  for (const auto& c : cases) {
    if (!c.error.empty()) ++errors;
    if (c.dtype == "float32") {
      run_case<float>(c);
      ++by_type[0];
    } else if (c.dtype == "float64") {
      run_case<double>(c);
      ++by_type[1];
    } else if (c.dtype == "complex64") {
      run_case<std::complex<float>>(c);
      ++by_type[2];
    } else if (c.dtype == "complex128") {
      run_case<std::complex<double>>(c);
      ++by_type[3];
    } else {
      FAIL("unknown dtype ", c.dtype, " in case ", c.name);
    }
  }
  MESSAGE("cases: float32 ", by_type[0], ", float64 ", by_type[1], ", complex64 ", by_type[2], ", complex128 ",
          by_type[3], ", expected errors ", errors);
  for (auto n : by_type) CHECK(n >= 100);
  CHECK(errors >= 20);
}
