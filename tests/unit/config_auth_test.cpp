// The second-factor keys of `auth` and targets, and the TOTP secrets file: values,
// defaults, and every error at its file, line and column.
#include "config_test_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;

namespace {

const std::string rfc6238_key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";  // "12345678901234567890"

std::string auth_with(const std::string& lines) { return "auth:\n  backend: pam\n" + lines + rest_without("auth"); }

}  // namespace

TEST_CASE("second factor: defaults are none, window 1, issuer vncgate, whole PAM prompts", "[config]") {
  config_dir d;
  auto cfg = d.load(auth_ok + rest_without("auth"));
  REQUIRE(cfg);
  CHECK(cfg->auth.factor == second_factor::none);
  CHECK(cfg->auth.totp_window == 1);
  CHECK(cfg->auth.totp_issuer == "vncgate");
  CHECK(cfg->auth.pam_prompts == pam_prompt_mode::whole);
  CHECK(cfg->auth.totp_secrets.empty());
  CHECK_FALSE(cfg->targets.front().factor);
}

TEST_CASE("second factor: totp with its secrets file, read and decoded", "[config]") {
  config_dir d;
  d.write("totp.yaml",
          "users:\n  alice: { secret: " + rfc6238_key + " }\n  bob: { secret: " + rfc6238_key +
              ", algorithm: sha512, digits: 8 }\n",
          0600);
  auto cfg = d.load(auth_with("  second_factor: totp\n  totp_secrets_file: totp.yaml\n  totp_window: 2\n"
                              "  totp_issuer: ACME VNC\n  pam_code_digits: 8\n"));
  INFO((cfg ? "" : dump(cfg.error())));
  REQUIRE(cfg);
  CHECK(cfg->auth.factor == second_factor::totp);
  CHECK(cfg->auth.totp_window == 2);
  CHECK(cfg->auth.totp_issuer == "ACME VNC");
  CHECK(cfg->auth.pam_code_digits == 8);
  const auto* alice = cfg->auth.totp_secret_of("alice");
  REQUIRE(alice);
  CHECK(alice->key == std::vector<std::uint8_t>{'1', '2', '3', '4', '5', '6', '7', '8', '9', '0',
                                                '1', '2', '3', '4', '5', '6', '7', '8', '9', '0'});
  CHECK(alice->hash == vncgate::auth::otp_hash::sha1);
  CHECK(alice->digits == 6);
  const auto* bob = cfg->auth.totp_secret_of("bob");
  REQUIRE(bob);
  CHECK(bob->hash == vncgate::auth::otp_hash::sha512);
  CHECK(bob->digits == 8);
  CHECK_FALSE(cfg->auth.totp_secret_of("carol"));
}

TEST_CASE("second factor: a target's own rule", "[config]") {
  config_dir d;
  d.write("totp.yaml", "", 0600);  // empty: nobody enrolled yet
  auto cfg = d.load(target_head + "    port: 5901\n    allow: { users: [a] }\n    second_factor: totp\n" +
                    rest_without("targets").replace(rest_without("targets").find(auth_ok), auth_ok.size(),
                                                     auth_ok + "  totp_secrets_file: totp.yaml\n"));
  INFO((cfg ? "" : dump(cfg.error())));
  REQUIRE(cfg);
  CHECK(cfg->targets.front().factor == second_factor::totp);
  CHECK(cfg->auth.factor == second_factor::none);
}

TEST_CASE("second factor: errors in auth and targets", "[config]") {
  // auth_ok is 2 lines; target_head 3.
  check_case(GENERATE(values<error_case>({
      {"auth", auth_ok + "  second_factor: sms\n", 3, 18, "expected none, totp or client_certificate for second_factor"},
      {"auth", auth_ok + "  second_factor: totp\n", 2, 3, "second_factor: totp needs auth.totp_secrets_file"},
      {"auth", auth_ok + "  second_factor: client_certificate\n", 2, 3,
       "second_factor: client_certificate needs tls.client_ca"},
      {"auth", auth_ok + "  second_factor: totp\n  totp_secrets_file: t.yaml\n  pam_prompts: split\n", 2, 3,
       "pam_prompts: split and second_factor: totp both take the code"},
      {"auth", auth_ok + "  totp_window: 11\n", 3, 16, "totp_window"},
      {"auth", auth_ok + "  totp_issuer: \"a:b\"\n", 3, 16, "without ':' for totp_issuer"},
      {"auth", auth_ok + "  pam_prompts: both\n", 3, 16, "expected whole or split for pam_prompts"},
      {"auth", auth_ok + "  pam_code_digits: 5\n", 3, 20, "pam_code_digits"},
      {"auth", "auth:\n  backend: file\n  users_file: u.yaml\n  pam_prompts: split\n", 4, 16,
       "pam_prompts is only used with backend: pam"},
      {"targets", target_head + "    port: 5901\n    allow: { users: [a] }\n    second_factor: yes\n", 6, 20,
       "expected none, totp or client_certificate for second_factor"},
  })));
}

TEST_CASE("TOTP secrets file: refused when others may read it, errors placed in it", "[config]") {
  config_dir d;
  const std::string text = auth_with("  second_factor: totp\n  totp_secrets_file: totp.yaml\n");
  const auto main_file = d.path("vncgate.yaml");
  const auto secrets = d.path("totp.yaml");

  d.write("totp.yaml", "users:\n  alice: { secret: " + rfc6238_key + " }\n", 0640);
  expect_error(d.errors(text), 4, 22, "is readable or writable by group or others (mode 0640)", main_file);

  struct bad_file {
    std::string content;
    int line, column;
    const char* message;
  };
  for (const auto& b : std::vector<bad_file>{
           {"users:\n  alice: { secret: GEZDGNBV1 }\n", 2, 20, "expected the secret in base32"},
           {"users:\n  alice: { secret: GEZDGNBVGY3TQ }\n", 2, 20, "at least 80 are needed"},
           {"users:\n  alice: { secret: " + rfc6238_key + ", algorithm: md5 }\n", 2, 65,
            "expected sha1, sha256 or sha512 for algorithm"},
           {"users:\n  alice: { secret: " + rfc6238_key + ", digits: 9 }\n", 2, 62, "digits"},
           {"users:\n  alice: { secret: " + rfc6238_key + ", period: 60 }\n", 2, 54, "unknown key 'period'"},
           {"users:\n  alice: { secret: " + rfc6238_key + " }\n  alice: { secret: " + rfc6238_key + " }\n", 3, 3,
            "duplicate user 'alice'"},
           {"people: {}\n", 1, 1, "unknown key 'people'"},
       }) {
    CAPTURE(b.content);
    d.write("totp.yaml", b.content, 0600);
    expect_error(d.errors(text), b.line, b.column, b.message, secrets);
  }
}

TEST_CASE("second factor: PAM split prompts with their code length", "[config]") {
  config_dir d;
  auto cfg = d.load(auth_with("  pam_prompts: split\n  pam_code_digits: 7\n"));
  INFO((cfg ? "" : dump(cfg.error())));
  REQUIRE(cfg);
  CHECK(cfg->auth.pam_prompts == pam_prompt_mode::split);
  CHECK(cfg->auth.pam_code_digits == 7);
}
