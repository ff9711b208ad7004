// init.hpp — ClientInit and ServerInit (RFC 6143 §7.3).
//
// Pure functions. The gateway decodes ServerInit from the target only to check it is
// well formed and bounded, then forwards the exact bytes to the client.
#pragma once

#include <array>
#include <string>

#include "rfb/codec.hpp"

namespace vncgate::rfb {

// ClientInit: u8 shared-flag (non-zero = shared).
bytes encode_client_init(bool shared);
result<bool> decode_client_init(byte_view in);

inline constexpr std::size_t max_desktop_name = 64 * 1024;

struct server_init {
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  std::array<std::uint8_t, 16> pixel_format{};
  std::string name;
};
// u16 width, u16 height, 16-byte PIXEL_FORMAT, u32 name length, name. A name longer
// than max_desktop_name is errc::too_long.
result<server_init> decode_server_init(byte_view in);
bytes encode_server_init(const server_init& init);  // for tests and the benchmark target

}  // namespace vncgate::rfb
