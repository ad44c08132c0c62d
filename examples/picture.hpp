// examples/picture.hpp: just enough raster graphics for the picture examples: an RGB
// canvas, anti-aliased polylines, filled boxes, a 5x7 pixel font for captions and
// legends, grey-scale images from arrays, and PNG output through stb_image_write
// (Debian's libstb-dev). Examples only: the library never writes pictures.
//
// Include it from exactly one source file of a program: it carries stb's implementation.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO_ON_WINDOWS
#include <stb/stb_image_write.h>

namespace picture {

/// An 8-bit colour.
struct Rgb {
  std::uint8_t r, g, b;
};

inline constexpr Rgb white{255, 255, 255};
inline constexpr Rgb black{0, 0, 0};
inline constexpr Rgb dark_grey{60, 60, 60};
inline constexpr Rgb light_grey{190, 190, 190};
inline constexpr Rgb grid_grey{232, 232, 232};
inline constexpr Rgb blue{31, 119, 180};     // matplotlib's first two colours: distinct for
inline constexpr Rgb orange{255, 127, 14};   // most kinds of colour blindness

/// Columns of the 5x7 glyphs, bit 0 = top row (the classic HD44780-style font).
inline const std::uint8_t* glyph(char c) {
  static const char chars[] = " ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;-+=()/%^_'*<>[]";
  static const std::uint8_t cols[][5] = {
      {0x00, 0x00, 0x00, 0x00, 0x00},  // space
      {0x7C, 0x12, 0x11, 0x12, 0x7C}, {0x7F, 0x49, 0x49, 0x49, 0x36}, {0x3E, 0x41, 0x41, 0x41, 0x22},  // A B C
      {0x7F, 0x41, 0x41, 0x22, 0x1C}, {0x7F, 0x49, 0x49, 0x49, 0x41}, {0x7F, 0x09, 0x09, 0x09, 0x01},  // D E F
      {0x3E, 0x41, 0x49, 0x49, 0x7A}, {0x7F, 0x08, 0x08, 0x08, 0x7F}, {0x00, 0x41, 0x7F, 0x41, 0x00},  // G H I
      {0x20, 0x40, 0x41, 0x3F, 0x01}, {0x7F, 0x08, 0x14, 0x22, 0x41}, {0x7F, 0x40, 0x40, 0x40, 0x40},  // J K L
      {0x7F, 0x02, 0x0C, 0x02, 0x7F}, {0x7F, 0x04, 0x08, 0x10, 0x7F}, {0x3E, 0x41, 0x41, 0x41, 0x3E},  // M N O
      {0x7F, 0x09, 0x09, 0x09, 0x06}, {0x3E, 0x41, 0x51, 0x21, 0x5E}, {0x7F, 0x09, 0x19, 0x29, 0x46},  // P Q R
      {0x46, 0x49, 0x49, 0x49, 0x31}, {0x01, 0x01, 0x7F, 0x01, 0x01}, {0x3F, 0x40, 0x40, 0x40, 0x3F},  // S T U
      {0x1F, 0x20, 0x40, 0x20, 0x1F}, {0x3F, 0x40, 0x38, 0x40, 0x3F}, {0x63, 0x14, 0x08, 0x14, 0x63},  // V W X
      {0x07, 0x08, 0x70, 0x08, 0x07}, {0x61, 0x51, 0x49, 0x45, 0x43},                                  // Y Z
      {0x3E, 0x51, 0x49, 0x45, 0x3E}, {0x00, 0x42, 0x7F, 0x40, 0x00}, {0x42, 0x61, 0x51, 0x49, 0x46},  // 0 1 2
      {0x21, 0x41, 0x45, 0x4B, 0x31}, {0x18, 0x14, 0x12, 0x7F, 0x10}, {0x27, 0x45, 0x45, 0x45, 0x39},  // 3 4 5
      {0x3C, 0x4A, 0x49, 0x49, 0x30}, {0x01, 0x71, 0x09, 0x05, 0x03}, {0x36, 0x49, 0x49, 0x49, 0x36},  // 6 7 8
      {0x06, 0x49, 0x49, 0x29, 0x1E},                                                                  // 9
      {0x00, 0x60, 0x60, 0x00, 0x00}, {0x00, 0x80, 0x60, 0x00, 0x00}, {0x00, 0x36, 0x36, 0x00, 0x00},  // . , :
      {0x00, 0x56, 0x36, 0x00, 0x00}, {0x08, 0x08, 0x08, 0x08, 0x08}, {0x08, 0x08, 0x3E, 0x08, 0x08},  // ; - +
      {0x14, 0x14, 0x14, 0x14, 0x14}, {0x00, 0x1C, 0x22, 0x41, 0x00}, {0x00, 0x41, 0x22, 0x1C, 0x00},  // = ( )
      {0x20, 0x10, 0x08, 0x04, 0x02}, {0x23, 0x13, 0x08, 0x64, 0x62}, {0x04, 0x02, 0x01, 0x02, 0x04},  // / % ^
      {0x40, 0x40, 0x40, 0x40, 0x40}, {0x00, 0x00, 0x07, 0x00, 0x00}, {0x14, 0x08, 0x3E, 0x08, 0x14},  // _ ' *
      {0x08, 0x14, 0x22, 0x41, 0x00}, {0x00, 0x41, 0x22, 0x14, 0x08}, {0x00, 0x7F, 0x41, 0x41, 0x00},  // < > [
      {0x00, 0x41, 0x41, 0x7F, 0x00},                                                                  // ]
  };
  static_assert(sizeof cols / sizeof cols[0] == sizeof chars - 1, "one glyph per character");
  const char* at = std::strchr(chars, std::toupper(static_cast<unsigned char>(c)));
  return at && c ? cols[at - chars] : cols[0];
}

/// An RGB canvas, row 0 at the top.
class Canvas {
 public:
  Canvas(int width, int height, Rgb background = white)
      : w_(width), h_(height), px_(static_cast<std::size_t>(3 * width * height)) {
    fill_rect(0, 0, width, height, background);
  }
  int width() const { return w_; }
  int height() const { return h_; }

