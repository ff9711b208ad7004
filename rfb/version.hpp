// version.hpp — ProtocolVersion (RFC 6143 §7.1.1), both directions.
//
// Pure functions. A peer announcing an odd version is mapped to the protocol it means,
// as TigerVNC and libvncserver do: 3.3 and anything below 3.7 (3.4, 3.5, 3.6) -> 3.3;
// 3.7 -> 3.7; 3.8 and above (3.889 from Apple Remote Desktop, 3.14, 3.16) -> 3.8.
// A major version other than 3 is unsupported.
#pragma once

#include "rfb/codec.hpp"

namespace vncgate::rfb {

enum class protocol_version { v3_3, v3_7, v3_8 };

inline constexpr std::size_t version_message_size = 12;

std::string_view to_string(protocol_version v) noexcept;  // "3.8"

// "RFB 003.008\n" and friends.
bytes encode_version(protocol_version v);

// Reads exactly 12 bytes "RFB xxx.yyy\n" (digits only). need_more below 12 bytes.
result<protocol_version> decode_version(byte_view in);

}  // namespace vncgate::rfb
