#include "harness/vencrypt_login.hpp"

namespace vncgate::e2e {

login_attempt vencrypt_login(raw_client& client, const std::string& user, const std::string& password,
                             const std::filesystem::path& ca_file) {
  login_attempt a;
  a.source = client.source();
  std::string why;
  auto subtypes = vencrypt_subtypes(client, &why);
  if (!subtypes) {
    a.error = why;
    return a;
  }
  bool offers_x509plain = false, offers_plain = false;
  for (auto s : *subtypes) {
    offers_x509plain = offers_x509plain || s == 262;
    offers_plain = offers_plain || s == 256;
  }
  // Plain (256) only where nothing with TLS is offered (a plain listener).
  const std::uint32_t chosen = offers_x509plain ? 262 : 256;
  if (!(offers_x509plain || offers_plain) || !client.send_u32(chosen)) {
    a.error = "neither X509Plain nor Plain offered, or not sent";
    return a;
  }
  if (chosen == 262) {
    if (client.read_u8() != std::optional<std::uint8_t>(1)) {
      a.error = "subtype not accepted with 1";
      return a;
    }
    if (!client.start_tls(ca_file)) {
      a.error = client.last_error();
      return a;
    }
  }
  auto sent = std::chrono::steady_clock::now();
  if (!client.send_plain_credentials(user, password)) {
    a.error = "cannot send credentials: " + client.last_error();
    return a;
  }
  auto result = client.read_u32();
  a.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
  if (!result) {
    a.error = "no SecurityResult: " + client.last_error();
    return a;
  }
  a.answered = true;
  a.result = *result;
  if (*result == 1) a.reason = client.read_string32().value_or("");
  return a;
}

login_attempt vencrypt_login(std::uint16_t port, const std::string& user, const std::string& password,
                             const std::filesystem::path& ca_file, const std::string& source_host) {
  raw_client client(port, 10s, source_host);
  return vencrypt_login(client, user, password, ca_file);
}

std::optional<std::pair<int, int>> client_init(raw_client& client, bool shared) {
  if (!client.send_u8(shared ? 1 : 0)) return std::nullopt;
  // ServerInit: u16 width, u16 height, 16-byte pixel format, u32 name length, name.
  auto header = client.read_exact(4);
  auto format = client.read_exact(16);
  auto name = client.read_string32();
  if (!header || !format || !name) return std::nullopt;
  auto u16 = [&](std::size_t at) {
    return (static_cast<unsigned char>((*header)[at]) << 8) | static_cast<unsigned char>((*header)[at + 1]);
  };
  return std::pair{u16(0), u16(2)};
}

std::optional<std::string> greeting_refusal(raw_client& client, std::string* why) {
  auto fail = [&](const std::string& what) -> std::optional<std::string> {
    if (why) *why = what + (client.last_error().empty() ? "" : " (" + client.last_error() + ")");
    return std::nullopt;
  };
  auto greeting = client.read_exact(12);
  if (!greeting) return fail("no greeting");
  if (*greeting != "RFB 003.008\n") return fail("greeting is not RFB 3.8");
  if (!client.send("RFB 003.008\n")) return fail("cannot send version");
  auto count = client.read_u8();
  if (!count) return fail("no security type count");
  if (*count != 0) return fail("security types offered (" + std::to_string(*count) + ") instead of a refusal");
  auto reason = client.read_string32();
  if (!reason) return fail("no reason after the empty type list");
  return reason;
}

}  // namespace vncgate::e2e
