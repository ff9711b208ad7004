// relay_paths_test.cpp — which path the client's input takes to the target, and what a
// session on each path still does. On a `plain` listener a session with no right and no
// idle timeout splices client->target once its first SetEncodings has passed the
// message filter: the input still reaches the desktop, session_end says to_target_path
// "splice", the splice byte counter holds it and bytes_from_client counts every byte
// the client sent; an administrator's end is still told to a client that takes
// DesktopName, and nothing it sends after that reaches the target. A view-only session
// or one with an idle timeout keeps the filter (to_target_path "copy"): input is still
// dropped, the idle timeout still ends the session. A TLS session stays on copy both
// ways unless the kernel does TLS.
//
// The client is raw RFB (told_session.hpp), so the test counts each byte it sends.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <fstream>

#include "harness/http_get.hpp"
#include "harness/loopback.hpp"
#include "scenario.hpp"
#include "told_session.hpp"

using namespace vncgate::e2e;

namespace {

constexpr screen_point parked{10, 10};   // where the pointer waits before each session
constexpr screen_point aimed{200, 150};  // where the client sends it
constexpr std::uint32_t shift_keysym = 0xffe1;      // XK_Shift_L: pressing it changes nothing on the desk
constexpr std::uint32_t caps_lock_keysym = 0xffe5;  // XK_Caps_Lock: an odd number of taps leaves it on

constexpr std::uint64_t update_request_bytes = 10;
constexpr std::uint64_t pointer_event_bytes = 6;
constexpr std::uint64_t key_event_bytes = 8;
std::uint64_t set_encodings_bytes(std::size_t count) { return 4 + 4 * count; }

const std::string c2t_splice = "vncgate_relayed_bytes_total{direction=\"client_to_target\",path=\"splice\"}";
const std::string c2t_copy = "vncgate_relayed_bytes_total{direction=\"client_to_target\",path=\"copy\"}";
const std::string t2c_splice = "vncgate_relayed_bytes_total{direction=\"target_to_client\",path=\"splice\"}";
const std::string t2c_copy = "vncgate_relayed_bytes_total{direction=\"target_to_client\",path=\"copy\"}";

listener_spec plain_listener() {
  return listener_spec{.security = "plain", .extra_lines = {"client_leg_protected: true"}};
}

// What start_session sends after ClientInit: each SetEncodings, then one update request.
std::uint64_t start_bytes(const std::vector<std::vector<std::int32_t>>& encodings) {
  std::uint64_t n = update_request_bytes;
  for (const auto& list : encodings) n += set_encodings_bytes(list.size());
  return n;
}

bool send_pointer(raw_client& client, screen_point at, std::uint8_t buttons = 0) {
  std::string m(6, '\0');
  m[0] = 5;
  m[1] = static_cast<char>(buttons);
  m[2] = static_cast<char>(at.x >> 8);
  m[3] = static_cast<char>(at.x & 0xff);
  m[4] = static_cast<char>(at.y >> 8);
  m[5] = static_cast<char>(at.y & 0xff);
  return client.send(m);
}

bool send_key(raw_client& client, std::uint32_t keysym, bool down) {
  std::string m(8, '\0');
  m[0] = 4;
  m[1] = down ? 1 : 0;
  for (int i = 0; i < 4; ++i) m[4 + i] = static_cast<char>((keysym >> (8 * (3 - i))) & 0xff);
  return client.send(m);
}

// `rounds` times: the pointer on its way to `aimed` (ending there), a tap of `keysym` and
// a full update request whose answer is read at once. Returns the bytes sent; adds the
// input messages to `input_messages`.
std::uint64_t send_input_rounds(raw_session& live, int rounds, std::uint64_t& input_messages,
                                std::uint32_t keysym = shift_keysym) {
  std::uint64_t sent = 0;
  for (int i = rounds - 1; i >= 0; --i) {
    REQUIRE(send_pointer(*live.client, {aimed.x - 10 * i, aimed.y - 5 * i}));
    REQUIRE(send_key(*live.client, keysym, true));
    REQUIRE(send_key(*live.client, keysym, false));
    REQUIRE(send_update_request(*live.client, false, 320, 240));
    sent += pointer_event_bytes + 2 * key_event_bytes + update_request_bytes;
    input_messages += 3;
    const auto before = live.stream.messages.size();
    live.read(5s, 1);
    INFO(describe(live.stream));
    REQUIRE(live.stream.messages.size() == before + 1);
  }
  return sent;
}

std::string scrape(const gateway& gw) {
  auto reply = http_get(gw.metrics_port(), "/metrics");
  REQUIRE(reply.status == 200);
  return reply.body;
}

double value_or_zero(const std::string& metrics, const std::string& series) {
  return metric_value(metrics, series).value_or(0);
}

bool kernel_offers_tls_ulp() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string name;
  while (in >> name)
    if (name == "tls") return true;
  return false;
}

}  // namespace

