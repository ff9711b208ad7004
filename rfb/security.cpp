// security.cpp — security-type negotiation and SecurityResult, both roles.
#include "rfb/security.hpp"

#include <cassert>

namespace vncgate::rfb {
namespace {

// u32 length + that many bytes. The bound is checked as soon as the length is in, so
// a peer announcing 4 GiB is refused at once rather than waited for.
result<std::string> decode_reason(byte_view in) {
  if (in.size() < 4) return unexpected{errc::need_more};
  const std::uint32_t length = get_u32(in);
  if (length > max_reason_length) return unexpected{errc::too_long};
  if (in.size() - 4 < length) return unexpected{errc::need_more};
  const auto text = in.subspan(4, length);
  return decoded<std::string>{std::string(text.begin(), text.end()), 4 + std::size_t{length}};
}

}  // namespace

// ---- server role ----

bytes encode_security_types(byte_view types) {
  assert(!types.empty() && types.size() <= 255);
  bytes out;
  put_u8(out, static_cast<std::uint8_t>(types.size()));
  out.insert(out.end(), types.begin(), types.end());
  return out;
}

bytes encode_security_type_v33(std::uint32_t type) {
  bytes out;
  put_u32(out, type);
  return out;
}

bytes encode_handshake_failure(protocol_version v, std::string_view reason) {
  bytes out;
  if (v == protocol_version::v3_3) {
    put_u32(out, security_type::invalid);
  } else {
    put_u8(out, 0);  // number-of-security-types
  }
  put_string(out, reason);
  return out;
}

result<std::uint8_t> decode_security_choice(byte_view in) {
  if (in.empty()) return unexpected{errc::need_more};
  if (in[0] == security_type::invalid) return unexpected{errc::bad_value};
  return decoded<std::uint8_t>{in[0], 1};
}

bytes encode_security_result_ok() {
  bytes out;
  put_u32(out, 0);
  return out;
}

bytes encode_security_result_failed(protocol_version v, std::string_view reason) {
  bytes out;
  put_u32(out, 1);
  // Before 3.8 the server just closes; a reason there would be read as garbage.
  if (v == protocol_version::v3_8) put_string(out, reason);
  return out;
}

// ---- client role ----

result<security_offer> decode_security_offer(byte_view in, protocol_version v) {
  std::size_t header = 1;
  std::uint32_t first = 0;  // 3.3: the type; 3.7/3.8: the count
  if (v == protocol_version::v3_3) {
    if (in.size() < 4) return unexpected{errc::need_more};
    header = 4;
    first = get_u32(in);
    if (first != security_type::invalid && first != security_type::none &&
        first != security_type::vnc_auth) {
      return unexpected{errc::bad_value};
    }
  } else {
    if (in.empty()) return unexpected{errc::need_more};
    first = in[0];
  }

  security_offer offer;
  if (first == 0) {
    auto reason = decode_reason(in.subspan(header));
    if (!reason) return unexpected{reason.error()};
    offer.failure_reason = std::move(reason->value);
    return decoded<security_offer>{std::move(offer), header + reason->size};
  }
  if (v == protocol_version::v3_3) {
    offer.types.push_back(static_cast<std::uint8_t>(first));
    return decoded<security_offer>{std::move(offer), header};
  }

  const std::size_t count = first;
  if (in.size() - header < count) return unexpected{errc::need_more};
  const auto types = in.subspan(header, count);
  for (const std::uint8_t t : types) {
    if (t == security_type::invalid) return unexpected{errc::bad_value};
  }
  offer.types.assign(types.begin(), types.end());
  return decoded<security_offer>{std::move(offer), header + count};
}

result<security_result> decode_security_result(byte_view in, protocol_version v) {
  if (in.size() < 4) return unexpected{errc::need_more};
  const std::uint32_t status = get_u32(in);
  security_result res;
  if (status == 0) {
    res.ok = true;
    return decoded<security_result>{std::move(res), 4};
  }
  // 2 is "failed, too many attempts" from servers with Tight security; it ends the
  // session exactly like 1, and on 3.8 it carries a reason the same way.
  if (status != 1 && status != 2) return unexpected{errc::bad_value};
  if (v != protocol_version::v3_8) return decoded<security_result>{std::move(res), 4};

  auto reason = decode_reason(in.subspan(4));
  if (!reason) return unexpected{reason.error()};
  res.reason = std::move(reason->value);
  return decoded<security_result>{std::move(res), 4 + reason->size};
}

}  // namespace vncgate::rfb
