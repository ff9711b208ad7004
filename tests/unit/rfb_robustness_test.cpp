// rfb_robustness_test.cpp — a seeded sweep over every rfb/ decoder: random bytes and
// valid messages with bytes changed, cut short or extended. No decoder may throw, read
// past the span (each input is an exact-size heap copy, so ASan sees it), or claim more
// bytes than it was given; a message it accepts must decode the same from its own bytes.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "rfb/init.hpp"
#include "rfb/security.hpp"
#include "rfb/vencrypt.hpp"
#include "rfb/version.hpp"
#include "rfb/vnc_auth.hpp"
#include "rfb_test_support.hpp"

using namespace vncgate::rfb;
using namespace vncgate::rfb::tests;

namespace {

struct outcome {
  bool has_value = false;
  std::size_t size = 0;
};

template <class R>
outcome summarize(const R& r) {
  return r.has_value() ? outcome{true, r->size} : outcome{false, 0};
}

// A decoder that takes the bytes alone, as the sweep calls it.
template <auto decode>
outcome summarized(byte_view b) {
  return summarize(decode(b));
}

struct decoder_case {
  const char* name;
  std::function<outcome(byte_view)> decode;
  std::vector<bytes> samples;  // valid messages to mutate
};

std::vector<decoder_case> all_decoders() {
  using pv = protocol_version;
  std::vector<decoder_case> out;
  out.push_back({"version", summarized<decode_version>, {text("RFB 003.008\n"), text("RFB 003.889\n")}});
  out.push_back({"security_choice", summarized<decode_security_choice>, {hex("02")}});
  for (const pv v : {pv::v3_3, pv::v3_7, pv::v3_8}) {
    out.push_back({"security_offer", [v](byte_view b) { return summarize(decode_security_offer(b, v)); },
                   {hex("00000002"), hex("00000000 00000002 6e6f"), hex("02 01 02"), hex("00 00000002 6e6f")}});
    out.push_back({"security_result", [v](byte_view b) { return summarize(decode_security_result(b, v)); },
                   {hex("00000000"), hex("00000001 00000002 6e6f")}});
  }
  out.push_back({"vencrypt_version", summarized<decode_vencrypt_version>, {hex("0002")}});
  out.push_back({"vencrypt_subtype_choice", summarized<decode_vencrypt_subtype_choice>, {hex("00000103")}});
  out.push_back({"plain_credentials", summarized<decode_plain_credentials>,
                 {hex("00000005 00000006 616c696365 733363726574"), hex("00000000 00000000")}});
  out.push_back({"vnc_auth_challenge", summarized<decode_vnc_auth_challenge>, {bytes(16, 0x5a)}});
  out.push_back({"client_init", summarized<decode_client_init>, {hex("01")}});
  out.push_back({"server_init", summarized<decode_server_init>, {hex(server_init_wire)}});
  return out;
}

}  // namespace

TEST_CASE("rfb every decoder survives pseudo-random input", "[rfb]") {
  std::mt19937 rng(0x5eed);  // fixed: a failure reproduces
  auto below = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };

  for (const auto& dc : all_decoders()) {
    INFO(dc.name);
    for (int i = 0; i < 4000; ++i) {
      bytes input;
      if (i % 2 == 0) {
        // Random bytes; small lengths dominate so that short messages get hit often.
        input.resize(i % 10 == 0 ? below(300) : below(40));
        for (auto& b : input) b = static_cast<std::uint8_t>(below(256));
      } else {
        // A valid message with a few bytes changed, cut short or extended.
        input = dc.samples[below(dc.samples.size())];
        const std::size_t edits = 1 + below(3);
        for (std::size_t e = 0; e < edits && !input.empty(); ++e) {
          input[below(input.size())] = static_cast<std::uint8_t>(i % 3 == 0 ? 0xff : below(256));
        }
        if (below(3) == 0) input.resize(below(input.size() + 1));
        if (below(3) == 0) input.resize(input.size() + below(20), static_cast<std::uint8_t>(below(256)));
      }
      // An exact-size heap copy, so ASan sees any read past the span.
      const std::vector<std::uint8_t> exact(input.begin(), input.end());
      outcome o;
      REQUIRE_NOTHROW(o = dc.decode(exact));
      if (o.has_value) {
        REQUIRE(o.size <= exact.size());
        // The message ends where the decoder said: its own bytes alone decode the same.
        const outcome again = dc.decode(byte_view(exact.data(), o.size));
        REQUIRE(again.has_value);
        REQUIRE(again.size == o.size);
      }
    }
  }
}
