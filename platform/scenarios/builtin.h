// Factories of the built-in scenarios, one file each (registered in scenario.cpp).
#pragma once

#include <memory>

#include "platform/scenarios/scenario.h"

namespace cowsim::scenario {

std::unique_ptr<Scenario> make_fork_cow();
std::unique_ptr<Scenario> make_touch();
std::unique_ptr<Scenario> make_redis_bgsave();
std::unique_ptr<Scenario> make_fork_exec();
std::unique_ptr<Scenario> make_prefork_server();
std::unique_ptr<Scenario> make_full_copy();
std::unique_ptr<Scenario> make_full_copy_lines();
std::unique_ptr<Scenario> make_thp_one_byte();
std::unique_ptr<Scenario> make_drill_read();
std::unique_ptr<Scenario> make_drill_write();
std::unique_ptr<Scenario> make_drill_half();
std::unique_ptr<Scenario> make_dontfork();
std::unique_ptr<Scenario> make_wipeonfork();
std::unique_ptr<Scenario> make_random_access();

}  // namespace cowsim::scenario
