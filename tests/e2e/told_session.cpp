// told_session.cpp — see told_session.hpp.
#include "told_session.hpp"

#include <catch2/catch.hpp>

#include "harness/vencrypt_login.hpp"

namespace vncgate::e2e {

raw_session start_session(const gateway& gw, const certs& tls, const std::string& login_name,
                          const std::string& password, const std::vector<std::vector<std::int32_t>>& encodings) {
  raw_session s{std::make_unique<raw_client>(gw.port())};
  auto login = vencrypt_login(*s.client, login_name, password, tls.certificate);
  INFO("login " << login_name << ": " << login.error << " " << login.reason);
  REQUIRE(login.ok());
  auto init = exchange_init(*s.client);
  INFO("ServerInit: " << s.client->last_error());
  REQUIRE(init);
  s.init = *init;
  REQUIRE(s.init.width == 320);
  REQUIRE(s.init.height == 240);
  REQUIRE(s.init.bits_per_pixel % 8 == 0);
  for (const auto& list : encodings) REQUIRE(send_set_encodings(*s.client, list));
  REQUIRE(send_update_request(*s.client, false, s.init.width, s.init.height));
  // The answer, read at once: a frame left in the socket would hold up the gateway's writes.
  s.read(5s, 1);
  INFO("first update: " << s.stream.error);
  REQUIRE(s.stream.messages.size() == 1);
  return s;
}

std::string describe(const server_stream& stream) {
  static const char* const states[] = {"open", "timed_out", "closed", "unparsable"};
  std::string out = std::to_string(stream.messages.size()) + " messages, " + states[static_cast<int>(stream.state)] +
                    ", error '" + stream.error + "', names:";
  for (const auto& n : stream.desktop_names()) out += " '" + n + "'";
  return out;
}

void check_told(const server_stream& stream, const std::string& told, int width, int height, bool tls) {
  INFO(describe(stream));
  CHECK(stream.state == stream_state::closed);
  CHECK(stream.at_boundary);
  CHECK(stream.close_notify == tls);
  CHECK(stream.raw_pixels() >= static_cast<long>(width) * height);
  CHECK(stream.desktop_names() == std::vector<std::string>{told});
  CHECK(stream.messages.size() >= 2);
  if (stream.messages.empty()) return;
  const auto& last = stream.messages.back();
  CHECK(last.type == 0);
  CHECK(last.rects.size() == 1);
  if (last.rects.size() != 1) return;
  const auto& rect = last.rects.front();
  CHECK(rect.encoding == encoding_desktop_name);
  CHECK((rect.x == 0 && rect.y == 0 && rect.width == 0 && rect.height == 0));
  CHECK(rect.desktop_name == told);
}

}  // namespace vncgate::e2e
