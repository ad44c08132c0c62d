// explain: what Method::Auto would choose for a problem given by shapes, and why.
//
//   explain 256x256x256 9x9x9 same            (signal style: full | same | valid)
//   explain 2048x2048 31x31 reflect           (image style: reflect | mirror | nearest | wrap | constant)
//   explain 1000000 3001 same --type float --threads 1 --memory-limit 64M
//
// Prints the cost model's table: every method with its predicted time and working
// memory, the chosen one marked with '*', and why each other one lost.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <autoconv/autoconv.hpp>

namespace {

autoconv::Shape parse_shape(const std::string& s) {
  std::vector<long> v;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const std::size_t x = s.find('x', pos);
    const std::string part = s.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    char* end = nullptr;
    const long n = std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || n <= 0) throw std::invalid_argument("bad shape '" + s + "' (use e.g. 256x256)");
    v.push_back(n);
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  return autoconv::Shape(v);
}

std::size_t parse_bytes(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  const std::string unit = end;
  if (unit == "K" || unit == "k") v *= 1024.0;
  else if (unit == "M") v *= 1024.0 * 1024;
  else if (unit == "G") v *= 1024.0 * 1024 * 1024;
  else if (!unit.empty()) throw std::invalid_argument("bad size '" + s + "' (use e.g. 512M)");
  return static_cast<std::size_t>(v);
}

template <class T>
autoconv::Decision run(const autoconv::Shape& in, const autoconv::Shape& k, const std::string& how,
                       const autoconv::Options& o) {
  using autoconv::Boundary;
  if (how == "full") return autoconv::explain<T>(in, k, autoconv::Mode::Full, o);
  if (how == "same") return autoconv::explain<T>(in, k, autoconv::Mode::Same, o);
  if (how == "valid") return autoconv::explain<T>(in, k, autoconv::Mode::Valid, o);
  const Boundary b = how == "reflect" ? Boundary::Reflect
                     : how == "mirror" ? Boundary::Mirror
                     : how == "nearest" ? Boundary::Nearest
                     : how == "wrap" ? Boundary::Wrap
                     : how == "constant" ? Boundary::Constant
                                         : throw std::invalid_argument("unknown mode or border '" + how + "'");
  return autoconv::explain<T>(in, k, autoconv::Border{b}, o);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: explain INPUT KERNEL MODE [--type float|double|complex64|complex128] [--threads N]\n"
                 "               [--memory-limit BYTES[K|M|G]] [--reuse]\n"
                 "  INPUT, KERNEL: extents like 256x256x256; MODE: full|same|valid or a border\n"
                 "  (reflect|mirror|nearest|wrap|constant). --reuse: a Plan executed many times\n"
                 "  (default: a one-shot call, whose setup counts).\n");
    return 2;
  }
  try {
    const autoconv::Shape in = parse_shape(argv[1]), k = parse_shape(argv[2]);
    const std::string how = argv[3];
    std::string type = "double";
    autoconv::Options o;
    o.planning = autoconv::Planning::Estimate;  // what a one-shot convolve plans with
    for (int i = 4; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--type" && i + 1 < argc) type = argv[++i];
      else if (a == "--threads" && i + 1 < argc) o.threads = std::atoi(argv[++i]);
      else if (a == "--memory-limit" && i + 1 < argc) o.memory_limit = parse_bytes(argv[++i]);
      else if (a == "--reuse") o.planning = autoconv::Planning::Measure;
      else throw std::invalid_argument("unknown argument '" + a + "'");
    }
    autoconv::Decision d;
    if (type == "double") d = run<double>(in, k, how, o);
    else if (type == "float") d = run<float>(in, k, how, o);
    else if (type == "complex64") d = run<std::complex<float>>(in, k, how, o);
    else if (type == "complex128") d = run<std::complex<double>>(in, k, how, o);
    else throw std::invalid_argument("unknown type '" + type + "'");
    std::cout << d;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "explain: %s\n", e.what());
    return 1;
  }
  return 0;
}