  /// Mixes `c` into pixel (x, y) with weight `alpha` in [0, 1]; outside the canvas: nothing.
  void blend(int x, int y, Rgb c, double alpha) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_ || alpha <= 0) return;
    alpha = std::min(alpha, 1.0);
    std::uint8_t* p = &px_[static_cast<std::size_t>(3 * (y * w_ + x))];
    const std::uint8_t src[3] = {c.r, c.g, c.b};
    for (int i = 0; i < 3; ++i) p[i] = static_cast<std::uint8_t>(std::lround(p[i] + alpha * (src[i] - p[i])));
  }
  void set(int x, int y, Rgb c) { blend(x, y, c, 1.0); }

  void fill_rect(int x, int y, int w, int h, Rgb c) {
    for (int j = y; j < y + h; ++j)
      for (int i = x; i < x + w; ++i) set(i, j, c);
  }
  void frame_rect(int x, int y, int w, int h, Rgb c) {
    fill_rect(x, y, w, 1, c);
    fill_rect(x, y + h - 1, w, 1, c);
    fill_rect(x, y, 1, h, c);
    fill_rect(x + w - 1, y, 1, h, c);
  }

  /// An anti-aliased polyline of the given width through (x[i], y[i]), in pixels. Each
  /// pixel takes the strongest coverage of any segment, so joints do not darken.
  void polyline(const std::vector<double>& x, const std::vector<double>& y, Rgb c, double width) {
    std::vector<float> cover(static_cast<std::size_t>(w_ * h_), 0.0f);
    const double r = width / 2;
    for (std::size_t s = 0; s + 1 < x.size(); ++s) {
      const double ax = x[s], ay = y[s], bx = x[s + 1], by = y[s + 1];
      const int x0 = static_cast<int>(std::floor(std::min(ax, bx) - r - 1));
      const int x1 = static_cast<int>(std::ceil(std::max(ax, bx) + r + 1));
      const int y0 = static_cast<int>(std::floor(std::min(ay, by) - r - 1));
      const int y1 = static_cast<int>(std::ceil(std::max(ay, by) + r + 1));
      const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
      for (int j = std::max(y0, 0); j <= std::min(y1, h_ - 1); ++j)
        for (int i = std::max(x0, 0); i <= std::min(x1, w_ - 1); ++i) {
          // Distance from the pixel centre to the segment; coverage falls off over one pixel.
          double t = len2 > 0 ? ((i + 0.5 - ax) * dx + (j + 0.5 - ay) * dy) / len2 : 0.0;
          t = std::clamp(t, 0.0, 1.0);
          const double ex = i + 0.5 - (ax + t * dx), ey = j + 0.5 - (ay + t * dy);
          const double a = std::clamp(r + 0.5 - std::sqrt(ex * ex + ey * ey), 0.0, 1.0);
          float& k = cover[static_cast<std::size_t>(j * w_ + i)];
          k = std::max(k, static_cast<float>(a));
        }
    }
    for (int j = 0; j < h_; ++j)
      for (int i = 0; i < w_; ++i) blend(i, j, c, cover[static_cast<std::size_t>(j * w_ + i)]);
  }

  /// Text in the 5x7 font, each font pixel drawn as a `scale` x `scale` block, top-left at (x, y).
  /// Letters are drawn in capitals. Returns the x just after the text.
  int text(int x, int y, const std::string& s, Rgb c, int scale = 2) {
    for (char ch : s) {
      const std::uint8_t* g = glyph(ch);
      for (int col = 0; col < 5; ++col)
        for (int row = 0; row < 8; ++row)
          if (g[col] >> row & 1) fill_rect(x + col * scale, y + row * scale, scale, scale, c);
      x += 6 * scale;
    }
    return x;
  }
  /// Width in pixels of `s` drawn by text() at `scale`.
  static int text_width(const std::string& s, int scale = 2) { return static_cast<int>(s.size()) * 6 * scale - scale; }

  /// Pastes another canvas with its top-left corner at (x, y).
  void paste(const Canvas& o, int x, int y) {
    for (int j = 0; j < o.h_; ++j)
      for (int i = 0; i < o.w_; ++i) {
        const std::uint8_t* p = &o.px_[static_cast<std::size_t>(3 * (j * o.w_ + i))];
        set(x + i, y + j, Rgb{p[0], p[1], p[2]});
      }
  }

  /// Writes a PNG; prints an error and returns false if it cannot.
  bool write_png(const std::string& path) const {
    if (!stbi_write_png(path.c_str(), w_, h_, 3, px_.data(), 3 * w_)) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return false;
    }
    return true;
  }

 private:
  int w_, h_;
  std::vector<std::uint8_t> px_;
};

