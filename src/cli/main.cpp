// iotcensus: a census of Internet-of-Things devices from the NTP traffic an operator sees.
// This file only builds the command line; each subcommand lives in its own *_command.cpp.

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"iotcensus: count devices by kind from NTP traffic (captures in, census out)"};
  app.set_version_flag("--version", std::string("iotcensus ") + IOTCENSUS_VERSION);
  app.require_subcommand(1);
  const iotcensus::cli::Command commands[] = {
      iotcensus::cli::add_ingest_command(app),     iotcensus::cli::add_report_command(app),
      iotcensus::cli::add_classes_command(app),    iotcensus::cli::add_sources_command(app),
      iotcensus::cli::add_decode_command(app),     iotcensus::cli::add_anonymize_command(app),
      iotcensus::cli::add_keygen_command(app),     iotcensus::cli::add_export_command(app),
      iotcensus::cli::add_lifetimes_command(app),  iotcensus::cli::add_simulate_command(app),
      iotcensus::cli::add_population_command(app), iotcensus::cli::add_devices_command(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const auto& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return 2;
}
