// framebuffer_update.cpp — the synthetic target's ServerInit and full-screen Raw update.
#include "bench/framebuffer_update.hpp"

#include "rfb/init.hpp"

namespace vncgate::bench {

rfb::bytes bench_server_init(std::uint16_t width, std::uint16_t height) {
  rfb::server_init init;
  init.width = width;
  init.height = height;
  // bpp, depth, big-endian, true-colour, red/green/blue max (u16), red/green/blue shift, 3 padding.
  init.pixel_format = {32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0};
  init.name = "vncgate bench target " + std::to_string(width) + "x" + std::to_string(height);
  return rfb::encode_server_init(init);
}

rfb::bytes full_screen_raw_update(std::uint16_t width, std::uint16_t height) {
  rfb::bytes out;
  out.reserve(update_header_size + rectangle_header_size + std::size_t{width} * height * 4);
  rfb::put_u8(out, 0);  // FramebufferUpdate
  rfb::put_u8(out, 0);  // padding
  rfb::put_u16(out, 1);
  rfb::put_u16(out, 0);
  rfb::put_u16(out, 0);
  rfb::put_u16(out, width);
  rfb::put_u16(out, height);
  rfb::put_u32(out, 0);  // Raw
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      // Little-endian 0x00RRGGBB.
      out.push_back(static_cast<std::uint8_t>(x + y));   // blue
      out.push_back(static_cast<std::uint8_t>(y * 3));   // green
      out.push_back(static_cast<std::uint8_t>(x * 7));   // red
      out.push_back(0);
    }
  }
  return out;
}

}  // namespace vncgate::bench
