// policy_test.cpp — user/group -> target decisions: splitting user@target, access lists,
// the three ways a target is chosen, deny rules over allow rules, and refusal wording.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policy/target_rules.hpp"

using namespace vncgate::policy;

namespace {

const std::vector<target_rule> rules{
    {"design-ws", {{"alice"}, {"designers"}}, {}},
    {"build-box", {{"bob"}, {"builders", "designers"}}, {}},
    {"kiosk", {{"*"}, {}}, {}},
    {"locked", {{}, {}}, {}},
};

const std::vector<std::string> no_groups;

}  // namespace

TEST_CASE("split_login splits at the last @ only when a target is named", "[policy]") {
  struct row {
    const char* login;
    const char* user;
    const char* target;
  };
  auto r = GENERATE(values<row>({
      {"alice", "alice", ""},
      {"alice@design-ws", "alice", "design-ws"},
      {"alice@example.com", "alice@example.com", ""},
      {"alice@example.com@design-ws", "alice@example.com", "design-ws"},
      {"alice@design-ws@example.com", "alice@design-ws@example.com", ""},
      {"alice@Design-ws", "alice@Design-ws", ""},  // names are case-sensitive
      {"@design-ws", "@design-ws", ""},            // no empty user name
      {"alice@", "alice@", ""},
      {"@", "@", ""},
      {"", "", ""},
      {"a@kiosk", "a", "kiosk"},
  }));
  CAPTURE(r.login);
  const auto got = split_login(r.login, rules);
  CHECK(got.user == r.user);
  CHECK(got.target == r.target);
}

TEST_CASE("split_login with no targets keeps the whole login", "[policy]") {
  const auto got = split_login("alice@design-ws", {});
  CHECK(got.user == "alice@design-ws");
  CHECK(got.target.empty());
}

TEST_CASE("access_list admits by user, group or wildcard", "[policy]") {
  const access_list by_user{{"alice", "carol"}, {}};
  CHECK(by_user.admits("alice", no_groups));
  CHECK(by_user.admits("carol", no_groups));
  CHECK_FALSE(by_user.admits("bob", no_groups));
  CHECK_FALSE(by_user.admits("Alice", no_groups));
  CHECK_FALSE(by_user.admits("alic", no_groups));
  CHECK_FALSE(by_user.admits("", no_groups));

  const access_list by_group{{}, {"designers"}};
  const std::vector<std::string> designer{"staff", "designers"};
  const std::vector<std::string> other{"staff", "builders"};
  CHECK(by_group.admits("bob", designer));
  CHECK_FALSE(by_group.admits("bob", other));
  CHECK_FALSE(by_group.admits("designers", no_groups));  // a user name is not a group

  // A group named like a listed user does not count either.
  CHECK_FALSE(by_user.admits("bob", std::vector<std::string>{"alice"}));

  const access_list anyone{{"*"}, {}};
  CHECK(anyone.admits("alice", no_groups));
  CHECK(anyone.admits("*", no_groups));
  CHECK(anyone.admits("bob", other));

  const access_list nobody{};
  CHECK_FALSE(nobody.admits("alice", designer));
  CHECK_FALSE(nobody.admits("*", no_groups));
}

TEST_CASE("a login named * is not a wildcard", "[policy]") {
  const access_list bob_only{{"bob"}, {}};
  CHECK_FALSE(bob_only.admits("*", no_groups));
  const access_list group_star{{}, {"*"}};
  // "*" in groups is a literal group name, not a wildcard.
  CHECK_FALSE(group_star.admits("alice", std::vector<std::string>{"designers"}));
  CHECK(group_star.admits("alice", std::vector<std::string>{"*"}));
}

TEST_CASE("choose_target: listener bound to a target", "[policy]") {
  SECTION("no name asked: the bound target") {
    const auto c = choose_target(rules, 1, "", "bob", no_groups);
    CHECK(c.why == refusal::none);
    REQUIRE(c.index);
    CHECK(*c.index == 1);
  }
  SECTION("the same name asked") {
    const auto c = choose_target(rules, 1, "build-box", "bob", no_groups);
    CHECK(c.why == refusal::none);
    CHECK(c.index == std::optional<std::size_t>(1));
  }
  SECTION("another name asked: listener_mismatch, even if allowed there") {
    const auto c = choose_target(rules, 1, "design-ws", "alice", no_groups);
    CHECK(c.why == refusal::listener_mismatch);
    CHECK_FALSE(c.index);
  }
  SECTION("bound target does not admit the user") {
    const auto c = choose_target(rules, 1, "", "alice", no_groups);
    CHECK(c.why == refusal::not_allowed);
    CHECK_FALSE(c.index);
  }
  SECTION("bound target admits by group") {
    const auto c = choose_target(rules, 1, "", "dave", std::vector<std::string>{"builders"});
    CHECK(c.why == refusal::none);
    CHECK(c.index == std::optional<std::size_t>(1));
  }
  SECTION("index out of range is refused") {
    const auto c = choose_target(rules, 17, "", "alice", no_groups);
    CHECK(c.why != refusal::none);
    CHECK_FALSE(c.index);
  }
}

