// pam_backend_test.cpp — pam_backend against real libpam under pam_wrapper. [pam]
//
// Runs only through pam_tests.cmake's env(1) wrapper: LD_PRELOAD=libpam_wrapper.so,
// PAM_WRAPPER=1 and PAM_WRAPPER_SERVICE_DIR pointing at the service files written at
// configure time (passdb: alice:s3cret, carol:pa55word, root:r00tpw for service vncgw;
// bob:hunter2 for another service). Every test first checks PAM_WRAPPER, so a stray
// run can never talk to the machine's real PAM stack.
#include <algorithm>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "auth/pam_backend.hpp"

using namespace vncgate::auth;

namespace {

void require_pam_wrapper() {
  const char* wrapped = std::getenv("PAM_WRAPPER");
  REQUIRE(wrapped != nullptr);
  REQUIRE(std::string(wrapped) == "1");
  REQUIRE(std::getenv("PAM_WRAPPER_SERVICE_DIR") != nullptr);
}

}  // namespace

TEST_CASE("PAM: the right password is accepted", "[pam]") {
  require_pam_wrapper();
  const pam_backend backend("vncgw");
  CHECK(backend.name() == "pam");
  const auto v = backend.authenticate("alice", "s3cret");
  CAPTURE(v.detail);
  CHECK(v.result == outcome::accepted);
  CHECK(v.who.user == "alice");
  CHECK(v.who.groups.empty());  // alice exists only in pam_matrix's passdb, not in NSS
}

TEST_CASE("PAM: a user NSS knows gets its groups", "[pam]") {
  require_pam_wrapper();
  const pam_backend backend("vncgw");
  const auto v = backend.authenticate("root", "r00tpw");
  CAPTURE(v.detail);
  REQUIRE(v.result == outcome::accepted);
  CHECK(v.who.user == "root");
  CHECK(std::find(v.who.groups.begin(), v.who.groups.end(), "root") != v.who.groups.end());
}

TEST_CASE("PAM: the identity carries the name the stack ends with", "[pam]") {
  require_pam_wrapper();
  // vncgw-rename checks alice's password, then pam_set_items sets PAM_USER from the
  // environment, as a module mapping login names would. Groups follow the final name.
  struct env_guard {
    env_guard() { REQUIRE(::setenv("PAM_USER", "root", 1) == 0); }
    ~env_guard() { ::unsetenv("PAM_USER"); }
  } mapped;
  const pam_backend backend("vncgw-rename");
  const auto v = backend.authenticate("alice", "s3cret");
  CAPTURE(v.detail);
  REQUIRE(v.result == outcome::accepted);
  CHECK(v.who.user == "root");
  CHECK(std::find(v.who.groups.begin(), v.who.groups.end(), "root") != v.who.groups.end());
  CHECK(backend.authenticate("alice", "wrong").result == outcome::rejected);
}

TEST_CASE("PAM: wrong passwords are rejected", "[pam]") {
  require_pam_wrapper();
  const pam_backend backend("vncgw");
  const std::string password = GENERATE(as<std::string>{}, "s3creT", "s3cret ", "s3cre", "", "pa55word",
                                        std::string("s3cret\0x", 8));
  CAPTURE(password);
  const auto v = backend.authenticate("alice", password);
  CHECK(v.result == outcome::rejected);
  CHECK(v.who.user.empty());
  if (!password.empty()) CHECK(v.detail.find(password) == std::string::npos);
}

TEST_CASE("PAM: an unknown user looks exactly like a wrong password", "[pam]") {
  require_pam_wrapper();
  const pam_backend backend("vncgw");
  const auto wrong = backend.authenticate("alice", "not-it");
  const auto unknown = backend.authenticate("mallory", "not-it");
  CHECK(wrong.result == outcome::rejected);
  CHECK(unknown.result == outcome::rejected);
  CHECK(wrong.detail == "pam_authenticate: Authentication failure");
  CHECK(unknown.detail == wrong.detail);
}

TEST_CASE("PAM: a user the account check refuses is rejected", "[pam]") {
  require_pam_wrapper();
  // bob's password is right, but pam_matrix allows him only another service.
  const pam_backend backend("vncgw");
  const auto v = backend.authenticate("bob", "hunter2");
  CHECK(v.result == outcome::rejected);
  CHECK(v.who.user.empty());
  CHECK(v.detail.rfind("pam_acct_mgmt: ", 0) == 0);
}

TEST_CASE("PAM: a service with no file falls back to 'other' and is rejected", "[pam]") {
  require_pam_wrapper();
  // Linux-PAM reads "other" for a service it has no file for, and Debian's "other"
  // denies. PAM's API does not tell this apart from a wrong password, so the right
  // answer is "rejected" (fail closed, the same as bad credentials), never "accepted".
  // Even alice's right password must not get through.
  const pam_backend backend("vncgate-no-such-service");
  const auto right = backend.authenticate("alice", "s3cret");
  const auto wrong = backend.authenticate("alice", "nope");
  CHECK(right.result == outcome::rejected);
  CHECK(wrong.result == outcome::rejected);
  CHECK(right.detail == wrong.detail);
}