TEST_CASE("relay paths: plain listener, no rules: the client's input is spliced and counted",
          "[e2e][plain][relay]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls,
             {.listeners = {plain_listener()}, .users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}});
  REQUIRE(move_pointer(s.desk, parked));
  REQUIRE(caps_lock_on(s.desk) == std::optional<bool>(false));

  const std::vector<std::vector<std::int32_t>> encodings{{encoding_raw, encoding_desktop_size}};
  auto live = start_session(gw, s.tls, alice.name, alice.password, encodings);
  const std::uint64_t at_start = start_bytes(encodings);
  std::uint64_t input_messages = 0;
  const std::uint64_t after_start = send_input_rounds(live, 7, input_messages, caps_lock_keysym);
  // The spliced bytes reach the desktop as they were sent.
  std::optional<screen_point> pointer;
  wait_until([&] { return (pointer = pointer_on(s.desk)) == aimed; }, 3s);
  CHECK(pointer == aimed);
  CHECK(wait_until([&] { return caps_lock_on(s.desk) == std::optional<bool>(true); }, 3s));

  live.client->close();
  const std::uint64_t sent = at_start + after_start;
  auto end = check_session_outcome(gw, live.client->source(), "ok");
  INFO(boost::json::serialize(end));
  CHECK(text_of(end, "relay_path") == "splice");
  CHECK(text_of(end, "to_target_path") == "splice");
  CHECK(number_of(end, "bytes_from_client") == static_cast<double>(sent));  // spliced bytes counted too
  CHECK_FALSE(end.contains("input_dropped"));  // no filter rule: nothing to report

  auto metrics = scrape(gw);
  INFO(metrics);
  const double spliced = value_or_zero(metrics, c2t_splice);
  const double copied = value_or_zero(metrics, c2t_copy);
  CHECK(spliced > 0);
  // Everything after the first frame went by splice; before it, the filter saw SetEncodings by copy.
  CHECK(spliced >= static_cast<double>(after_start));
  CHECK(copied >= static_cast<double>(set_encodings_bytes(encodings[0].size())));
  CHECK(copied + spliced == static_cast<double>(sent));
  CHECK(value_or_zero(metrics, t2c_splice) == number_of(end, "bytes_to_client"));
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("relay paths: plain listener, view-only: the input stays on copy and is dropped",
          "[e2e][plain][relay][rights]") {
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", {"bob"});
  desk.extra_lines = {"view_only: {users: [bob]}"};
  gateway gw(s.dir, s.tls, {.listeners = {plain_listener()}, .users = {bob}, .targets = {desk}});
  REQUIRE(move_pointer(s.desk, parked));
  REQUIRE(caps_lock_on(s.desk) == std::optional<bool>(false));

  const std::vector<std::vector<std::int32_t>> encodings{{encoding_raw}};
  auto live = start_session(gw, s.tls, bob.name, bob.password, encodings);
  std::uint64_t input_messages = 0;
  // The same input that reaches the desk in the first test case, Caps Lock tapped 7 times.
  const std::uint64_t sent =
      start_bytes(encodings) + send_input_rounds(live, 7, input_messages, caps_lock_keysym);
  // The update requests were answered, so the input before them has been through the gateway.
  live.read(500ms);
  CHECK(live.stream.state == stream_state::timed_out);  // still open: dropping input ends nothing
  CHECK(pointer_on(s.desk) == parked);
  CHECK(caps_lock_on(s.desk) == std::optional<bool>(false));

  live.client->close();
  auto end = check_session_outcome(gw, live.client->source(), "ok");
  INFO(boost::json::serialize(end));
  CHECK(text_of(end, "to_target_path") == "copy");
  CHECK(text_of(end, "relay_path") == "splice");  // the target's bytes need no filter
  CHECK(number_of(end, "input_dropped") == static_cast<double>(input_messages));
  CHECK(number_of(end, "bytes_from_client") == static_cast<double>(sent));
  CHECK(pointer_on(s.desk) == parked);  // nothing arrived late either

  auto metrics = scrape(gw);
  INFO(metrics);
  CHECK(value_or_zero(metrics, c2t_splice) == 0);
  CHECK(value_or_zero(metrics, c2t_copy) == static_cast<double>(sent));
  check_clean_shutdown(gw, {bob.password, vnc_password});
}

