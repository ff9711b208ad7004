#include "gateway/qr_text.hpp"

#include <qrencode.h>

#include <memory>

namespace vncgate::gateway {
namespace {

constexpr int quiet_zone = 4;

struct qrcode_free {
  void operator()(QRcode* q) const noexcept { QRcode_free(q); }
};

}  // namespace

std::optional<std::vector<std::vector<bool>>> qr_modules(std::string_view text) {
  const std::string data(text);  // libqrencode wants a NUL-terminated string
  std::unique_ptr<QRcode, qrcode_free> code(QRcode_encodeString8bit(data.c_str(), 0, QR_ECLEVEL_M));
  if (!code) return std::nullopt;
  const int width = code->width;
  const int side = width + 2 * quiet_zone;
  std::vector<std::vector<bool>> rows(static_cast<std::size_t>(side), std::vector<bool>(static_cast<std::size_t>(side)));
  for (int y = 0; y < width; ++y)
    for (int x = 0; x < width; ++x)
      rows[static_cast<std::size_t>(y + quiet_zone)][static_cast<std::size_t>(x + quiet_zone)] =
          (code->data[y * width + x] & 1) != 0;  // bit 0: dark module
  return rows;
}

std::string qr_blocks(const std::vector<std::vector<bool>>& modules, bool inverted) {
  std::string out;
  for (std::size_t y = 0; y < modules.size(); y += 2) {
    const auto& top = modules[y];
    for (std::size_t x = 0; x < top.size(); ++x) {
      const bool upper = top[x] == inverted;  // drawn (a block) when light, or dark if inverted
      const bool lower = y + 1 < modules.size() ? modules[y + 1][x] == inverted : !inverted;
      out += upper && lower ? "\u2588" : upper ? "\u2580" : lower ? "\u2584" : " ";
    }
    out += "\n";
  }
  return out;
}

}  // namespace vncgate::gateway