TEST_CASE("choose_target: a named target", "[policy]") {
  SECTION("allowed") {
    const auto c = choose_target(rules, std::nullopt, "design-ws", "alice", no_groups);
    CHECK(c.why == refusal::none);
    CHECK(c.index == std::optional<std::size_t>(0));
  }
  SECTION("allowed by the wildcard") {
    const auto c = choose_target(rules, std::nullopt, "kiosk", "zed", no_groups);
    CHECK(c.why == refusal::none);
    CHECK(c.index == std::optional<std::size_t>(2));
  }
  SECTION("exists but not allowed") {
    const auto c = choose_target(rules, std::nullopt, "design-ws", "bob", no_groups);
    CHECK(c.why == refusal::not_allowed);
    CHECK_FALSE(c.index);
  }
  SECTION("empty allow list") {
    const auto c = choose_target(rules, std::nullopt, "locked", "alice",
                                 std::vector<std::string>{"designers"});
    CHECK(c.why == refusal::not_allowed);
  }
  SECTION("unknown") {
    const auto c = choose_target(rules, std::nullopt, "nope", "alice", no_groups);
    CHECK(c.why == refusal::unknown_target);
    CHECK_FALSE(c.index);
  }
}

TEST_CASE("choose_target: nothing named", "[policy]") {
  const std::vector<target_rule> small{
      {"design-ws", {{"alice"}, {"designers"}}, {}},
      {"build-box", {{"bob"}, {"builders"}}, {}},
      {"locked", {}, {}},
  };
  SECTION("exactly one allowed") {
    const auto c = choose_target(small, std::nullopt, "", "bob", no_groups);
    CHECK(c.why == refusal::none);
    CHECK(c.index == std::optional<std::size_t>(1));
  }
  SECTION("none allowed") {
    const auto c = choose_target(small, std::nullopt, "", "mallory", no_groups);
    CHECK(c.why == refusal::no_target);
    CHECK_FALSE(c.index);
  }
  SECTION("no targets at all") {
    const auto c = choose_target({}, std::nullopt, "", "alice", no_groups);
    CHECK(c.why == refusal::no_target);
  }
  SECTION("several allowed: ambiguous") {
    const auto c = choose_target(small, std::nullopt, "", "alice",
                                 std::vector<std::string>{"builders"});
    CHECK(c.why == refusal::ambiguous);
    CHECK_FALSE(c.index);
  }
  SECTION("the wildcard target makes everyone ambiguous in the full set") {
    const auto c = choose_target(rules, std::nullopt, "", "alice", no_groups);
    CHECK(c.why == refusal::ambiguous);
  }
}

TEST_CASE("refusal messages", "[policy]") {
  const auto r = GENERATE(refusal::unknown_target, refusal::not_allowed, refusal::denied,
                          refusal::no_target, refusal::ambiguous, refusal::listener_mismatch);
  CAPTURE(to_string(r));
  const std::string msg(client_message(r));
  CHECK_FALSE(msg.empty());
  for (const auto& t : rules) CHECK(msg.find(t.name) == std::string::npos);
  for (const char* user : {"alice", "bob"}) CHECK(msg.find(user) == std::string::npos);
  CHECK_FALSE(to_string(r).empty());
  CHECK(to_string(r) != "none");
}

TEST_CASE("refusals that could reveal which targets exist read the same", "[policy]") {
  CHECK(client_message(refusal::unknown_target) == client_message(refusal::not_allowed));
  CHECK(client_message(refusal::listener_mismatch) == client_message(refusal::not_allowed));
  // A deny rule is never revealed: the client reads what any other refusal reads.
  CHECK(client_message(refusal::denied) == client_message(refusal::not_allowed));
  CHECK(std::string(client_message(refusal::denied)).find("den") == std::string::npos);
  CHECK(to_string(refusal::denied) == "denied");
  CHECK(to_string(refusal::not_allowed) == "not_allowed");
  CHECK(to_string(refusal::unknown_target) == "unknown_target");
  CHECK(to_string(refusal::ambiguous) == "ambiguous");
  CHECK(client_message(refusal::none).empty());
}