TEST_CASE("PAM: the client's address reaches the stack as PAM_RHOST", "[pam]") {
  require_pam_wrapper();
  // pam_access refuses 192.0.2.0/24 and 2001:db8::/32 and admits everything else. It
  // looks the user up in NSS, so the test logs in as root, the one user NSS knows here.
  const pam_backend backend("vncgw-access");
  CHECK(backend.authenticate("root", "r00tpw", "198.51.100.7").result == outcome::accepted);
  CHECK(backend.authenticate("root", "r00tpw", "2001:db9::1").result == outcome::accepted);
  const auto refused = backend.authenticate("root", "r00tpw", "192.0.2.9");
  CAPTURE(refused.detail);
  CHECK(refused.result == outcome::rejected);
  CHECK(refused.detail.rfind("pam_acct_mgmt: ", 0) == 0);
  CHECK(backend.authenticate("root", "r00tpw", "2001:db8::1").result == outcome::rejected);
}

TEST_CASE("PAM: a module that cannot be loaded is an error, not a rejection", "[pam]") {
  require_pam_wrapper();
  const pam_backend backend("vncgw-broken");
  const auto v = backend.authenticate("alice", "s3cret");
  CAPTURE(v.detail);
  CHECK(v.result == outcome::error);
  CHECK(v.detail.rfind("pam_authenticate: ", 0) == 0);
}

TEST_CASE("PAM: module messages go to the detail, not to the identity", "[pam]") {
  require_pam_wrapper();
  const pam_backend backend("vncgw-echo");
  const auto v = backend.authenticate("alice", "s3cret");
  CAPTURE(v.detail);
  CHECK(v.result == outcome::accepted);
  CHECK(v.who.user == "alice");
  CHECK(v.detail.find("hello from pam_echo") != std::string::npos);
  CHECK(v.detail.find("s3cret") == std::string::npos);
}

TEST_CASE("PAM: a second password prompt is refused, never answered again", "[pam]") {
  require_pam_wrapper();
  // Two pam_matrix lines: the second asks for the password again. In whole mode (the
  // default) the conversation fails it, so the right password is still not enough.
  const pam_backend backend("vncgw-two-prompts");
  const auto v = backend.authenticate("alice", "s3cret");
  CAPTURE(v.detail);
  CHECK(v.result != outcome::accepted);
  CHECK(v.who.user.empty());
  CHECK(v.detail.find("second password prompt was refused") != std::string::npos);
}

TEST_CASE("PAM split mode: the first prompt gets the password, the second the code", "[pam]") {
  require_pam_wrapper();
  // vncgw-split: pam_matrix checks the password (s3cret), then a second pam_matrix
  // checks the "code" (123456) against another passdb.
  const pam_backend split("vncgw-split", pam_prompts{6});
  const auto v = split.authenticate("alice", "s3cret123456");
  CAPTURE(v.detail);
  CHECK(v.result == outcome::accepted);
  CHECK(v.who.user == "alice");
  CHECK(v.detail.find("123456") == std::string::npos);
  CHECK(v.detail.find("s3cret") == std::string::npos);
  // The halves swapped, a wrong code, a wrong password: each fails its own prompt.
  CHECK(split.authenticate("alice", "123456s3cret").result == outcome::rejected);
  CHECK(split.authenticate("alice", "s3cret123457").result == outcome::rejected);
  CHECK(split.authenticate("alice", "s3creT123456").result == outcome::rejected);
  // Whole mode sends "s3cret123456" to the first prompt: not the password.
  CHECK(pam_backend("vncgw-split").authenticate("alice", "s3cret123456").result == outcome::rejected);
}

TEST_CASE("PAM split mode: digits count from the end", "[pam]") {
  require_pam_wrapper();
  // Seven digits configured: "s3cret1" is not the password.
  CHECK(pam_backend("vncgw-split", pam_prompts{7}).authenticate("alice", "s3cret123456").result ==
        outcome::rejected);
  // A password ending in digits keeps them: only the last six are the code.
  CHECK(pam_backend("vncgw-split", pam_prompts{6}).authenticate("carol", "pa55word123456").result ==
        outcome::rejected);  // carol has no code in passdb-code
}

TEST_CASE("PAM split mode: no code typed is a rejection, not a stack error", "[pam]") {
  require_pam_wrapper();
  const pam_backend split("vncgw-split", pam_prompts{6});
  // The password alone passes the first prompt; the second finds no code and is refused.
  const std::string typed = GENERATE(as<std::string>{}, "s3cret", "s3cret12345", "s3cret12345x");
  CAPTURE(typed);
  const auto v = split.authenticate("alice", typed);
  CAPTURE(v.detail);
  CHECK(v.result == outcome::rejected);
  CHECK(v.who.user.empty());
  if (typed == "s3cret") CHECK(v.detail.find("no one-time code typed") != std::string::npos);
}

