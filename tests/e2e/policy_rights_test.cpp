// policy_rights_test.cpp — what a session may do once in: view-only users' pointer and
// key events never reach the desktop, blocked users' paste (ClientCutText) never
// reaches its clipboard, deny wins over allow. Each "never arrives" is checked on the
// target itself (xdotool, xset, xclip on the Xvnc display), beside the same action by a
// user with full rights that does arrive — and a direct connection first proves the
// desktop takes such input at all, so the "blocked" checks can fail.
#include <catch2/catch.hpp>
#include <random>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

constexpr std::uint32_t caps_lock_keysym = 0xffe5;  // XK_Caps_Lock
constexpr screen_point parked{10, 10};               // where the pointer waits before each session
constexpr screen_point aimed{200, 150};              // where the client sends it

// Text no earlier run or other test can have left on a clipboard.
std::string unique_text(const std::string& who) {
  std::random_device random;
  return who + "-paste-" + std::to_string(random()) + "-" + std::to_string(random());
}

// The pointer is at `parked` and Caps Lock is off: what the client does must change that.
void reset_desk(const xvnc_server& desk) {
  REQUIRE(move_pointer(desk, parked));
  REQUIRE(caps_lock_on(desk) == std::optional<bool>(false));
}

// Pointer to `aimed`, a Caps Lock press and release, then the server's messages for a
// while, so whatever the gateway lets through has arrived before the checks.
void send_input(vnc_live& live) {
  CHECK(live.pointer(aimed.x - 50, aimed.y - 50));
  CHECK(live.pointer(aimed.x, aimed.y));
  CHECK(live.key_tap(caps_lock_keysym));
  CHECK(live.serve(300ms));
}

}  // namespace

TEST_CASE("harness: Xvnc takes pointer, keys and cut text from a direct libvncclient", "[e2e][harness]") {
  small_desk_setup s;
  reset_desk(s.desk);
  std::string text = unique_text("direct");
  bool moved = false, caps = false, pasted = false, primary = false;
  auto r = vnc_connect(s.desk.port(), {.password = vnc_password}, {.while_connected = [&](vnc_live& live) {
    send_input(live);
    moved = wait_until([&] { return pointer_on(s.desk) == aimed; }, 3s);
    caps = wait_until([&] { return caps_lock_on(s.desk) == std::optional<bool>(true); }, 3s);
    CHECK(live.cut_text(text));
    CHECK(live.serve(100ms));
    pasted = wait_until([&] { return selection_on(s.desk, "clipboard") == text; }, 3s);
    primary = selection_on(s.desk, "primary") == text;
  }});
  INFO(r.log_text());
  REQUIRE(r.connected);
  CHECK(moved);
  CHECK(caps);
  CHECK(pasted);
  CHECK(primary);
}

TEST_CASE("policy: view-only: a view-only user's pointer and keys never reach the desktop", "[e2e][policy][rights]") {
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", {"alice", "bob"});
  desk.extra_lines = {"view_only: {users: [bob]}"};
  gateway gw(s.dir, s.tls, {.users = {alice, bob}, .targets = {desk}});

  reset_desk(s.desk);
  std::optional<screen_point> bob_pointer;
  std::optional<bool> bob_caps;
  bool bob_still_connected = false;
  auto viewer = vnc_connect(gw.port(), login_as(bob, s.tls), {.while_connected = [&](vnc_live& live) {
    send_input(live);
    live.serve(700ms);
    bob_pointer = pointer_on(s.desk);
    bob_caps = caps_lock_on(s.desk);
    bob_still_connected = live.open();  // input is dropped, the session goes on
  }});
  INFO(viewer.log_text());
  REQUIRE(viewer.full_frame);
  CHECK(bob_pointer == parked);
  CHECK(bob_caps == std::optional<bool>(false));
  CHECK(bob_still_connected);
  auto bob_start = session_start_of(gw, viewer.source());
  CHECK(flag_of(bob_start, "view_only") == std::optional<bool>(true));
  CHECK(text_of(bob_start, "paste") == "allowed");
  check_session_outcome(gw, viewer.source(), "ok");
  CHECK(pointer_on(s.desk) == parked);  // nothing arrived late either

  // The same events from a user with full access arrive.
  bool moved = false, caps = false;
  auto full = vnc_connect(gw.port(), login_as(alice, s.tls), {.while_connected = [&](vnc_live& live) {
    send_input(live);
    moved = wait_until([&] { return pointer_on(s.desk) == aimed; }, 3s);
    caps = wait_until([&] { return caps_lock_on(s.desk) == std::optional<bool>(true); }, 3s);
  }});
  INFO(full.log_text());
  REQUIRE(full.full_frame);
  CHECK(moved);
  CHECK(caps);
  auto alice_start = session_start_of(gw, full.source());
  CHECK(flag_of(alice_start, "view_only") == std::optional<bool>(false));
  CHECK(text_of(alice_start, "paste") == "allowed");
  check_session_outcome(gw, full.source(), "ok");
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}

