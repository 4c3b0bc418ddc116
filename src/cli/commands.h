// The subcommands of `iotcensus`: each registers its options on the CLI11 app and returns the
// function that runs it. cli/ is the only place where the pipeline stages are wired together.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace iotcensus::cli {

// A registered subcommand: its CLI11 app (to know whether it was chosen) and how to run it.
// `run` returns the process exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_ingest_command(CLI::App& app);
Command add_report_command(CLI::App& app);
Command add_classes_command(CLI::App& app);
Command add_sources_command(CLI::App& app);
Command add_decode_command(CLI::App& app);
Command add_anonymize_command(CLI::App& app);
Command add_keygen_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_lifetimes_command(CLI::App& app);
Command add_simulate_command(CLI::App& app);
Command add_population_command(CLI::App& app);
Command add_devices_command(CLI::App& app);

}  // namespace iotcensus::cli
