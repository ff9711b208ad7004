// codec.cpp — error names and the big-endian primitives every rfb/ message uses.
#include "rfb/codec.hpp"

namespace vncgate::rfb {

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::need_more: return "need more bytes";
    case errc::not_rfb: return "not an RFB peer";
    case errc::unsupported_version: return "unsupported protocol version";
    case errc::too_long: return "length field too long";
    case errc::bad_value: return "field value not allowed";
    case errc::refused: return "refused by peer";
  }
  return "unknown rfb error";
}

void put_u8(bytes& out, std::uint8_t v) { out.push_back(v); }

void put_u16(bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_u32(bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_string(bytes& out, std::string_view s) {
  // Every caller passes strings we built or bounded; a 4 GiB string would be a bug here.
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

std::uint16_t get_u16(byte_view in) {
  return static_cast<std::uint16_t>((in[0] << 8) | in[1]);
}

std::uint32_t get_u32(byte_view in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) |
         (std::uint32_t{in[2]} << 8) | std::uint32_t{in[3]};
}

}  // namespace vncgate::rfb
