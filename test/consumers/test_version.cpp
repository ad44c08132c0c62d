// test/consumers/test_version.cpp: the version macros of the generated autoconv/version.hpp
// agree with the compiled library's autoconv::version() and with each other.
#include <autoconv/autoconv.hpp>
#include <autoconv/version.hpp>

#include <string>

#include <doctest/doctest.h>

TEST_CASE("AUTOCONV_VERSION_STRING equals autoconv::version() of the library") {
  CHECK(std::string(autoconv::version()) == AUTOCONV_VERSION_STRING);
}

TEST_CASE("the version macros spell AUTOCONV_VERSION_STRING") {
  const std::string parts = std::to_string(AUTOCONV_VERSION_MAJOR) + "." + std::to_string(AUTOCONV_VERSION_MINOR) +
                            "." + std::to_string(AUTOCONV_VERSION_PATCH);
  CHECK(parts == AUTOCONV_VERSION_STRING);
  CHECK(AUTOCONV_VERSION_NUMBER ==
        AUTOCONV_VERSION_MAJOR * 10000 + AUTOCONV_VERSION_MINOR * 100 + AUTOCONV_VERSION_PATCH);
}
