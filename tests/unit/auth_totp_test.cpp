// HOTP and TOTP against the published vectors: RFC 4226 appendix D and RFC 6238
// appendix B (SHA-1, SHA-256, SHA-512, 8 digits, 30 s steps).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "auth/totp.hpp"

using namespace vncgate::auth;

namespace {

std::vector<std::uint8_t> ascii(const std::string& s) { return {s.begin(), s.end()}; }

const auto sha1_key = ascii("12345678901234567890");
const auto sha256_key = ascii("12345678901234567890123456789012");
const auto sha512_key = ascii("1234567890123456789012345678901234567890123456789012345678901234");

}  // namespace

TEST_CASE("HOTP: RFC 4226 appendix D", "[totp]") {
  const std::uint32_t expected[] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
  for (std::uint64_t count = 0; count < 10; ++count) {
    CAPTURE(count);
    auto code = hotp(sha1_key, count, 6);
    REQUIRE(code);
    CHECK(*code == expected[count]);
  }
}

TEST_CASE("TOTP: RFC 6238 appendix B, three hashes", "[totp]") {
  struct row {
    std::int64_t time;
    std::uint64_t counter;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const row rows[] = {
      {59, 0x1, "94287082", "46119246", "90693936"},
      {1111111109, 0x23523EC, "07081804", "68084774", "25091201"},
      {1111111111, 0x23523ED, "14050471", "67062674", "99943326"},
      {1234567890, 0x273EF07, "89005924", "91819424", "93441116"},
      {2000000000, 0x3F940AA, "69279037", "90698825", "38618901"},
      {20000000000, 0x27BC86AA, "65353130", "77737706", "47863826"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.time);
    const auto counter = totp_counter(r.time);
    CHECK(counter == r.counter);
    CHECK(format_otp(hotp(sha1_key, counter, 8, otp_hash::sha1).value_or(0), 8) == r.sha1);
    CHECK(format_otp(hotp(sha256_key, counter, 8, otp_hash::sha256).value_or(0), 8) == r.sha256);
    CHECK(format_otp(hotp(sha512_key, counter, 8, otp_hash::sha512).value_or(0), 8) == r.sha512);
  }
}

TEST_CASE("TOTP: counters, digits and formatting at their edges", "[totp]") {
  CHECK(totp_counter(0) == 0);
  CHECK(totp_counter(29) == 0);
  CHECK(totp_counter(30) == 1);
  CHECK(totp_counter(-5) == 0);          // before the epoch
  CHECK(totp_counter(100, 30, 50) == 1);  // counted from t0
  CHECK(totp_counter(100, 0) == 0);       // no step, no counter
  CHECK_FALSE(hotp(sha1_key, 0, 5));
  CHECK_FALSE(hotp(sha1_key, 0, 9));
  CHECK(format_otp(7081804, 8) == "07081804");
  CHECK(format_otp(42, 6) == "000042");
  // The same key and counter: 6 digits are the low digits of 8.
  CHECK(*hotp(sha1_key, 1, 8) % 1000000 == *hotp(sha1_key, 1, 6));
}
