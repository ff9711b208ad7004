// pam_oath_test.cpp — MFA inside the PAM stack, through the real gateway: pam_matrix
// checks the password, the real pam_oath (libpam-oath) the code, each at its own
// prompt; vncgate runs with `pam_prompts: split` and answers the two prompts from the
// one password field. Codes come from `oathtool --totp`. pam_oath looks the user up in
// NSS, and pam_wrapper brings no NSS of its own, so the person here is `root`.
#include <catch2/catch.hpp>
#include <ctime>

#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

const std::string oath_module = "/lib/x86_64-linux-gnu/security/pam_oath.so";
const std::string hex_secret = "3132333435363738393031323334353637383930";  // "12345678901234567890"

std::string oathtool_code(const temp_dir& dir, std::int64_t at) {
  auto r = run({.argv = {"oathtool", "--totp", "-N", "@" + std::to_string(at), hex_secret}}, dir.path(), 10s);
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, 6);
}

}  // namespace

TEST_CASE("PAM stack MFA: pam_matrix then pam_oath, the field split over two prompts", "[e2e][pam][totp]") {
  if (!std::filesystem::exists(oath_module)) FAIL(oath_module + " missing: apt-get install libpam-oath");
  small_desk_setup s;
  const user_spec root{"root", "r00t-pw-4", {}};
  // pam_oath rewrites its usersfile (the last code used) and locks beside it.
  auto usersfile = s.dir.write("oath/users.oath", "HOTP/T30/6 root - " + hex_secret + "\n", 0600);
  auto env = pam_wrapper_env(s.dir, "vncgw", {root}, vncgate_binary(),
                             {"required " + oath_module + " usersfile=" + usersfile.string() + " window=1 digits=6"});
  // pam_oath never frees the answer its conversation returns (4 small blocks per login).
  env.emplace_back("LSAN_OPTIONS", "detect_leaks=0");
  gateway gw(s.dir, s.tls,
             {.backend = "pam", .pam_service = "vncgw", .targets = {target_for(s.desk, "desk", {"root"})},
              .auth_lines = {"pam_prompts: split", "pam_code_digits: 6"}, .env = env});

  const std::string code = oathtool_code(s.dir, std::time(nullptr));
  auto good = require_frame(gw.port(), {"root", root.password + code, s.tls.certificate}, 320, 240);
  check_good_session(gw, good.source(), gw.port(), "root", "desk", s.desk.port(), "pam", 320.0 * 240 * 4);

  // pam_oath's own replay record refuses the same code; a missing and an old code fail too.
  const std::string old = oathtool_code(s.dir, std::time(nullptr) - 90);
  for (const std::string& typed : {root.password + code, root.password, root.password + old, "wrong-pw" + code}) {
    auto r = vencrypt_login(gw.port(), "root", typed, s.tls.certificate);
    INFO("typed " << typed.size() << " characters: " << r.error);
    REQUIRE(r.answered);
    CHECK(r.reason == "authentication failed");
    check_session_outcome(gw, r.source, "auth_failed");
  }
  check_clean_shutdown(gw, {root.password});
}
