#include "testbenches/traces/trace_test_util.h"
