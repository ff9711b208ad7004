// security.hpp — security-type negotiation and SecurityResult (RFC 6143 §7.1.2, §7.1.3).
//
// Pure functions for both roles: the gateway is the server towards the client and the
// client towards the target desktop. Reason strings from a peer are bounded by
// max_reason_length; a longer one is errc::too_long.
#pragma once

#include <optional>
#include <string>

#include "rfb/codec.hpp"
#include "rfb/version.hpp"

namespace vncgate::rfb {

namespace security_type {
inline constexpr std::uint8_t invalid = 0;
inline constexpr std::uint8_t none = 1;
inline constexpr std::uint8_t vnc_auth = 2;
inline constexpr std::uint8_t vencrypt = 19;
}  // namespace security_type

inline constexpr std::size_t max_reason_length = 4096;

// ---- server role (towards the client) ----

// 3.7/3.8: u8 count + types. Precondition: 1..255 types.
bytes encode_security_types(byte_view types);
// 3.3: the server picks; u32 type.
bytes encode_security_type_v33(std::uint32_t type);
// Refusal instead of a type list: 3.7/3.8 u8 count 0 + reason; 3.3 u32 type 0 + reason.
bytes encode_handshake_failure(protocol_version v, std::string_view reason);
// The client's choice (3.7/3.8): one byte; 0 (invalid) is errc::bad_value. The caller
// checks that the choice is one it offered.
result<std::uint8_t> decode_security_choice(byte_view in);

// SecurityResult: u32 0 = OK. Failure: u32 1, and on 3.8 a reason string after it.
bytes encode_security_result_ok();
bytes encode_security_result_failed(protocol_version v, std::string_view reason);

// ---- client role (towards the target) ----

struct security_offer {
  bytes types;                 // 3.3: one type; 3.7/3.8: the list, in the server's order
  std::string failure_reason;  // set when the server refused (count 0 / type 0)
  bool refused() const { return types.empty(); }
};
// 3.3: u32 type (0 -> u32 length + reason; only 1 and 2 are allowed, others are
// errc::bad_value). 3.7/3.8: u8 count, types (0 -> reason; type 0 in the list is
// errc::bad_value). A refusal is a value (refused() is true), not an error.
result<security_offer> decode_security_offer(byte_view in, protocol_version v);

struct security_result {
  bool ok = false;
  std::string reason;  // 3.8 failures only; may be empty
};
// u32 status: 0 ok, 1 failed, 2 failed/too many attempts (Tight servers), others
// errc::bad_value; on 3.8 a failure carries u32 length + reason.
result<security_result> decode_security_result(byte_view in, protocol_version v);

}  // namespace vncgate::rfb
