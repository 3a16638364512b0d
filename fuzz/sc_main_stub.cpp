// The harnesses link the platform library, hence libsystemc, whose main() wants an sc_main.
// The harness's own main (libFuzzer's or replay_main.cpp) is the one that runs; this is never
// called.
extern "C" int sc_main(int, char**) { return 1; }