TEST_CASE("deny wins over allow, by user, by group or by wildcard", "[policy]") {
  struct row {
    const char* what;
    access_list allow;
    access_list deny;
    const char* user;
    std::vector<std::string> groups;
    refusal expected;
  };
  using g = std::vector<std::string>;
  const auto r = GENERATE(values<row>({
      {"no deny rule", {{"alice"}, {}}, {}, "alice", {}, refusal::none},
      {"denied by name, allowed by name", {{"alice"}, {}}, {{"alice"}, {}}, "alice", {}, refusal::denied},
      {"denied by name, allowed by group", {{}, {"designers"}}, {{"alice"}, {}}, "alice", g{"designers"},
       refusal::denied},
      {"denied by group, allowed by name", {{"alice"}, {}}, {{}, {"contractors"}}, "alice",
       g{"staff", "contractors"}, refusal::denied},
      {"denied and allowed by the same group", {{}, {"designers"}}, {{}, {"designers"}}, "bob",
       g{"designers"}, refusal::denied},
      {"* in deny users denies everyone", {{"alice"}, {"designers"}}, {{"*"}, {}}, "alice", g{"designers"},
       refusal::denied},
      {"* in both", {{"*"}, {}}, {{"*"}, {}}, "zed", {}, refusal::denied},
      {"allowed by *, another user denied", {{"*"}, {}}, {{"mallory"}, {}}, "bob", {}, refusal::none},
      {"allowed by *, this user denied", {{"*"}, {}}, {{"mallory"}, {}}, "mallory", {}, refusal::denied},
      {"* in deny groups is a group name, not a wildcard", {{"alice"}, {}}, {{}, {"*"}}, "alice",
       g{"designers"}, refusal::none},
      {"... which a user may belong to", {{"alice"}, {}}, {{}, {"*"}}, "alice", g{"*"}, refusal::denied},
      {"names are case-sensitive in deny too", {{"alice"}, {}}, {{"Alice"}, {"Staff"}}, "alice", g{"staff"},
       refusal::none},
      {"neither allowed nor denied", {{"alice"}, {}}, {{"mallory"}, {}}, "bob", {}, refusal::not_allowed},
      {"denied and not allowed either: the audit says denied", {{"alice"}, {}}, {{"mallory"}, {}}, "mallory",
       {}, refusal::denied},
      {"a group named like a denied user does not count", {{"*"}, {}}, {{"alice"}, {}}, "bob", g{"alice"},
       refusal::none},
  }));
  CAPTURE(r.what);
  const std::vector<target_rule> one{{"desk", r.allow, r.deny}};
  const bool admitted = r.expected == refusal::none;
  CHECK(one[0].admits(r.user, r.groups) == admitted);

  // The same answer whichever way the target is chosen.
  const auto named = choose_target(one, std::nullopt, "desk", r.user, r.groups);
  CHECK(named.why == r.expected);
  CHECK(named.index.has_value() == admitted);
  const auto bound = choose_target(one, 0, "", r.user, r.groups);
  CHECK(bound.why == r.expected);
  CHECK(bound.index.has_value() == admitted);
  // Rule 3 knows only "reachable or not": a denied target is not reachable.
  const auto only = choose_target(one, std::nullopt, "", r.user, r.groups);
  CHECK(only.why == (admitted ? refusal::none : refusal::no_target));
  CHECK(only.index.has_value() == admitted);
}

TEST_CASE("choose_target: a target the user is denied on is not reachable", "[policy]") {
  const std::vector<target_rule> set{
      {"design-ws", {{"alice"}, {"designers"}}, {{}, {"contractors"}}},
      {"build-box", {{"*"}, {}}, {{"mallory"}, {}}},
      {"kiosk", {{}, {"kiosk-users"}}, {{"carol"}, {}}},
  };
  using g = std::vector<std::string>;
  SECTION("without deny rules these users would be ambiguous") {
    CHECK(choose_target(set, std::nullopt, "", "erin", g{"kiosk-users"}).why == refusal::ambiguous);
    CHECK(choose_target(set, std::nullopt, "", "erin", g{"designers"}).why == refusal::ambiguous);
  }
  SECTION("denied on one of two: the other is the only one") {
    const auto c = choose_target(set, std::nullopt, "", "carol", g{"kiosk-users"});
    CHECK(c.why == refusal::none);
    CHECK(c.index == std::optional<std::size_t>(1));
    const auto d = choose_target(set, std::nullopt, "", "dave", g{"designers", "contractors"});
    CHECK(d.why == refusal::none);
    CHECK(d.index == std::optional<std::size_t>(1));
  }
  SECTION("denied on two of three: the third") {
    const auto m = choose_target(set, std::nullopt, "", "mallory", g{"designers", "contractors", "kiosk-users"});
    CHECK(m.why == refusal::none);
    CHECK(m.index == std::optional<std::size_t>(2));
  }
  SECTION("denied everywhere it was allowed: no target") {
    const std::vector<target_rule> two{set[0], set[1]};
    const auto c = choose_target(two, std::nullopt, "", "mallory", g{"designers", "contractors"});
    CHECK(c.why == refusal::no_target);
    CHECK_FALSE(c.index);
  }
  SECTION("a named target that denies the user: denied, not a fallback to another") {
    const auto c = choose_target(set, std::nullopt, "kiosk", "carol", g{"kiosk-users"});
    CHECK(c.why == refusal::denied);
    CHECK_FALSE(c.index);
  }
  SECTION("a listener bound elsewhere still reads listener_mismatch") {
    const auto c = choose_target(set, 0, "kiosk", "carol", no_groups);
    CHECK(c.why == refusal::listener_mismatch);
  }
  SECTION("an unknown target named stays unknown_target") {
    const auto c = choose_target(set, std::nullopt, "nope", "mallory", no_groups);
    CHECK(c.why == refusal::unknown_target);
  }
}
