// policy_cidr_test.cpp — addresses, CIDR ranges, allow/deny lists.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policy/address.hpp"
#include "policy/cidr.hpp"

using namespace vncgate::policy;

namespace Catch {
template <>
struct StringMaker<address> {
  static std::string convert(const address& a) { return a.to_string(); }
};
template <>
struct StringMaker<cidr> {
  static std::string convert(const cidr& c) { return c.to_string(); }
};
}  // namespace Catch

namespace {

address addr(const std::string& text) {
  const auto a = parse_address(text);
  INFO("address: " << text);
  REQUIRE(a);
  return *a;
}

cidr range(const std::string& text) {
  const auto c = parse_cidr(text);
  INFO("cidr: " << text << " error: " << c.error);
  REQUIRE(c.value);
  CHECK(c.error.empty());
  return *c.value;
}

// Flips bit `bit` (0 = most significant) of the 16-byte form.
address flip(const address& a, unsigned bit) {
  auto b = a.bytes();
  b[bit / 8] = static_cast<std::uint8_t>(b[bit / 8] ^ (0x80u >> (bit % 8)));
  return address::v6(b);
}

}  // namespace

TEST_CASE("IPv4 addresses are stored IPv4-mapped and print as dotted quads", "[policy]") {
  const auto a = addr("192.0.2.1");
  CHECK(a.is_v4());
  const address::v6_bytes mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  CHECK(a.bytes() == mapped);
  CHECK(a == address::v4({192, 0, 2, 1}));
  CHECK(a.to_string() == "192.0.2.1");
  CHECK(addr("0.0.0.0").to_string() == "0.0.0.0");
  CHECK(addr("255.255.255.255").to_string() == "255.255.255.255");
}

TEST_CASE("a v4-mapped IPv6 address is the same value as the IPv4 address", "[policy]") {
  const auto text = GENERATE("::ffff:10.1.2.3", "::FFFF:10.1.2.3", "::ffff:a01:203",
                             "0:0:0:0:0:ffff:10.1.2.3", "0000:0000:0000:0000:0000:FFFF:0A01:0203");
  CAPTURE(text);
  const auto a = addr(text);
  CHECK(a.is_v4());
  CHECK(a == addr("10.1.2.3"));
  CHECK(a == address::v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3}));
  CHECK(a.to_string() == "10.1.2.3");
}

TEST_CASE("only ::ffff:0:0/96 is folded into IPv4", "[policy]") {
  const auto text = GENERATE("::10.1.2.3",          // IPv4-compatible (deprecated)
                             "64:ff9b::10.1.2.3",   // NAT64
                             "::fffe:10.1.2.3",     // next to the mapped block
                             "::1:ffff:10.1.2.3",   // mapped bits, but not at ::
                             "2002:a01:203::1",     // 6to4
                             "::", "::1");
  CAPTURE(text);
  CHECK_FALSE(addr(text).is_v4());
}

TEST_CASE("IPv6 prints in RFC 5952 form", "[policy]") {
  struct row {
    const char* in;
    const char* out;
  };
  const auto r = GENERATE(values<row>({
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:DB8::A", "2001:db8::a"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},      // first of two equal runs
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},            // the longer run
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},   // one zero group stays
      {"2001:db8::", "2001:db8::"},
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"fe80::0abc:0001", "fe80::abc:1"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"::10.1.2.3", "::a01:203"},
      {"0:0:0:0:1:0:0:0", "::1:0:0:0"},
  }));
  CAPTURE(r.in);
  CHECK(addr(r.in).to_string() == r.out);
  CHECK(addr(r.out) == addr(r.in));
}

