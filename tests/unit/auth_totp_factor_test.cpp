// The TOTP factor: base32 (RFC 4648 §10 vectors), the window with an injected clock,
// replay refusal, and the otpauth:// URI an authenticator app scans.
#include <catch2/catch.hpp>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "auth/base32.hpp"
#include "auth/otpauth.hpp"
#include "auth/totp_factor.hpp"

using namespace vncgate::auth;

namespace {

std::vector<std::uint8_t> ascii(const std::string& s) { return {s.begin(), s.end()}; }

totp_secret rfc6238_sha1(unsigned digits = 8) {
  totp_secret s;
  s.key = ascii("12345678901234567890");
  s.digits = digits;
  return s;
}

}  // namespace

TEST_CASE("base32: RFC 4648 section 10 vectors both ways", "[totp][base32]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "MY"},           {"fo", "MZXQ"},          {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : vectors) {
    CAPTURE(plain);
    CHECK(base32_encode(ascii(plain)) == encoded);
    auto back = base32_decode(encoded);
    REQUIRE(back);
    CHECK(*back == ascii(plain));
  }
}

TEST_CASE("base32: decode takes what people paste, refuses the rest", "[totp][base32]") {
  CHECK(base32_decode("mzxw6ytboi") == ascii("foobar"));
  CHECK(base32_decode("MZXW 6YTB OI") == ascii("foobar"));
  CHECK(base32_decode("MZXW6YQ=") == ascii("foob"));
  CHECK(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == ascii("12345678901234567890"));
  CHECK_FALSE(base32_decode("MZXW1"));       // 1 is not in the alphabet
  CHECK_FALSE(base32_decode("MZXW6-"));
  CHECK_FALSE(base32_decode("M"));           // a lone symbol holds no whole byte
  CHECK_FALSE(base32_decode("MZX"));         // 3 symbols: not a length encode() makes
  CHECK_FALSE(base32_decode("MZ"));          // trailing bits not zero ("MY" is "f")
  CHECK_FALSE(base32_decode("MY=A"));        // a symbol after padding
}

TEST_CASE("TOTP window: the code of the step before and after, not two away", "[totp][window]") {
  const auto secret = rfc6238_sha1();
  // RFC 6238 appendix B: time 59 is step 1, code 94287082 (SHA-1, 8 digits).
  const std::string code = "94287082";
  CHECK(match_totp(secret, code, 59, 1) == 1u);
  CHECK(match_totp(secret, code, 30, 1) == 1u);      // first second of step 1
  CHECK(match_totp(secret, code, 0, 1) == 1u);       // step 0: one step ahead is allowed
  CHECK(match_totp(secret, code, 89, 1) == 1u);      // last second of step 2
  CHECK_FALSE(match_totp(secret, code, 90, 1));      // step 3: two steps later
  CHECK(match_totp(secret, code, 59, 0) == 1u);
  CHECK_FALSE(match_totp(secret, code, 60, 0));      // window 0: only the current step
  CHECK(match_totp(secret, code, 119, 2) == 1u);     // window 2 reaches step 3
  CHECK_FALSE(match_totp(secret, code, 120, 2));
}

TEST_CASE("TOTP window: wrong codes, wrong lengths, non-digits never match", "[totp][window]") {
  const auto secret = rfc6238_sha1();
  CHECK_FALSE(match_totp(secret, "94287083", 59, 1));
  CHECK_FALSE(match_totp(secret, "4287082", 59, 1));    // 7 digits of the right code
  CHECK_FALSE(match_totp(secret, "942870820", 59, 1));
  CHECK_FALSE(match_totp(secret, "", 59, 1));
  CHECK_FALSE(match_totp(secret, "9428708a", 59, 1));
  const auto six = rfc6238_sha1(6);
  CHECK(match_totp(six, "287082", 59, 1) == 1u);        // the low six digits
  CHECK_FALSE(match_totp(six, "94287082", 59, 1));
}

TEST_CASE("TOTP window: SHA-256 and SHA-512 secrets, RFC 6238 appendix B", "[totp][window]") {
  totp_secret s256;
  s256.key = ascii("12345678901234567890123456789012");
  s256.hash = otp_hash::sha256;
  s256.digits = 8;
  CHECK(match_totp(s256, "46119246", 59, 1) == 1u);
  totp_secret s512;
  s512.key = ascii("1234567890123456789012345678901234567890123456789012345678901234");
  s512.hash = otp_hash::sha512;
  s512.digits = 8;
  CHECK(match_totp(s512, "90693936", 59, 1) == 1u);
  CHECK(match_totp(s512, "25091201", 1111111109, 1) == 37037036u);
  CHECK_FALSE(match_totp(s512, "46119246", 59, 1));     // the SHA-256 code
}

TEST_CASE("TOTP replay guard: a step once per user, never an older one after", "[totp][replay]") {
  totp_replay_guard guard;
  CHECK(guard.claim("alice", 100));
  CHECK_FALSE(guard.claim("alice", 100));   // the same code again
  CHECK_FALSE(guard.claim("alice", 99));    // the previous step's code, still in the window
  CHECK(guard.claim("bob", 100));           // users are independent
  CHECK(guard.claim("alice", 101));
  CHECK(guard.size() == 2);
}

TEST_CASE("TOTP replay guard: racing logins with one code, exactly one wins", "[totp][replay]") {
  totp_replay_guard guard;
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (std::uint64_t step = 1; step <= 1000; ++step)
        if (guard.claim("alice", step)) ++winners;
    });
  for (auto& t : threads) t.join();
  CHECK(winners == 1000);
}

TEST_CASE("otpauth URI: the key URI format authenticator apps read", "[totp][enroll]") {
  auto secret = rfc6238_sha1(6);
  CHECK(otpauth_uri("vncgate", "alice", secret) ==
        "otpauth://totp/vncgate:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=vncgate&algorithm=SHA1&digits=6&"
        "period=30");
  secret.hash = otp_hash::sha256;
  secret.digits = 8;
  CHECK(otpauth_uri("ACME VNC", "bob@corp.example", secret) ==
        "otpauth://totp/ACME%20VNC:bob%40corp.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20VNC&"
        "algorithm=SHA256&digits=8&period=30");
  CHECK(percent_encode("a:b/c?d&e=f é") == "a%3Ab%2Fc%3Fd%26e%3Df%20%C3%A9");
}

TEST_CASE("enrolment: a fresh random key as long as the hash", "[totp][enroll]") {
  auto a = generate_totp_secret(otp_hash::sha1, 6);
  auto b = generate_totp_secret(otp_hash::sha1, 6);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->key.size() == 20);
  CHECK(a->key != b->key);
  CHECK(generate_totp_secret(otp_hash::sha256, 8)->key.size() == 32);
  CHECK(generate_totp_secret(otp_hash::sha512, 8)->key.size() == 64);
  CHECK(otp_hash_from("sha256") == otp_hash::sha256);
  CHECK_FALSE(otp_hash_from("md5"));
}
