// farewell_test.cpp — the reason the user sees when the gateway ends a session itself
// (idle timeout, maximum length, a reload that revokes access): a client whose last
// SetEncodings named DesktopName (-307) gets, as the very last message before a TLS
// close_notify, a FramebufferUpdate renaming the desktop to
// "vncgate: session ended: <reason>"; a client that did not name it never gets such a
// rectangle. Checked byte by byte with a raw RFB client that parses every server
// message, and on a real TigerVNC vncviewer, whose window title shows the sentence.
#include <catch2/catch.hpp>
#include <memory>
#include <thread>

#include "harness/vncviewer.hpp"
#include "harness/window_title.hpp"
#include "scenario.hpp"
#include "told_session.hpp"

using namespace vncgate::e2e;

namespace {

const std::string idle_reason = "no input from the client for 2 s";
const std::string max_reason = "the session reached its maximum length of 3 s";

struct ending_case {
  const char* name;
  const char* target;  // "idle" (idle_timeout: 2s) or "capped" (max_session: 3s)
  std::vector<std::vector<std::int32_t>> encodings;  // SetEncodings messages, in order
  std::string outcome;
  std::string reason;  // the audit reason; the rename says it when `told`
  bool told;
  std::chrono::milliseconds ends_after;  // the clock that ends it
};

}  // namespace

TEST_CASE("farewell: the gateway's clocks end sessions and tell the clients that accept DesktopName why",
          "[e2e][farewell]") {
  const std::vector<ending_case> cases = {
      {"idle timeout, -307 named", "idle", {{encoding_raw, encoding_desktop_name}}, "idle_timeout", idle_reason, true,
       2s},
      {"max_session, -307 named", "capped", {{encoding_desktop_name, encoding_raw}}, "max_session", max_reason, true,
       3s},
      {"idle timeout, -307 named only by the last SetEncodings", "idle",
       {{encoding_raw}, {encoding_raw, encoding_desktop_name}}, "idle_timeout", idle_reason, true, 2s},
      {"idle timeout, -307 never named", "idle", {{encoding_raw}}, "idle_timeout", idle_reason, false, 2s},
      {"idle timeout, -307 withdrawn by the last SetEncodings", "idle",
       {{encoding_raw, encoding_desktop_name}, {encoding_raw}}, "idle_timeout", idle_reason, false, 2s},
  };
  small_desk_setup s;
  auto idle = target_for(s.desk, "idle", {"alice"});
  idle.extra_lines = {"idle_timeout: 2s"};
  auto capped = target_for(s.desk, "capped", {"alice"});
  capped.extra_lines = {"max_session: 3s"};
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {idle, capped}});

  // All at once, each read to its end on its own thread, so every close is timed as it
  // happens and each session must get its own sentence.
  std::vector<raw_session> sessions;
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    sessions.push_back(start_session(gw, s.tls, "alice@" + std::string(c.target), alice.password, c.encodings));
  }
  {
    std::vector<std::jthread> readers;
    for (std::size_t i = 0; i < cases.size(); ++i)
      readers.emplace_back([&session = sessions[i], within = cases[i].ends_after + 5s] { session.read(within); });
  }

  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const auto& stream = sessions[i].stream;
    INFO("case: " << c.name);
    INFO(describe(stream));
    CHECK(stream.state == stream_state::closed);
    CHECK(stream.raw_pixels() >= 320 * 240);
    // Counted from the first update, so a little under the clock, which started at ServerInit.
    // A client that is told keeps the renamed desktop for the 3 s reading time.
    const auto reading = c.told ? 3s : 0s;
    CHECK(stream.closed_after >= c.ends_after + reading - 500ms);
    CHECK(stream.closed_after <= c.ends_after + reading + 3s);
    if (c.told) {
      check_told(stream, ended_prefix + c.reason, 320, 240);
    } else {
      CHECK(stream.desktop_names().empty());
    }
    auto end = check_session_outcome(gw, sessions[i].client->source(), c.outcome);
    CHECK(text_of(end, "reason") == c.reason);
  }
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("farewell: a reload that revokes access tells the revoked client why, and no one else",
          "[e2e][farewell][reload]") {
  small_desk_setup s;
  // No clock and no right on the target: the gateway tells every client it ends.
  auto options_allowing = [&](std::vector<std::string> users) {
    return gateway_options{.users = {alice, bob}, .targets = {target_for(s.desk, "desk", std::move(users))}};
  };
  gateway gw(s.dir, s.tls, options_allowing({"alice", "bob"}));

  const std::vector<std::vector<std::int32_t>> with_name = {{encoding_raw, encoding_desktop_name}};
  // Both are relaying: each has its frame.
  auto revoked = start_session(gw, s.tls, alice.name, alice.password, with_name);
  auto kept = start_session(gw, s.tls, bob.name, bob.password, with_name);

  REQUIRE(gw.reload(options_allowing({"bob"})));
  revoked.read(8s);
  check_told(revoked.stream, ended_prefix + "access revoked by a configuration reload", 320, 240);
  CHECK(revoked.stream.closed_after >= 3s);  // the reading time
  CHECK(revoked.stream.closed_after <= 6s);
  auto end = check_session_outcome(gw, revoked.client->source(), "access_revoked");
  CHECK(text_of(end, "user") == "alice");

  // bob's session goes on, unrenamed, and still answers a request.
  REQUIRE(send_update_request(*kept.client, false, 320, 240));
  kept.read(5s, 1);
  kept.read(300ms);
  INFO("bob: " << describe(kept.stream));
  CHECK(kept.stream.state == stream_state::timed_out);
  CHECK(kept.stream.messages.size() >= 2);
  CHECK(kept.stream.desktop_names().empty());
  kept.client->close();
  check_session_outcome(gw, kept.client->source(), "ok");
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}

TEST_CASE("farewell: TigerVNC vncviewer shows why in its window title", "[e2e][farewell][viewer]") {
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", {"alice"});
  desk.extra_lines = {"idle_timeout: 2s"};
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {desk}});
  xvfb_display screen(s.dir);
  vncviewer viewer(s.dir, screen, gw.port(),
                   {.user = "alice", .password = alice.password, .ca_file = s.tls.certificate});
  REQUIRE(viewer.wait_connected(10s));
  // TigerVNC titles its window "<desktop name> - TigerVNC". It quits on the end of the
  // stream that follows the rename (AlertOnFatalError or not: a clean end is no error),
  // which is why the gateway holds the connection for 3 s after the rename: the title
  // must still be there a second after it appeared.
  window_title_watch window(s.dir, screen.number(), "TigerVNC", 5s);
  const std::string told = ended_prefix + idle_reason + " - TigerVNC";
  bool shown = window.wait_for_title(told, 8s);
  std::string titles;
  for (const auto& t : window.titles()) titles += "'" + t + "' ";
  INFO("titles: " << titles);
  CHECK(shown);
  auto seen = window.titles();
  CHECK(seen.size() == 2);  // the desktop's own name, then the reason
  CHECK((!seen.empty() && seen.back() == told));
  std::this_thread::sleep_for(1s);
  CHECK(viewer.alive());
  CHECK(wait_until([&] { return viewer.log().find("End of stream") != std::string::npos; }, 5s));
  CHECK(wait_until([&] { return !viewer.alive(); }, 5s));

  auto start = gw.audit().wait_for([](const audit_event& e) { return is_event(e, "session_start"); });
  REQUIRE(start);
  auto end = gw.audit().wait_session_end(text_of(*start, "session"));
  REQUIRE(end);
  CHECK(text_of(*end, "outcome") == "idle_timeout");
  CHECK(text_of(*end, "reason") == idle_reason);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
