// version.cpp — the 12-byte ProtocolVersion greeting.
#include "rfb/version.hpp"

namespace vncgate::rfb {
namespace {

// "RFB xxx.yyy\n": positions of the fixed characters; every other position is a digit.
constexpr std::string_view version_pattern = "RFB ddd.ddd\n";

bool is_digit(std::uint8_t c) { return c >= '0' && c <= '9'; }

bool matches_pattern_at(std::size_t i, std::uint8_t c) {
  return version_pattern[i] == 'd' ? is_digit(c) : c == static_cast<std::uint8_t>(version_pattern[i]);
}

unsigned three_digits(byte_view in) {
  return (in[0] - '0') * 100u + (in[1] - '0') * 10u + (in[2] - '0');
}

}  // namespace

std::string_view to_string(protocol_version v) noexcept {
  switch (v) {
    case protocol_version::v3_3: return "3.3";
    case protocol_version::v3_7: return "3.7";
    case protocol_version::v3_8: return "3.8";
  }
  return "?";
}

bytes encode_version(protocol_version v) {
  std::string_view text = "RFB 003.008\n";
  if (v == protocol_version::v3_3) text = "RFB 003.003\n";
  if (v == protocol_version::v3_7) text = "RFB 003.007\n";
  return bytes(text.begin(), text.end());
}

result<protocol_version> decode_version(byte_view in) {
  // Check what has arrived so far, so a non-RFB peer (an HTTP request, a TLS
  // ClientHello) is turned away at its first wrong byte instead of after 12.
  const std::size_t have = in.size() < version_message_size ? in.size() : version_message_size;
  for (std::size_t i = 0; i < have; ++i) {
    if (!matches_pattern_at(i, in[i])) return unexpected{errc::not_rfb};
  }
  if (have < version_message_size) return unexpected{errc::need_more};

  const unsigned major = three_digits(in.subspan(4, 3));
  const unsigned minor = three_digits(in.subspan(8, 3));
  if (major != 3) return unexpected{errc::unsupported_version};
  // Odd minors seen in the field: 3.4 (UltraVNC), 3.5 (old clients), 3.6 speak 3.3;
  // 3.889 (Apple Remote Desktop), 3.14, 3.16 speak at least 3.8 (RFC 6143 §7.1.1).
  protocol_version v = protocol_version::v3_8;
  if (minor < 7) v = protocol_version::v3_3;
  if (minor == 7) v = protocol_version::v3_7;
  return decoded<protocol_version>{v, version_message_size};
}

}  // namespace vncgate::rfb
