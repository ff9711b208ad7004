// pam_oath_test.cpp — MFA in the PAM stack: the real pam_oath module under pam_wrapper,
// with the codes made by oathtool. [pam][oath]
//
// Runs only through pam_tests.cmake's env(1) wrapper, which also names the testbed
// (VNCGATE_OATH_TESTBED) and oathtool (VNCGATE_OATHTOOL). Two stacks, written there:
//   oath-joined-<case>:  pam_oath digits=6 prompts, splits "password+code", leaves the
//                        password in PAM_AUTHTOK; the password module takes it from
//                        there. The gateway runs in whole mode.
//   oath-prompts-<case>: the password module prompts, then pam_oath prompts for the
//                        code. The gateway runs in split mode (6 digits).
// Each case has its own service and usersfile (pam_oath rewrites it after an accepted
// code), written fresh here before the case runs. pam_oath needs the user in NSS, so
// the person is root, password r00tpw (pam_matrix passdb / the checker's list).
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "auth/pam_backend.hpp"
#include "auth/totp.hpp"

using namespace vncgate::auth;

namespace {

// RFC 4226's test key, as the usersfile holds it (hex) and as HMAC takes it.
constexpr const char* secret_hex = "3132333435363738393031323334353637383930";
constexpr const char* password = "r00tpw";
constexpr pam_prompts split_six{6};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

struct module_closer {
  void operator()(void* handle) const noexcept { dlclose(handle); }
};

// pam_end unloads pam_oath.so; a leak it made would then show up in the sanitizer's
// report with an unnamed stack, and could not be told apart from ours. RTLD_NODELETE
// keeps the module mapped to the end (the leak check runs after static destructors),
// so its name stays in the stack for pam_tests.cmake's suppression.
void keep_pam_oath_loaded() {
  static const std::unique_ptr<void, module_closer> module(
      dlopen(env("VNCGATE_PAM_OATH_MODULE").c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE));
  REQUIRE(module);
}

void require_pam_wrapper() {
  REQUIRE(env("PAM_WRAPPER") == "1");
  REQUIRE_FALSE(env("PAM_WRAPPER_SERVICE_DIR").empty());
  REQUIRE_FALSE(env("VNCGATE_OATH_TESTBED").empty());
  REQUIRE_FALSE(env("VNCGATE_OATHTOOL").empty());
  keep_pam_oath_loaded();
}

struct pipe_closer {
  void operator()(std::FILE* f) const noexcept { pclose(f); }
};

// The TOTP code (30 s steps, 6 digits) at `unix_time`, from oathtool: an implementation
// independent of the gateway's. Run without our LD_PRELOAD (pam_wrapper, ASan).
std::string oathtool_code(std::time_t unix_time) {
  const std::string command = "/usr/bin/env -u LD_PRELOAD " + env("VNCGATE_OATHTOOL") + " --totp -N @" +
                              std::to_string(static_cast<long long>(unix_time)) + " " + secret_hex;
  std::unique_ptr<std::FILE, pipe_closer> out(popen(command.c_str(), "r"));
  REQUIRE(out);
  char line[64] = {};
  REQUIRE(std::fgets(line, sizeof line, out.get()) != nullptr);
  std::string code(line);
  while (!code.empty() && (code.back() == '\n' || code.back() == '\r')) code.pop_back();
  REQUIRE(code.size() == 6);
  return code;
}

// Every code pam_oath window=1 accepts around `now`, with a step of margin each side
// for a clock that ticks during the test.
std::set<std::string> codes_near(std::time_t now) {
  std::set<std::string> codes;
  for (int step = -2; step <= 2; ++step) codes.insert(oathtool_code(now + step * 30));
  return codes;
}

// A six-digit code that is none of the valid ones.
std::string wrong_code(std::time_t now) {
  const auto valid = codes_near(now);
  for (int n = 314159;; n = (n + 100003) % 1000000) {
    const std::string candidate = format_otp(static_cast<std::uint32_t>(n), 6);
    if (!valid.contains(candidate)) return candidate;
  }
}

// The usersfile for one case, written fresh: no counter, no last code, no stale lock.
// Password column "+": the password is checked by another module ("externally
// verified"); "-" would make pam_oath refuse a password part it was handed.
std::filesystem::path fresh_usersfile(const std::string& service) {
  const std::filesystem::path dir = std::filesystem::path(env("VNCGATE_OATH_TESTBED")) / service.substr(5);
  std::filesystem::create_directories(dir);
  for (const char* leftover : {"users.oath.lock", "users.oath.new"}) std::filesystem::remove(dir / leftover);
  const auto file = dir / "users.oath";
  std::ofstream(file, std::ios::trunc) << "HOTP/T30/6 root + " << secret_hex << "\n";
  return file;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// No secret ever reaches the log text.
void check_detail_is_clean(const verdict& v, const std::string& code) {
  CHECK(v.detail.find(code) == std::string::npos);
  CHECK(v.detail.find(password) == std::string::npos);
}

// The cases both stacks share; `service` names the stack, `prompts` the mode it needs.

// The right password and code are accepted, and the same code again is not: pam_oath
// records the last code it accepted in its usersfile.
void check_accepted_once(const std::string& service, pam_prompts prompts) {
  const auto usersfile = fresh_usersfile(service);
  const pam_backend backend(service, prompts);
  const std::string code = oathtool_code(std::time(nullptr));
  const auto first = backend.authenticate("root", password + code);
  CAPTURE(first.detail);
  CHECK(first.result == outcome::accepted);
  CHECK(first.who.user == "root");
  check_detail_is_clean(first, code);
  CHECK(read_file(usersfile).find(code) != std::string::npos);

  const auto replay = backend.authenticate("root", password + code);
  CAPTURE(replay.detail);
  CHECK(replay.result == outcome::rejected);
  check_detail_is_clean(replay, code);
}

void check_wrong_code(const std::string& service, pam_prompts prompts) {
  fresh_usersfile(service);
  const pam_backend backend(service, prompts);
  const auto v = backend.authenticate("root", password + wrong_code(std::time(nullptr)));
  CAPTURE(v.detail);
  CHECK(v.result == outcome::rejected);
  CHECK(v.who.user.empty());
}

void check_old_code(const std::string& service, pam_prompts prompts) {
  fresh_usersfile(service);
  const pam_backend backend(service, prompts);
  const std::time_t now = std::time(nullptr);
  const std::string old = oathtool_code(now - 90);
  // About one chance in 2*10^5 that the old code equals a valid one.
  if (codes_near(now).contains(old)) {
    WARN("the code from 90 s ago happens to equal a current one; nothing to show this time");
    return;
  }
  const auto v = backend.authenticate("root", password + old);
  CAPTURE(v.detail);
  CHECK(v.result == outcome::rejected);
}

}  // namespace

TEST_CASE("pam_oath: oathtool and the gateway's TOTP agree on the test key", "[pam][oath]") {
  require_pam_wrapper();
  const std::vector<std::uint8_t> key{'1', '2', '3', '4', '5', '6', '7', '8', '9', '0',
                                      '1', '2', '3', '4', '5', '6', '7', '8', '9', '0'};
  const std::time_t now = std::time(nullptr);
  const auto ours = hotp(key, totp_counter(now), 6);
  REQUIRE(ours);
  CHECK(oathtool_code(now) == format_otp(*ours, 6));
  CHECK(oathtool_code(59) == "287082");  // RFC 6238 appendix B, 6-digit tail
}

// ---- a. password+code in one prompt: pam_oath first, whole mode -------------------

TEST_CASE("pam_oath joined: the right password and code are accepted once", "[pam][oath]") {
  require_pam_wrapper();
  check_accepted_once("oath-joined-accepted_once", {});
}

TEST_CASE("pam_oath joined: a wrong code is rejected", "[pam][oath]") {
  require_pam_wrapper();
  check_wrong_code("oath-joined-wrong_code", {});
}

TEST_CASE("pam_oath joined: the right code with a wrong password is rejected", "[pam][oath]") {
  require_pam_wrapper();
  fresh_usersfile("oath-joined-wrong_password");
  const pam_backend backend("oath-joined-wrong_password");
  const std::string code = oathtool_code(std::time(nullptr));
  const auto v = backend.authenticate("root", "r00tpx" + code);
  CAPTURE(v.detail);
  CHECK(v.result == outcome::rejected);
  check_detail_is_clean(v, code);
  // pam_oath ran first and accepted the code, so it is spent even though the password
  // failed: the right password with it now fails as a replay. (Stack order matters.)
  CHECK(backend.authenticate("root", password + code).result == outcome::rejected);
}

TEST_CASE("pam_oath joined: the password without a code is rejected", "[pam][oath]") {
  require_pam_wrapper();
  fresh_usersfile("oath-joined-missing_code");
  const pam_backend backend("oath-joined-missing_code");
  CHECK(backend.authenticate("root", password).result == outcome::rejected);
  CHECK(backend.authenticate("root", std::string(password) + "12345").result == outcome::rejected);
}

TEST_CASE("pam_oath joined: a code from three steps ago is rejected", "[pam][oath]") {
  require_pam_wrapper();
  check_old_code("oath-joined-old_code", {});
}

TEST_CASE("pam_oath joined: the one-prompt stack fails in split mode", "[pam][oath]") {
  require_pam_wrapper();
  // Split mode hands pam_oath's one prompt the password alone; pam_oath reads six
  // characters as a code. This stack needs whole mode.
  fresh_usersfile("oath-joined-other_mode");
  const pam_backend backend("oath-joined-other_mode", split_six);
  const std::string code = oathtool_code(std::time(nullptr));
  const auto v = backend.authenticate("root", password + code);
  CAPTURE(v.detail);
  CHECK(v.result != outcome::accepted);
  CHECK(pam_backend("oath-joined-other_mode").authenticate("root", password + code).result == outcome::accepted);
}

// ---- b. two prompts: password module, then pam_oath asks for the code; split mode ---

TEST_CASE("pam_oath prompts: the right password and code are accepted once", "[pam][oath]") {
  require_pam_wrapper();
  check_accepted_once("oath-prompts-accepted_once", split_six);
}

TEST_CASE("pam_oath prompts: a wrong code is rejected", "[pam][oath]") {
  require_pam_wrapper();
  check_wrong_code("oath-prompts-wrong_code", split_six);
}

TEST_CASE("pam_oath prompts: the right code with a wrong password is rejected", "[pam][oath]") {
  require_pam_wrapper();
  fresh_usersfile("oath-prompts-wrong_password");
  const pam_backend backend("oath-prompts-wrong_password", split_six);
  const std::string code = oathtool_code(std::time(nullptr));
  const auto v = backend.authenticate("root", "r00tpx" + code);
  CAPTURE(v.detail);
  CHECK(v.result == outcome::rejected);
  check_detail_is_clean(v, code);
  // The password module stopped the stack before pam_oath saw the code: still unspent.
  CHECK(backend.authenticate("root", password + code).result == outcome::accepted);
}

TEST_CASE("pam_oath prompts: the password without a code is rejected", "[pam][oath]") {
  require_pam_wrapper();
  fresh_usersfile("oath-prompts-missing_code");
  const pam_backend backend("oath-prompts-missing_code", split_six);
  // No six-digit tail: the password prompt gets the whole string and pam_oath's prompt
  // is refused. That is the person's doing: rejected, not a stack error.
  const std::string typed = GENERATE(as<std::string>{}, "r00tpw", "r00tpw12345", "123456");
  CAPTURE(typed);
  const auto v = backend.authenticate("root", typed);
  CAPTURE(v.detail);
  CHECK(v.result == outcome::rejected);
  CHECK(v.who.user.empty());
  if (typed == password) CHECK(v.detail.find("no one-time code typed") != std::string::npos);
}

TEST_CASE("pam_oath prompts: a code from three steps ago is rejected", "[pam][oath]") {
  require_pam_wrapper();
  check_old_code("oath-prompts-old_code", split_six);
}

TEST_CASE("pam_oath prompts: the two-prompt stack fails in whole mode", "[pam][oath]") {
  require_pam_wrapper();
  fresh_usersfile("oath-prompts-other_mode");
  const pam_backend whole("oath-prompts-other_mode");
  const std::string code = oathtool_code(std::time(nullptr));
  // The whole string is not the password...
  const auto joined = whole.authenticate("root", password + code);
  CAPTURE(joined.detail);
  CHECK(joined.result == outcome::rejected);
  // ...and the password alone passes the password module, but pam_oath's prompt is
  // refused: a stack the mode does not fit, which an administrator must see.
  const auto alone = whole.authenticate("root", password);
  CAPTURE(alone.detail);
  CHECK(alone.result == outcome::error);
  CHECK(alone.detail.find("second password prompt was refused") != std::string::npos);
  // The same code still works in split mode: the failures above did not spend it.
  const auto split = pam_backend("oath-prompts-other_mode", split_six).authenticate("root", password + code);
  CAPTURE(split.detail);
  CHECK(split.result == outcome::accepted);
}