TEST_CASE("policy: block_paste: a blocked user's cut text never reaches the target clipboard", "[e2e][policy][rights]") {
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", {"bob", "carol"});
  desk.extra_lines = {"block_paste: {groups: [designers]}"};  // carol is a designer, bob is not
  gateway gw(s.dir, s.tls, {.users = {bob, carol}, .targets = {desk}});

  reset_desk(s.desk);
  std::string blocked_text = unique_text("carol");
  std::optional<std::string> clipboard, primary;
  bool carol_moved = false, carol_still_connected = false;
  auto blocked = vnc_connect(gw.port(), login_as(carol, s.tls), {.while_connected = [&](vnc_live& live) {
    CHECK(live.cut_text(blocked_text));
    CHECK(live.pointer(aimed.x, aimed.y));  // sent after the cut text: once it arrives, so would the paste
    carol_moved = wait_until([&] { return pointer_on(s.desk) == aimed; }, 3s);
    live.serve(500ms);
    clipboard = selection_on(s.desk, "clipboard");
    primary = selection_on(s.desk, "primary");
    carol_still_connected = live.open();
  }});
  INFO(blocked.log_text());
  REQUIRE(blocked.full_frame);
  CHECK(carol_moved);  // blocking paste takes nothing else away
  CHECK(clipboard != blocked_text);
  CHECK(primary != blocked_text);
  CHECK(carol_still_connected);
  auto carol_start = session_start_of(gw, blocked.source());
  CHECK(text_of(carol_start, "paste") == "blocked");
  CHECK(flag_of(carol_start, "view_only") == std::optional<bool>(false));
  check_session_outcome(gw, blocked.source(), "ok");

  std::string allowed_text = unique_text("bob");
  bool pasted = false;
  auto allowed = vnc_connect(gw.port(), login_as(bob, s.tls), {.while_connected = [&](vnc_live& live) {
    CHECK(live.cut_text(allowed_text));
    CHECK(live.serve(100ms));
    pasted = wait_until([&] { return selection_on(s.desk, "clipboard") == allowed_text; }, 3s);
  }});
  INFO(allowed.log_text());
  REQUIRE(allowed.full_frame);
  CHECK(pasted);
  CHECK(text_of(session_start_of(gw, allowed.source()), "paste") == "allowed");
  check_session_outcome(gw, allowed.source(), "ok");
  check_clean_shutdown(gw, {bob.password, carol.password, vnc_password, blocked_text});
}

TEST_CASE("policy: a target's deny list wins over its allow list", "[e2e][policy][rights]") {
  struct deny_case {
    const char* name;
    std::vector<std::string> allow_users, allow_groups;
    std::string deny;
    user_spec refused, admitted;
  };
  auto c = GENERATE(values<deny_case>({
      {"a denied user in an allowed group", {}, {"designers"}, "deny: {users: [carol]}", carol, alice},
      {"an allowed user in a denied group", {"alice", "bob"}, {}, "deny: {groups: [designers]}", alice, bob},
  }));
  INFO("case: " << c.name);
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", c.allow_users, c.allow_groups);
  desk.extra_lines = {c.deny};
  gateway gw(s.dir, s.tls, {.users = {alice, bob, carol}, .targets = {desk}});

  auto r = vnc_connect(gw.port(), login_as(c.refused, s.tls, "@desk"));
  INFO(r.log_text());
  CHECK_FALSE(r.connected);
  CHECK(r.failure_reason() == "target not allowed");
  check_session_outcome(gw, r.source(), "not_allowed");
  check_still_serves(gw, gw.port(), login_as(c.admitted, s.tls, "@desk"), 320, 240);
  check_clean_shutdown(gw, {alice.password, bob.password, carol.password, vnc_password});
}
