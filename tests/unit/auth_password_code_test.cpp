// The "password followed by the code" rule: where one typed field splits, and when it
// does not split at all (no code: the whole string is the password).
#include <catch2/catch.hpp>
#include <string>

#include "auth/password_code.hpp"

using namespace vncgate::auth;

TEST_CASE("password+code: the last six digits are the code", "[auth]") {
  const std::string typed = "hunter2492039";
  const auto split = split_password_code(typed, 6);
  REQUIRE(split);
  CHECK(split->password == "hunter2");
  CHECK(split->code == "492039");
  // Views into the caller's buffer, not copies: wiping the buffer wipes both parts.
  CHECK(split->password.data() == typed.data());
  CHECK(split->code.data() == typed.data() + 7);
}

TEST_CASE("password+code: a password that itself ends in digits", "[auth]") {
  const auto split = split_password_code("abc123654321", 6);
  REQUIRE(split);
  CHECK(split->password == "abc123");
  CHECK(split->code == "654321");
  // An all-digit password is fine too: only the last six are the code.
  const auto digits_only = split_password_code("0000000123456", 6);
  REQUIRE(digits_only);
  CHECK(digits_only->password == "0000000");
  CHECK(digits_only->code == "123456");
}

TEST_CASE("password+code: eight and seven digits", "[auth]") {
  const auto eight = split_password_code("s3cret12345678", 8);
  REQUIRE(eight);
  CHECK(eight->password == "s3cret");
  CHECK(eight->code == "12345678");
  const auto seven = split_password_code("s3cret1234567", 7);
  REQUIRE(seven);
  CHECK(seven->password == "s3cret");
  CHECK(seven->code == "1234567");
  // The same string read with six digits keeps the extra digits in the password.
  const auto six = split_password_code("s3cret12345678", 6);
  REQUIRE(six);
  CHECK(six->password == "s3cret12");
  CHECK(six->code == "345678");
}

TEST_CASE("password+code: a code alone is no code (the password may not be empty)", "[auth]") {
  CHECK_FALSE(split_password_code("123456", 6));
  CHECK_FALSE(split_password_code("12345678", 8));
  CHECK_FALSE(split_password_code("12345", 6));
  CHECK_FALSE(split_password_code("", 6));
  // One byte before the code is enough.
  const auto one = split_password_code("x123456", 6);
  REQUIRE(one);
  CHECK(one->password == "x");
  CHECK(one->code == "123456");
}

TEST_CASE("password+code: a tail that is not all digits is no code", "[auth]") {
  const std::string typed = GENERATE(as<std::string>{}, "hunter2", "hunter249203x", "hunter2x92039",
                                     "hunter2 92039", "hunter249203 ", "hunter2\xd9\xa1\xd9\xa2\xd9\xa3",
                                     "hunter2/92039", "hunter2:92039", std::string("hunter2\0" "92039", 13));
  CAPTURE(typed);
  CHECK_FALSE(split_password_code(typed, 6));
}

TEST_CASE("password+code: a UTF-8 password splits after its last character", "[auth]") {
  const std::string password = "p\xc3\xa4ssw\xc3\xb6rt\xe2\x82\xac";  // "pässwört€"
  const std::string typed = password + "013579";  // the views point into this buffer
  const auto split = split_password_code(typed, 6);
  REQUIRE(split);
  CHECK(split->password == password);
  CHECK(split->code == "013579");
}

TEST_CASE("password+code: digit counts outside 6..8 are no code", "[auth]") {
  const unsigned digits = GENERATE(0u, 1u, 5u, 9u, 10u, 4294967295u);
  CAPTURE(digits);
  CHECK_FALSE(split_password_code("s3cret1234567890", digits));
}
