// lib/core/format.hpp: numbers in messages and tables, one spelling everywhere.
#pragma once

#include <cstdio>
#include <string>

namespace autoconv::detail {

// A byte count for people: "600 bytes", "12 KiB", "2.3 MiB", "1.25 GiB".
inline std::string bytes_str(double b) {
  constexpr double KiB = 1024.0, MiB = KiB * 1024, GiB = MiB * 1024;
  char buf[48];
  if (b >= GiB)
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / GiB);
  else if (b >= MiB)
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / MiB);
  else if (b >= KiB)
    std::snprintf(buf, sizeof buf, "%.0f KiB", b / KiB);
  else
    std::snprintf(buf, sizeof buf, "%.0f bytes", b);
  return buf;
}

}  // namespace autoconv::detail
