// framebuffer_update.hpp — the synthetic target's screen: its ServerInit and the one
// FramebufferUpdate (a full-screen Raw rectangle) it sends for every request.
//
// Both are built once at start-up and shared read-only by every session, so an update
// costs the target one large write and no per-session memory. Pure functions.
#pragma once

#include <cstdint>

#include "rfb/codec.hpp"

namespace vncgate::bench {

// 32 bits per pixel, depth 24, little-endian true colour (red<<16 | green<<8 | blue),
// the format Xvnc offers by default.
rfb::bytes bench_server_init(std::uint16_t width, std::uint16_t height);

// FramebufferUpdate: type 0, padding, one rectangle 0,0 WxH, encoding Raw (0), then
// width*height 4-byte pixels of a gradient (not zeros: nothing on the path may
// compress or skip them).
rfb::bytes full_screen_raw_update(std::uint16_t width, std::uint16_t height);

inline constexpr std::size_t update_header_size = 4;     // type, padding, u16 rectangles
inline constexpr std::size_t rectangle_header_size = 12; // x, y, w, h, s32 encoding

}  // namespace vncgate::bench