TEST_CASE("parse_address refuses everything but a bare literal", "[policy]") {
  const std::string text = GENERATE(as<std::string>{},
      "", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04",
      "010.0.0.1", "0x7f.0.0.1", "127.1", "+1.2.3.4", "-1.2.3.4", "1.2.3.-4", " 1.2.3.4",
      "1.2.3.4 ", "1.2.3.4\n", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4:80",
      "localhost", "abc", "[::1]", "fe80::1%eth0", "::1:", ":::", ":1::", "1::2::3",
      "12345::", "g::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::ffff:1.2.3.256",
      "::ffff:1.2.3", "1.2.3.4::", "::1/128", "10.0.0.0/8",
      std::string("1.2.3.4\0", 8), std::string("::1\0junk", 8),
      std::string(46, '1'), "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x");
  CAPTURE(text);
  CHECK_FALSE(parse_address(text));
}

TEST_CASE("the longest textual address is accepted", "[policy]") {
  const auto a = addr("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
  CHECK(a.to_string() == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST_CASE("masked keeps leading bits in the address's own family", "[policy]") {
  CHECK(addr("10.1.2.3").masked(8) == addr("10.0.0.0"));
  CHECK(addr("10.1.2.3").masked(24) == addr("10.1.2.0"));
  CHECK(addr("10.1.2.3").masked(31) == addr("10.1.2.2"));
  CHECK(addr("10.1.2.3").masked(0) == addr("0.0.0.0"));
  CHECK(addr("10.1.2.3").masked(0).is_v4());
  CHECK(addr("10.1.2.3").masked(32) == addr("10.1.2.3"));
  CHECK(addr("10.1.2.3").masked(500) == addr("10.1.2.3"));
  CHECK(addr("2001:db8:1:2:3:4:5:6").masked(64) == addr("2001:db8:1:2::"));
  CHECK(addr("2001:db8:1:2:3:4:5:6").masked(20) == addr("2001::"));
  CHECK(addr("2001:db8:1:2:3:4:5:6").masked(24) == addr("2001:d00::"));
  CHECK(addr("2001:db8:1:2:3:4:5:6").masked(29) == addr("2001:db8::"));
  CHECK(addr("2001:db8:1:2:3:4:5:6").masked(0) == addr("::"));
  CHECK(addr("2001:db8:1:2:3:4:5:7").masked(127) == addr("2001:db8:1:2:3:4:5:6"));
  CHECK(addr("2001:db8:1:2:3:4:5:6").masked(128) == addr("2001:db8:1:2:3:4:5:6"));
}

TEST_CASE("addresses order by their bytes", "[policy]") {
  CHECK(addr("10.0.0.1") < addr("10.0.0.2"));
  CHECK(addr("9.255.255.255") < addr("10.0.0.0"));
  CHECK(addr("::1") < addr("::2"));
  CHECK(addr("::") < addr("0.0.0.0"));  // ::ffff:0:0 sorts after ::
  CHECK_FALSE(addr("10.0.0.1") < addr("::ffff:10.0.0.1"));
}

TEST_CASE("parse_cidr accepts ranges and bare addresses, printed canonically", "[policy]") {
  struct row {
    const char* in;
    const char* out;
    bool v4;
    unsigned prefix;
  };
  const auto r = GENERATE(values<row>({
      {"10.0.0.0/8", "10.0.0.0/8", true, 8},
      {"192.168.1.7", "192.168.1.7/32", true, 32},
      {"192.168.1.6/31", "192.168.1.6/31", true, 31},
      {"0.0.0.0/0", "0.0.0.0/0", true, 0},
      {"128.0.0.0/1", "128.0.0.0/1", true, 1},
      {"2001:db8::/32", "2001:db8::/32", false, 32},
      {"2001:DB8:0::/32", "2001:db8::/32", false, 32},
      {"::1", "::1/128", false, 128},
      {"::/0", "::/0", false, 0},
      {"::/1", "::/1", false, 1},
      {"8000::/1", "8000::/1", false, 1},
      {"2001:db8:1:2::/64", "2001:db8:1:2::/64", false, 64},
      {"2001:db8::/127", "2001:db8::/127", false, 127},
      {"::ffff:10.0.0.0/104", "10.0.0.0/8", true, 8},
      {"::ffff:0:0/96", "0.0.0.0/0", true, 0},
      {"::ffff:10.1.2.3", "10.1.2.3/32", true, 32},
      {"::ffff:10.1.2.3/128", "10.1.2.3/32", true, 32},
      {"::/80", "::/80", false, 80},
      {"::/96", "::/96", false, 96},
  }));
  CAPTURE(r.in);
  const auto c = range(r.in);
  CHECK(c.to_string() == r.out);
  CHECK(c.is_v4() == r.v4);
  CHECK(c.prefix() == r.prefix);
  CHECK(range(r.out) == c);
}

TEST_CASE("parse_cidr refuses malformed text with a config-ready sentence", "[policy]") {
  const std::string text = GENERATE(as<std::string>{},
      "", "/", "/8", "abc", "10.0.0/8", "1.2.3.4/", "10.0.0.0/33", "::/129",
      "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0 /8", "10.0.0.0/ 8", "10.0.0.0/-1",
      "10.0.0.0/+8", "10.0.0.0/08", "10.0.0.0/00", "::/00", "10.0.0.0/8/8",
      "10.0.0.0//8", "10.0.0.0/255.0.0.0", "10.0.0.0/1000", "10.0.0.0/0x8", "10.0.0.0/8a",
      "::ffff:10.0.0.0/129", "10.1.2.3/8", "0.0.0.1/0", "2001:db8::1/32", "::1/0",
      "::ffff:10.0.0.0/8", "::ffff:10.1.0.0/104", "[::1]/128", "fe80::%eth0/64",
      std::string("10.0.0.0/8\0", 11), std::string("10.0.0.0\0/8", 11), "10.0.0.0/4294967304");
  CAPTURE(text);
  const auto c = parse_cidr(text);
  CHECK_FALSE(c.value);
  CHECK_FALSE(c.error.empty());
}

TEST_CASE("parse_cidr errors say what to write instead", "[policy]") {
  struct row {
    const char* in;
    const char* says;
  };
  const auto r = GENERATE(values<row>({
      {"abc", "expected an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32"},
      {"10.0.0/8", "expected an address or CIDR"},
      {"/8", "expected an address or CIDR"},
      {"10.0.0.0/33", "from 0 to 32"},
      {"10.0.0.0/", "from 0 to 32"},
      {"10.0.0.0/08", "from 0 to 32"},
      {"::/129", "from 0 to 128"},
      {"::ffff:10.0.0.0/129", "from 0 to 128"},  // the prefix counts in IPv6 notation
      {"10.1.2.3/8", "write the network address, 10.0.0.0/8"},
      {"0.0.0.1/0", "write the network address, 0.0.0.0/0"},
      {"2001:db8::1/32", "write the network address, 2001:db8::/32"},
      {"::ffff:10.1.0.0/104", "write the network address, ::ffff:10.0.0.0/104"},
      {"::ffff:10.0.0.0/8", "write the network address, ::/8"},
  }));
  CAPTURE(r.in);
  const auto c = parse_cidr(r.in);
  CHECK_FALSE(c.value);
  CHECK_THAT(c.error, Catch::Contains(r.says));
}

TEST_CASE("cidr::make checks the prefix range and the host bits", "[policy]") {
  CHECK(cidr::make(addr("10.0.0.0"), 8) == range("10.0.0.0/8"));
  CHECK(cidr::make(addr("2001:db8::"), 32) == range("2001:db8::/32"));
  CHECK(cidr::make(addr("0.0.0.0"), 0) == range("0.0.0.0/0"));
  CHECK(cidr::make(addr("::"), 0) == range("::/0"));
  CHECK_FALSE(cidr::make(addr("10.1.0.0"), 8));
  CHECK_FALSE(cidr::make(addr("10.0.0.0"), 33));
  CHECK_FALSE(cidr::make(addr("::"), 129));
  CHECK_FALSE(cidr::make(addr("::1"), 127));
}

TEST_CASE("ranges include their first and last address and nothing either side", "[policy]") {
  struct row {
    const char* range;
    const char* first;
    const char* last;
    const char* before;  // "" when the range starts at the family's first address
    const char* after;   // "" when it ends at the family's last
  };
  const auto r = GENERATE(values<row>({
      {"10.0.0.0/8", "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"},
      {"192.168.1.6/31", "192.168.1.6", "192.168.1.7", "192.168.1.5", "192.168.1.8"},
      {"192.168.1.7/32", "192.168.1.7", "192.168.1.7", "192.168.1.6", "192.168.1.8"},
      {"192.168.1.7", "192.168.1.7", "192.168.1.7", "192.168.1.6", "192.168.1.8"},
      {"172.16.0.0/12", "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"},
      {"0.0.0.0/1", "0.0.0.0", "127.255.255.255", "", "128.0.0.0"},
      {"128.0.0.0/1", "128.0.0.0", "255.255.255.255", "127.255.255.255", ""},
      {"0.0.0.0/0", "0.0.0.0", "255.255.255.255", "", ""},
      {"::ffff:10.0.0.0/104", "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"},
      {"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
       "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"},
      {"2001:db8:1:2::/64", "2001:db8:1:2::", "2001:db8:1:2:ffff:ffff:ffff:ffff",
       "2001:db8:1:1:ffff:ffff:ffff:ffff", "2001:db8:1:3::"},
      {"2001:db8::/127", "2001:db8::", "2001:db8::1", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
       "2001:db8::2"},
      {"::1", "::1", "::1", "::", "::2"},
      {"::/1", "::", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", "8000::"},
      {"8000::/1", "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
       "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
      {"::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", ""},
  }));
  CAPTURE(r.range);
  const auto c = range(r.range);
  const auto check_both_forms = [&](const std::string& text, bool inside) {
    CAPTURE(text);
    CHECK(c.contains(addr(text)) == inside);
    // An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d: same answer.
    if (addr(text).is_v4()) CHECK(c.contains(addr("::ffff:" + text)) == inside);
  };
  check_both_forms(r.first, true);
  check_both_forms(r.last, true);
  if (*r.before) check_both_forms(r.before, false);
  if (*r.after) check_both_forms(r.after, false);
}

TEST_CASE("a range matches only its own family", "[policy]") {
  const auto all_v4 = range("0.0.0.0/0");
  const auto all_v6 = range("::/0");
  const auto v4_peers = GENERATE("0.0.0.0", "10.1.2.3", "::ffff:10.1.2.3", "255.255.255.255");
  const auto v6_peers = GENERATE("::", "::1", "::10.1.2.3", "::fffe:ffff:ffff",
                                 "::1:0:0:0", "64:ff9b::a01:203", "2001:db8::1");
  CAPTURE(v4_peers, v6_peers);
  CHECK(all_v4.contains(addr(v4_peers)));
  CHECK_FALSE(all_v6.contains(addr(v4_peers)));
  CHECK(all_v6.contains(addr(v6_peers)));
  CHECK_FALSE(all_v4.contains(addr(v6_peers)));
  // An IPv6 range that encloses the mapped block still leaves IPv4 peers out.
  CHECK_FALSE(range("::/80").contains(addr(v4_peers)));
  CHECK_FALSE(range("::/1").contains(addr(v4_peers)));
}

TEST_CASE("every prefix length splits the space at exactly that bit (IPv6)", "[policy]") {
  const auto a = addr("2001:db8:85a3:8d3:1319:8a2e:370:7348");
  for (unsigned prefix = 0; prefix <= 128; ++prefix) {
    const auto c = cidr::make(a.masked(prefix), prefix);
    REQUIRE(c);
    CHECK(c->contains(a));
    for (unsigned bit = 0; bit < 128; ++bit) {
      const auto other = flip(a, bit);
      if (other.is_v4()) continue;  // flipping into ::ffff:0:0/96 changes family
      INFO("prefix " << prefix << " bit " << bit);
      if (c->contains(other) != (bit >= prefix)) FAIL("wrong side of the prefix");
    }
  }
}

TEST_CASE("every prefix length splits the space at exactly that bit (IPv4)", "[policy]") {
  const auto a = addr("203.0.113.77");
  for (unsigned prefix = 0; prefix <= 32; ++prefix) {
    const auto c = cidr::make(a.masked(prefix), prefix);
    REQUIRE(c);
    CHECK(c->contains(a));
    CHECK(c->prefix() == prefix);
    for (unsigned bit = 0; bit < 32; ++bit) {
      INFO("prefix " << prefix << " bit " << bit);
      CHECK(c->contains(flip(a, 96 + bit)) == (bit >= prefix));
    }
    // Any bit of the mapped prefix flipped makes an IPv6 address: never inside.
    for (unsigned bit = 0; bit < 96; ++bit) CHECK_FALSE(c->contains(flip(a, bit)));
  }
}

TEST_CASE("access_rules: empty lists allow everyone", "[policy]") {
  const access_rules rules;
  const auto peer = GENERATE("10.1.2.3", "::1", "::ffff:192.0.2.1");
  const auto d = rules.evaluate(addr(peer));
  CHECK(d.allowed());
  CHECK(d.why == access_reason::allow_all);
}

TEST_CASE("access_rules: deny wins over allow and names the rule", "[policy]") {
  const access_rules rules{
      {range("10.0.0.0/8"), range("2001:db8::/32"), range("192.168.0.0/16")},
      {range("203.0.113.0/24"), range("10.66.0.0/16"), range("10.66.6.0/24"), range("2001:db8:bad::/48")},
  };
  struct row {
    const char* peer;
    access_reason why;
    std::size_t rule;
  };
  const auto r = GENERATE(values<row>({
      {"10.1.2.3", access_reason::allow_rule, 0},
      {"::ffff:10.1.2.3", access_reason::allow_rule, 0},
      {"192.168.255.255", access_reason::allow_rule, 2},
      {"2001:db8::1", access_reason::allow_rule, 1},
      {"10.66.0.1", access_reason::deny_rule, 1},        // allowed by 10/8, denied anyway
      {"10.66.6.6", access_reason::deny_rule, 1},        // first matching deny rule
      {"::ffff:10.66.6.6", access_reason::deny_rule, 1},
      {"2001:db8:bad::1", access_reason::deny_rule, 3},
      {"203.0.113.9", access_reason::deny_rule, 0},      // denied and not allowed: deny says
      {"11.0.0.0", access_reason::not_in_allow, 0},
      {"2001:db9::", access_reason::not_in_allow, 0},
      {"::1", access_reason::not_in_allow, 0},
  }));
  CAPTURE(r.peer);
  const auto d = rules.evaluate(addr(r.peer));
  CHECK(d.why == r.why);
  CHECK(d.rule == r.rule);
  CHECK(d.allowed() == (r.why == access_reason::allow_rule));
}

TEST_CASE("access_rules: a deny list alone denies only its ranges", "[policy]") {
  const access_rules rules{{}, {range("0.0.0.0/0")}};
  CHECK(rules.evaluate(addr("198.51.100.1")).why == access_reason::deny_rule);
  CHECK(rules.evaluate(addr("::ffff:198.51.100.1")).why == access_reason::deny_rule);
  CHECK(rules.evaluate(addr("2001:db8::1")).why == access_reason::allow_all);
}

TEST_CASE("access_rules: an IPv6-only allow list keeps IPv4 out", "[policy]") {
  const access_rules rules{{range("::/0")}, {}};
  CHECK(rules.evaluate(addr("2001:db8::1")).allowed());
  CHECK(rules.evaluate(addr("10.0.0.1")).why == access_reason::not_in_allow);
  CHECK(rules.evaluate(addr("::ffff:10.0.0.1")).why == access_reason::not_in_allow);
}

TEST_CASE("access reasons have audit words", "[policy]") {
  CHECK(to_string(access_reason::allow_all) == "allow_all");
  CHECK(to_string(access_reason::allow_rule) == "allow_rule");
  CHECK(to_string(access_reason::deny_rule) == "deny_rule");
  CHECK(to_string(access_reason::not_in_allow) == "not_in_allow");
}