/// A grey-scale picture of a 2-D array, `at(i, j)` = value of row i, column j, mapped
/// linearly from [lo, hi] to black..white (clipped), each value drawn as a
/// `zoom` x `zoom` block.
template <class At>
Canvas grey_image(int rows, int cols, At at, double lo, double hi, int zoom = 1) {
  Canvas c(cols * zoom, rows * zoom);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const double v = std::clamp((static_cast<double>(at(i, j)) - lo) / (hi - lo), 0.0, 1.0);
      const auto g = static_cast<std::uint8_t>(std::lround(255 * v));
      c.fill_rect(j * zoom, i * zoom, zoom, zoom, Rgb{g, g, g});
    }
  return c;
}

/// `image` with a white strip above it holding `caption` (and a second line `detail`).
inline Canvas captioned(const Canvas& image, const std::string& caption, const std::string& detail = "") {
  const int strip = detail.empty() ? 28 : 46;
  const int text = std::max(Canvas::text_width(caption, 2), Canvas::text_width(detail, 1));
  Canvas out(std::max(image.width(), text + 16), image.height() + strip);
  out.text(8, 7, caption, black, 2);
  if (!detail.empty()) out.text(8, 29, detail, dark_grey, 1);
  out.paste(image, 0, strip);
  return out;
}

/// The output folder from argv[1] (default: the current folder), created if missing.
inline std::string output_dir(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace picture