TEST_CASE("relay paths: plain listener, a target's idle_timeout keeps the input on copy and still ends the session",
          "[e2e][plain][relay][sessions]") {
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", {"alice"});
  desk.extra_lines = {"idle_timeout: 2s"};
  gateway gw(s.dir, s.tls, {.listeners = {plain_listener()}, .users = {alice}, .targets = {desk}});

  const std::vector<std::vector<std::int32_t>> encodings{{encoding_raw}};
  auto live = start_session(gw, s.tls, alice.name, alice.password, encodings);
  // Update requests are not input: the session is idle from its start.
  REQUIRE(send_update_request(*live.client, true, 320, 240));
  const auto waited_from = std::chrono::steady_clock::now();
  live.read(6s);
  const auto closed_after =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - waited_from);
  INFO(describe(live.stream) << "; closed after " << closed_after.count() << " ms");
  CHECK(live.stream.state == stream_state::closed);
  CHECK(closed_after >= 1000ms);  // the first frame's read took part of the 2 s
  CHECK(closed_after <= 3500ms);

  auto end = check_session_outcome(gw, live.client->source(), "idle_timeout");
  INFO(boost::json::serialize(end));
  CHECK(text_of(end, "to_target_path") == "copy");
  CHECK(text_of(end, "relay_path") == "splice");
  CHECK(number_of(end, "bytes_from_client") == static_cast<double>(start_bytes(encodings) + update_request_bytes));
  auto metrics = scrape(gw);
  INFO(metrics);
  CHECK(value_or_zero(metrics, c2t_splice) == 0);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("relay paths: plain listener, spliced input: the administrator's end is told and the rest dropped",
          "[e2e][plain][relay][admin]") {
  small_desk_setup s;
  const std::string token(48, 't');
  auto token_file = s.dir.write("admin-token", token + "\n", 0600);
  gateway gw(s.dir, s.tls,
             {.listeners = {plain_listener()},
              .users = {alice},
              .targets = {target_for(s.desk, "desk", {"alice"})},
              .metrics_lines = {"admin_token_file: " + token_file.string()}});
  REQUIRE(move_pointer(s.desk, parked));
  const std::vector<std::vector<std::int32_t>> encodings{{encoding_raw, encoding_desktop_name}};
  auto live = start_session(gw, s.tls, alice.name, alice.password, encodings);
  std::uint64_t input_messages = 0;
  std::uint64_t sent = start_bytes(encodings) + send_input_rounds(live, 4, input_messages);
  CHECK(wait_until([&] { return pointer_on(s.desk) == aimed; }, 3s));
  // The input went by splice before the end.
  double spliced = 0;
  CHECK(wait_until([&] { return (spliced = value_or_zero(scrape(gw), c2t_splice)) > 0; }, 3s));
  INFO("client_to_target spliced before the end: " << spliced);

  const std::vector<std::string> auth{"Authorization: Bearer " + token};
  auto listed = http_request(gw.metrics_port(), "GET", "/api/sessions", 5s, auth);
  REQUIRE(listed.status == 200);
  auto sessions = boost::json::parse(listed.body).as_object().at("sessions").as_array();
  REQUIRE(sessions.size() == 1);
  const auto& session = sessions[0].as_object();
  INFO(boost::json::serialize(session));
  REQUIRE(session.contains("to_target_path"));
  CHECK(session.at("to_target_path").as_string() == "splice");
  CHECK(session.at("relay_path").as_string() == "splice");
  const std::string id(session.at("id").as_string().c_str());
  REQUIRE(http_request(gw.metrics_port(), "DELETE", "/api/sessions/" + id, 5s, auth).status == 200);

  // Once the rename has arrived the session is ending: what the client sends now is
  // read, counted and dropped, never passed to the desk.
  for (int i = 0; i < 10 && live.stream.desktop_names().empty() && live.stream.state == stream_state::open; ++i)
    live.read(5s, 1);
  INFO(describe(live.stream));
  REQUIRE(live.stream.desktop_names().size() == 1);
  REQUIRE(send_pointer(*live.client, parked));
  REQUIRE(send_update_request(*live.client, false, 320, 240));
  sent += pointer_event_bytes + update_request_bytes;
  live.read(8s);
  check_told(live.stream, "vncgate: session ended by administrator", 320, 240, false);
  CHECK(pointer_on(s.desk) == aimed);

  auto end = check_session_outcome(gw, live.client->source(), "ended_by_admin");
  INFO(boost::json::serialize(end));
  CHECK(text_of(end, "to_target_path") == "splice");
  CHECK(text_of(end, "relay_path") == "splice");
  CHECK(number_of(end, "bytes_from_client") == static_cast<double>(sent));
  check_clean_shutdown(gw, {alice.password, vnc_password, token});
}

