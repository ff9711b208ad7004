// gateway_kernel_tls_test.cpp — kernel TLS detection for the start-up log: "tls" as a
// whole word in the kernel's list of TCP upper-layer protocols, and the line that says
// kernel TLS is off, offered, or not offered (with how to get it).
#include <catch2/catch.hpp>

#include <string>

#include "gateway/kernel_tls.hpp"

using namespace vncgate::gateway;

TEST_CASE("kernel TLS: the ULP list offers tls only as a whole name", "[gateway]") {
  CHECK_FALSE(ulp_list_offers_tls(""));
  CHECK_FALSE(ulp_list_offers_tls("mptcp"));
  CHECK(ulp_list_offers_tls("tls"));
  CHECK(ulp_list_offers_tls("mptcp tls\n"));
  CHECK_FALSE(ulp_list_offers_tls("tlsx espintcp"));
  CHECK(ulp_list_offers_tls("  tls  "));
  CHECK(ulp_list_offers_tls("espintcp\ttls"));
  CHECK_FALSE(ulp_list_offers_tls("mptcptls"));
  CHECK_FALSE(ulp_list_offers_tls("xtls\n"));
  CHECK_FALSE(ulp_list_offers_tls(" \n\t "));
}

TEST_CASE("kernel TLS: the start-up line when it is off by configuration", "[gateway]") {
  const std::string offered = "mptcp tls\n";
  const std::string not_offered = "mptcp\n";
  for (const std::string* list : {&offered, &not_offered, static_cast<const std::string*>(nullptr)}) {
    const std::string line = kernel_tls_status(false, list);
    CAPTURE(line);
    CHECK(line.find("off") != std::string::npos);
    CHECK(line.find("modprobe") == std::string::npos);
  }
  CHECK(kernel_tls_status(false).find("off") != std::string::npos);
}

TEST_CASE("kernel TLS: the start-up line when the kernel offers it", "[gateway]") {
  const std::string list = "mptcp tls\n";
  const std::string line = kernel_tls_status(true, &list);
  CAPTURE(line);
  CHECK(line.find("offers it") != std::string::npos);
  CHECK(line.find("does not") == std::string::npos);
  CHECK(line.find("modprobe") == std::string::npos);
  CHECK(line.find("off (") == std::string::npos);
}

TEST_CASE("kernel TLS: the start-up line says how to get it when the kernel lacks it", "[gateway]") {
  const std::string without = "mptcp espintcp\n";
  const std::string similar = "tlsx\n";
  const std::string empty;
  for (const std::string* list : {&without, &similar, &empty, static_cast<const std::string*>(nullptr)}) {
    const std::string line = kernel_tls_status(true, list);
    CAPTURE(list ? *list : std::string("(unreadable)"), line);
    CHECK(line.find("does not offer") != std::string::npos);
    CHECK(line.find("modprobe tls") != std::string::npos);
    CHECK(line.find("offers it") == std::string::npos);
  }
}
