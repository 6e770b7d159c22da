// fake_ssm_server: the FAKE SSM Parameter Store of tests/support/fake_ssm_server.hpp as its own
// program, for tests that run the CLI (SSM has no local server; this is not AWS's code).
//
// Usage: fake_ssm_server [--port N] [--param NAME=VALUE]... [--exit-on-stdin-eof]
// Prints `listening http://127.0.0.1:PORT` once bound, then serves until SIGTERM / SIGINT or,
// with --exit-on-stdin-eof, until stdin closes. --param seeds SecureString parameters.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "support/fake_ssm_server.hpp"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}
}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  bool stdin_eof = false;
  cachedata::testing::FakeSsmServer server;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = std::stoi(argv[++i]);
    } else if (arg == "--param" && i + 1 < argc) {
      std::string kv = argv[++i];
      size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::cerr << "fake_ssm_server: --param wants NAME=VALUE\n";
        return 2;
      }
      server.set(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (arg == "--exit-on-stdin-eof") {
      stdin_eof = true;
    } else {
      std::cerr << "usage: fake_ssm_server [--port N] [--param NAME=VALUE]... "
                   "[--exit-on-stdin-eof]\n";
      return 2;
    }
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  if (!server.start(port)) {
    std::cerr << "fake_ssm_server: cannot bind 127.0.0.1:" << port << "\n";
    return 1;
  }
  std::cout << "listening " << server.endpoint() << std::endl;
  if (stdin_eof) {
    std::thread([] {
      char buffer[256];
      while (std::fread(buffer, 1, sizeof buffer, stdin) > 0) {
      }
      g_stop = 1;
    }).detach();
  }
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.stop();
  return 0;
}
