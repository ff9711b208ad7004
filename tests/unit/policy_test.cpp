// policy_test.cpp — user/group -> target decisions.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policy/target_rules.hpp"

using namespace vncgate::policy;

namespace {

const std::vector<target_rule> rules{
    {"design-ws", {{"alice"}, {"designers"}}},
    {"build-box", {{"bob"}, {"builders", "designers"}}},
    {"kiosk", {{"*"}, {}}},
    {"locked", {{}, {}}},
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
      {"design-ws", {{"alice"}, {"designers"}}},
      {"build-box", {{"bob"}, {"builders"}}},
      {"locked", {}},
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
  const auto r = GENERATE(refusal::unknown_target, refusal::not_allowed, refusal::no_target,
                          refusal::ambiguous, refusal::listener_mismatch);
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
  CHECK(to_string(refusal::not_allowed) == "not_allowed");
  CHECK(to_string(refusal::unknown_target) == "unknown_target");
  CHECK(to_string(refusal::ambiguous) == "ambiguous");
  CHECK(client_message(refusal::none).empty());
}