TEST_CASE("relay paths: a TLS session stays on copy both ways without kernel TLS", "[e2e][tls][relay]") {
  const std::string kernel_tls = GENERATE("auto", "off");
  INFO("kernel_tls: " << kernel_tls);
  small_desk_setup s;
  gateway gw(s.dir, s.tls,
             {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})},
              .tls_lines = {"kernel_tls: " + kernel_tls}});  // a vencrypt listener: X509Plain

  const std::vector<std::vector<std::int32_t>> encodings{{encoding_raw}};
  auto live = start_session(gw, s.tls, alice.name, alice.password, encodings);
  REQUIRE(live.client->tls());
  std::uint64_t input_messages = 0;
  const std::uint64_t sent = start_bytes(encodings) + send_input_rounds(live, 3, input_messages);
  live.client->close();

  auto end = check_session_outcome(gw, live.client->source(), "ok");
  INFO(boost::json::serialize(end));
  // Not run here: no machine this suite runs on has the kernel's tls ULP. With it (and
  // kernel_tls: auto) the target's bytes are spliced into the kernel-TLS socket.
  const bool ktls = kernel_tls == "auto" && kernel_offers_tls_ulp();
  CHECK(text_of(end, "relay_path") == (ktls ? "ktls" : "copy"));
  CHECK(text_of(end, "to_target_path") == "copy");  // the client's TLS records are read in user space
  CHECK(number_of(end, "bytes_from_client") == static_cast<double>(sent));

  auto metrics = scrape(gw);
  INFO(metrics);
  CHECK(value_or_zero(metrics, c2t_splice) == 0);
  CHECK(value_or_zero(metrics, c2t_copy) == static_cast<double>(sent));
  CHECK(value_or_zero(metrics, t2c_splice) == 0);
  if (!ktls) CHECK(value_or_zero(metrics, t2c_copy) == number_of(end, "bytes_to_client"));
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

// Input sent in the same write as ClientInit arrives with the handshake's last message;
// it is still the client's first message of the relay and goes through the filter: a
// view-only user cannot move the pointer by pipelining it (found by this suite's author).
TEST_CASE("relay paths: input pipelined with ClientInit still meets the view-only rule", "[e2e][relay]") {
  auto security = GENERATE(std::string("vencrypt"), std::string("plain"));
  INFO("listener " << security);
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", {"bob"});
  desk.extra_lines = {"view_only: {users: [bob]}"};
  listener_spec l{.security = security};
  if (security == "plain") l.extra_lines = {"client_leg_protected: true"};
  gateway gw(s.dir, s.tls, {.listeners = {l}, .users = {bob}, .targets = {desk}});
  REQUIRE(move_pointer(s.desk, parked));
  raw_client c(gw.port());
  auto login = vencrypt_login(c, bob.name, bob.password, s.tls.certificate);
  REQUIRE(login.ok());
  // ClientInit (shared) and a PointerEvent to 200,150 in one write.
  REQUIRE(c.send(std::string("\x01\x05\x00\x00\xc8\x00\x96", 7)));
  auto head = c.read_exact(24);
  REQUIRE(head);
  const std::uint32_t name_len = (std::uint8_t((*head)[20]) << 24) | (std::uint8_t((*head)[21]) << 16) |
                                 (std::uint8_t((*head)[22]) << 8) | std::uint8_t((*head)[23]);
  REQUIRE(c.read_exact(name_len));
  std::optional<screen_point> p;
  wait_until([&] { return (p = pointer_on(s.desk)) == aimed; }, 2s);
  CHECK(p == parked);
  c.close();
  auto end = check_session_outcome(gw, c.source(), "ok");
  INFO(boost::json::serialize(end));
  CHECK(number_of(end, "input_dropped") == 1);
}
