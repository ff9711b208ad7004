// codec.hpp — the shape every rfb/ decoder shares.
//
// Decoders are pure functions over the bytes received so far. They never block, never
// throw on input, and never read past the span. Each returns one of:
//   - the value and how many bytes it used (the caller drops those bytes);
//   - errc::need_more: the message is not complete yet; call again with more bytes;
//   - another errc: the peer sent something malformed or hostile; end the session.
// Encoders return the exact bytes to send. Big-endian on the wire (RFC 6143 §7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "rfb/expected.hpp"

namespace vncgate::rfb {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

enum class errc {
  need_more = 1,         // not an error: wait for more bytes
  not_rfb,               // the 12-byte ProtocolVersion is not "RFB xxx.yyy\n"
  unsupported_version,   // a ProtocolVersion we cannot speak (major != 3)
  too_long,              // a length field above the limit this decoder allows
  bad_value,             // a field holds a value the protocol does not allow here
  refused,               // the peer sent a well-formed refusal (reason in the value)
};

std::string_view to_string(errc e) noexcept;

template <class T>
struct decoded {
  T value;
  std::size_t size;  // bytes used from the front of the span
};

template <class T>
using result = expected<decoded<T>, errc>;

// Big-endian helpers for encoders and decoders.
void put_u8(bytes& out, std::uint8_t v);
void put_u16(bytes& out, std::uint16_t v);
void put_u32(bytes& out, std::uint32_t v);
void put_string(bytes& out, std::string_view s);  // u32 length, then the bytes
std::uint16_t get_u16(byte_view in);               // in.size() >= 2
std::uint32_t get_u32(byte_view in);               // in.size() >= 4

}  // namespace vncgate::rfb
