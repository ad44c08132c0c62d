// test/test_examples.cpp: runs the three reference example programs and checks
// every value they print against REFERENCE_EXAMPLES.md (test/data/reference_examples.txt).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common.hpp"

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE_MESSAGE(p != nullptr, "cannot run ", cmd);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  CHECK_MESSAGE(pclose(p) == 0, cmd, " failed");
  return out;
}

// Numbers printed after the result's label ("same =" or "out ="), brackets skipped.
std::vector<double> result_numbers(const std::string& text) {
  std::size_t at = text.rfind("same =");
  if (at == std::string::npos) at = text.rfind("out =");
  REQUIRE(at != std::string::npos);
  std::string body = text.substr(text.find('=', at) + 1);
  for (char& c : body)
    if (c == '[' || c == ']') c = ' ';
  std::istringstream is(body);
  std::vector<double> v;
  for (double x; is >> x;) v.push_back(x);
  return v;
}

}  // namespace

TEST_CASE("the reference example programs print REFERENCE_EXAMPLES.md's outputs") {
  std::ifstream f(env_or("AUTOCONV_TEST_DATA", "test/data") + "/reference_examples.txt");
  REQUIRE(f.good());
  const std::string dir = env_or("AUTOCONV_EXAMPLES_DIR", "examples");
  int checked = 0;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("example ", 0) != 0) continue;
    std::istringstream head(line.substr(8));
    std::string name;
    double tol = 0;
    std::size_t count = 0;
    head >> name >> tol >> count;
    std::vector<double> expect(count);
    for (auto& x : expect) f >> x;
    const auto got = result_numbers(run(dir + "/" + name));
    REQUIRE_MESSAGE(got.size() == expect.size(), name);
    double worst = 0;
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - expect[i]));
    CHECK_MESSAGE(worst <= tol, name, ": max |printed - expected| = ", worst);
    ++checked;
  }
  CHECK(checked == 3);
}
