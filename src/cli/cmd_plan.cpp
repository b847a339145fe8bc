// `dsinfer plan`: replays a traffic trace through the Kubernetes HPA algorithm and the measured
// capacity curve of one replica; prints the summary (or a comparison of several plans), writes
// the timeline CSV / SVG and the chart's Helm values (docs/planning.md).
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/error.h"
#include "cli/commands.h"
#include "plan/capacity_model.h"
#include "plan/plan_config.h"
#include "plan/plan_report.h"
#include "plan/simulator.h"
#include "plan/traffic_trace.h"

namespace dsinfer::cli {
namespace {

struct PlanArgs {
  std::string curve;
  std::string trace = "seed";
  double trace_scale = 1.0;
  std::vector<std::string> plans;
  std::vector<std::string> compare;
  std::string out_prefix;
  std::string emit_values;
  std::uint64_t seed = 1;
  double step_s = 1.0;
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(ErrorKind::kInvalidInput, "cannot write '{}'", path);
  out << text;
  if (!out.flush()) fail(ErrorKind::kInvalidInput, "cannot write '{}'", path);
}

void run_plan(const PlanArgs& args) {
  std::vector<std::string> paths = args.plans;
  paths.insert(paths.end(), args.compare.begin(), args.compare.end());
  if (paths.empty()) fail(ErrorKind::kInvalidInput, "give --plan FILE or --compare FILE FILE...");
  if (!(args.trace_scale > 0)) fail(ErrorKind::kInvalidInput, "--trace-scale must be > 0");
  const plan::CapacityModel curve = plan::CapacityModel::load(args.curve);
  plan::TrafficTrace trace = plan::load_trace(args.trace);
  if (args.trace_scale != 1.0) {
    auto points = trace.points();
    for (auto& p : points) p.rps *= args.trace_scale;
    trace = plan::TrafficTrace(std::move(points),
                               fmt::format("{} ×{:g}", trace.name(), args.trace_scale));
  }
  std::vector<plan::PlanSpec> specs;
  for (const auto& p : paths) specs.push_back(plan::load_plan(p));
  if (!args.emit_values.empty()) {
    write_text(args.emit_values, plan::helm_values_yaml(specs.front()));
    fmt::print("wrote Helm values of plan '{}' to {}\n", specs.front().name, args.emit_values);
  }
  plan::SimulationOptions options;
  options.seed = args.seed;
  options.step_s = args.step_s;
  std::vector<plan::SimulationResult> results;
  for (const auto& spec : specs) {
    results.push_back(plan::simulate(spec, curve, trace, options));
    const auto& r = results.back();
    if (specs.size() == 1) fmt::print("{}", plan::summary_text(r));
    if (!args.out_prefix.empty()) {
      const std::string base =
          specs.size() == 1 ? args.out_prefix : args.out_prefix + "-" + spec.name;
      const std::string subtitle =
          fmt::format("trace {} · curve {} (1 replica: max {:.3g} req/s) · seed {}", trace.name(),
                      args.curve, curve.max_rps(), args.seed);
      write_text(base + ".csv", plan::timeline_csv(r, spec));
      write_text(base + ".svg", plan::timeline_svg(r, spec, subtitle));
      fmt::print("wrote {}.csv, {}.svg\n", base, base);
    }
  }
  if (specs.size() > 1) fmt::print("{}", plan::compare_table(results));
}

}  // namespace

void add_plan(CLI::App& app) {
  auto args = std::make_shared<PlanArgs>();
  auto* cmd = app.add_subcommand(
      "plan", "Simulate autoscaling plans on a traffic trace with a measured capacity curve");
  cmd->add_option("--curve", args->curve, "Capacity curve JSON of `dsinfer bench sweep`")
      ->required();
  cmd->add_option(
         "--trace", args->trace,
         "CSV file (time,requests_per_s) or diurnal|ramp|spike|seed[:peak=,base=,hours=,seed=]")
      ->capture_default_str();
  cmd->add_option("--trace-scale", args->trace_scale, "Multiply the trace's rates")
      ->capture_default_str();
  cmd->add_option("--plan", args->plans, "Plan YAML (docs/planning.md)");
  cmd->add_option("--compare", args->compare, "Several plan YAMLs: side-by-side table");
  cmd->add_option("--out", args->out_prefix,
                  "Write PREFIX.csv / PREFIX.svg (PREFIX-<plan>.* with several plans)");
  cmd->add_option("--emit-values", args->emit_values,
                  "Write Helm values (deploy/helm/dsinfer) of the first plan");
  cmd->add_option("--seed", args->seed, "Seed of the spot interruptions")->capture_default_str();
  cmd->add_option("--step", args->step_s, "Simulation step, seconds")->capture_default_str();
  cmd->callback([args] { run_plan(*args); });
}

}  // namespace dsinfer::cli
