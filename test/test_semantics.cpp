#include "common.hpp"
TEST_CASE("placeholder") { CHECK(true); }
