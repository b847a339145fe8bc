// A small SVG line-chart writer (our own code): stacked panels sharing an x axis, each with
// axes, ticks, grid, labelled series, an optional horizontal target line and a legend.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsinfer::client {

struct ChartSeries {
  std::string name;                               // legend text
  std::string color;                              // any SVG colour, e.g. "#1f77b4"
  std::vector<std::pair<double, double>> points;  // (x, y); drawn in the given order
  bool dashed = false;
};

struct ChartPanel {
  std::string y_label;
  std::vector<ChartSeries> series;
  std::optional<double> target_y;  // a horizontal dashed red line (e.g. the SLO)
  std::string target_label;
  std::optional<double> marker_x;  // a vertical dotted line (e.g. the SLO capacity)
  std::string marker_label;
};

struct ChartSpec {
  std::string title;
  std::string subtitle;  // a smaller second line (may be empty)
  std::string x_label;
  std::vector<ChartPanel> panels;
  int width = 860;
  int panel_height = 330;
};

// Renders a standalone SVG 1.1 document (UTF-8, XML-escaped text). Empty series and panels
// are drawn as empty axes; non-finite points are skipped. Pure function.
std::string render_svg_chart(const ChartSpec& spec);

// About `target` "nice" tick values (1, 2 or 5 × 10^k steps) covering [lo, hi]; the first
// tick is <= lo and the last >= hi. lo == hi widens the range. Pure function.
std::vector<double> nice_ticks(double lo, double hi, int target);

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace dsinfer::client
