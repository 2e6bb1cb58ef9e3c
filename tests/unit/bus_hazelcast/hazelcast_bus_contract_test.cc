// The bus contract suite (docs/architecture.md §3) against a real Hazelcast member.
#include "dolphin/testing/bus_contract_suite.h"
#include "member_environment.h"

namespace dolphin::testing {
namespace {

std::unique_ptr<bus::KvBus> MakeHazelcastBus() {
  auto& member = bus::hazelcast::testing::Member::Started();
  if (!member.available()) {
    ADD_FAILURE() << "no Hazelcast member: " << member.error();
    return nullptr;
  }
  auto bus = member.NewBus();
  if (!bus.ok()) {
    ADD_FAILURE() << bus.status().ToString();
    return nullptr;
  }
  return std::move(bus).value();
}

INSTANTIATE_TEST_SUITE_P(Hazelcast, BusContractTest,
                         ::testing::Values(BusFactory{"hazelcast", MakeHazelcastBus}));

}  // namespace
}  // namespace dolphin::testing
