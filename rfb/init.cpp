// init.cpp — ClientInit and ServerInit.
#include "rfb/init.hpp"

#include <algorithm>

namespace vncgate::rfb {
namespace {

constexpr std::size_t server_init_header = 2 + 2 + 16 + 4;  // width, height, PIXEL_FORMAT, name length

}  // namespace

bytes encode_client_init(bool shared) { return bytes{shared ? std::uint8_t{1} : std::uint8_t{0}}; }

result<bool> decode_client_init(byte_view in) {
  if (in.empty()) return unexpected{errc::need_more};
  return decoded<bool>{in[0] != 0, 1};
}

result<server_init> decode_server_init(byte_view in) {
  if (in.size() < server_init_header) return unexpected{errc::need_more};
  const std::uint32_t name_length = get_u32(in.subspan(20));
  // Checked before waiting for the name, so a 4 GiB length is refused at once.
  if (name_length > max_desktop_name) return unexpected{errc::too_long};
  const std::size_t total = server_init_header + std::size_t{name_length};
  if (in.size() < total) return unexpected{errc::need_more};

  server_init init;
  init.width = get_u16(in);
  init.height = get_u16(in.subspan(2));
  std::copy_n(in.begin() + 4, init.pixel_format.size(), init.pixel_format.begin());
  const auto name = in.subspan(server_init_header, name_length);
  init.name.assign(name.begin(), name.end());
  return decoded<server_init>{std::move(init), total};
}

bytes encode_server_init(const server_init& init) {
  bytes out;
  out.reserve(server_init_header + init.name.size());
  put_u16(out, init.width);
  put_u16(out, init.height);
  out.insert(out.end(), init.pixel_format.begin(), init.pixel_format.end());
  put_string(out, init.name);
  return out;
}

}  // namespace vncgate::rfb