TEST_CASE("PAM split mode: a third password prompt is refused, nothing is resent", "[pam]") {
  require_pam_wrapper();
  // The third module asks again for the password (or the code); resending either would
  // let it pass.
  const std::string service = GENERATE(as<std::string>{}, "vncgw-split-third-password", "vncgw-split-third-code");
  CAPTURE(service);
  const auto v = pam_backend(service, pam_prompts{6}).authenticate("alice", "s3cret123456");
  CAPTURE(v.detail);
  CHECK(v.result != outcome::accepted);
  CHECK(v.who.user.empty());
  CHECK(v.detail.find("third password prompt was refused") != std::string::npos);
}

TEST_CASE("PAM: each status maps to one outcome", "[pam]") {
  require_pam_wrapper();
  // pam_debug returns the status named in its arguments, in the auth or account phase.
  const auto [code, expected] = GENERATE(table<std::string, outcome>({
      {"success", outcome::accepted},
      {"auth_err", outcome::rejected},
      {"user_unknown", outcome::rejected},
      {"perm_denied", outcome::rejected},
      {"acct_expired", outcome::rejected},
      {"authtok_expired", outcome::rejected},
      {"new_authtok_reqd", outcome::rejected},
      {"maxtries", outcome::rejected},
      {"cred_insufficient", outcome::error},
      {"authinfo_unavail", outcome::error},
      {"service_err", outcome::error},
      {"system_err", outcome::error},
      {"buf_err", outcome::error},
      {"conv_err", outcome::error},
      {"abort", outcome::error},
  }));
  const std::string phase = GENERATE(as<std::string>{}, "auth", "acct");
  CAPTURE(code, phase);
  const pam_backend backend("debug-" + phase + "-" + code);
  const auto v = backend.authenticate("alice", "anything");
  CAPTURE(v.detail);
  CHECK(v.result == expected);
  if (expected == outcome::accepted) {
    CHECK(v.who.user == "alice");
  } else {
    CHECK(v.who.user.empty());
    CHECK(v.detail.rfind(phase == "auth" ? "pam_authenticate: " : "pam_acct_mgmt: ", 0) == 0);
  }
}

TEST_CASE("PAM: user_unknown reads like auth_err in the log", "[pam]") {
  require_pam_wrapper();
  const auto unknown = pam_backend("debug-auth-user_unknown").authenticate("alice", "x");
  const auto wrong = pam_backend("debug-auth-auth_err").authenticate("alice", "x");
  CHECK(unknown.result == outcome::rejected);
  // pam_debug itself says which status it returns ("(auth=user_unknown)"); that text is
  // the module's own. What the backend writes, the status text, must be the same.
  const auto status_text = [](const std::string& d) { return d.substr(0, d.find(" (")); };
  CHECK(status_text(unknown.detail) == "pam_authenticate: Authentication failure");
  CHECK(status_text(unknown.detail) == status_text(wrong.detail));
}

TEST_CASE("PAM: a NUL byte in the name or password is rejected before PAM", "[pam]") {
  require_pam_wrapper();
  const pam_backend backend("vncgw");
  // Passed through as C strings these would be "alice" and "s3cret": they must not pass.
  CHECK(backend.authenticate(std::string("alice\0bob", 9), "s3cret").result == outcome::rejected);
  CHECK(backend.authenticate("alice", std::string("s3cret\0", 7)).result == outcome::rejected);
  CHECK(backend.authenticate("", "s3cret").result == outcome::rejected);
}

TEST_CASE("PAM: eight threads authenticating at once all get the right answer", "[pam]") {
  require_pam_wrapper();
  const pam_backend backend("vncgw");
  constexpr int threads = 8;
  constexpr int rounds = 25;
  std::atomic<int> wrong_answers{0};
  std::atomic<int> answers{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        // Each thread mixes the cases, so concurrent transactions see different users.
        const int which = (t + i) % 4;
        verdict v;
        bool right = false;
        switch (which) {
          case 0:
            v = backend.authenticate("alice", "s3cret");
            right = v.result == outcome::accepted && v.who.user == "alice";
            break;
          case 1:
            v = backend.authenticate("carol", "pa55word");
            right = v.result == outcome::accepted && v.who.user == "carol";
            break;
          case 2:
            v = backend.authenticate("alice", "pa55word");  // carol's password
            right = v.result == outcome::rejected && v.who.user.empty();
            break;
          default:
            v = backend.authenticate("mallory", "s3cret");
            right = v.result == outcome::rejected && v.who.user.empty();
            break;
        }
        if (!right) ++wrong_answers;
        ++answers;
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(answers == threads * rounds);
  CHECK(wrong_answers == 0);
}
