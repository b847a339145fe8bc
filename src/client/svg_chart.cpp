// SVG rendering of line charts (capacity curves of `dsinfer bench sweep`).
#include "client/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace dsinfer::client {

namespace {

constexpr int kMarginLeft = 80;
constexpr int kMarginRight = 200;  // legend column
constexpr int kMarginTop = 64;
constexpr int kPanelGap = 60;
constexpr int kMarginBottom = 50;

std::string tick_label(double v, double step) {
  if (std::fabs(v) < step * 1e-6) return "0";
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return fmt::format("{:.{}f}", v, std::max(0, decimals));
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0};
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-12) {
    const double pad = std::fabs(lo) > 0 ? std::fabs(lo) * 0.5 : 1.0;
    lo -= pad;
    hi += pad;
  }
  target = std::max(2, target);
  // NOTE: the classic "nice numbers" rule: raw step = range / target, rounded up to 1, 2 or
  // 5 times a power of ten; ticks at multiples of the step.
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  const double step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
  const double first = std::floor(lo / step + 1e-9) * step;
  std::vector<double> ticks;
  for (double v = first; ticks.empty() || ticks.back() < hi - step * 1e-9; v += step) {
    ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    if (ticks.size() > 100) break;
  }
  return ticks;
}

std::string render_svg_chart(const ChartSpec& spec) {
  const int panels = std::max<int>(1, static_cast<int>(spec.panels.size()));
  const int height =
      kMarginTop + panels * spec.panel_height + (panels - 1) * kPanelGap + kMarginBottom;
  const int plot_w = spec.width - kMarginLeft - kMarginRight;
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n",
      spec.width, height);
  out += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n",
                     spec.width, height);
  out += fmt::format("<text x=\"{}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\n",
                     kMarginLeft, xml_escape(spec.title));
  if (!spec.subtitle.empty()) {
    out += fmt::format("<text x=\"{}\" y=\"44\" font-size=\"11\" fill=\"#555555\">{}</text>\n",
                       kMarginLeft, xml_escape(spec.subtitle));
  }

  // Shared x range over every panel.
  Range xr;
  for (const auto& p : spec.panels)
    for (const auto& s : p.series)
      for (const auto& [x, y] : s.points) xr.add(x);
  if (xr.empty()) xr = Range{0, 1};
  const auto xticks = nice_ticks(std::min(0.0, xr.lo), xr.hi, 8);
  const double x0 = xticks.front(), x1 = xticks.back();
  const auto sx = [&](double x) { return kMarginLeft + (x - x0) / (x1 - x0) * plot_w; };

  for (int pi = 0; pi < static_cast<int>(spec.panels.size()); ++pi) {
    const ChartPanel& panel = spec.panels[pi];
    const int top = kMarginTop + pi * (spec.panel_height + kPanelGap);
    const int bottom = top + spec.panel_height;
    Range yr;
    yr.add(0.0);
    for (const auto& s : panel.series)
      for (const auto& [x, y] : s.points) yr.add(y);
    if (panel.target_y) yr.add(*panel.target_y * 1.1);
    const auto yticks = nice_ticks(yr.lo, yr.hi, 6);
    const double y0 = yticks.front(), y1 = yticks.back();
    const auto sy = [&](double y) { return bottom - (y - y0) / (y1 - y0) * spec.panel_height; };

    out += fmt::format("<g class=\"panel\" id=\"panel{}\">\n", pi);
    // Grid and ticks.
    for (const double t : yticks) {
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#e0e0e0\"/>\n",
          kMarginLeft, sy(t), kMarginLeft + plot_w, sy(t));
      out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                         kMarginLeft - 6, sy(t) + 4,
                         tick_label(t, yticks.size() > 1 ? yticks[1] - yticks[0] : 1));
    }
    for (const double t : xticks) {
      out += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#f0f0f0\"/>\n", sx(t),
          top, sx(t), bottom);
      out +=
          fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"black\"/>\n",
                      sx(t), bottom, sx(t), bottom + 5);
      out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", sx(t),
                         bottom + 18, tick_label(t, xticks.size() > 1 ? xticks[1] - xticks[0] : 1));
    }
    // Axes.
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>\n",
                       kMarginLeft, top, bottom);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n",
                       kMarginLeft, bottom, kMarginLeft + plot_w);
    out += fmt::format(
        "<text transform=\"translate({},{}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
        kMarginLeft - 55, (top + bottom) / 2, xml_escape(panel.y_label));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       kMarginLeft + plot_w / 2, bottom + 36, xml_escape(spec.x_label));

    // Series.
    int legend_row = 0;
    const int legend_x = kMarginLeft + plot_w + 20;
    for (const auto& s : panel.series) {
      std::string path;
      for (const auto& [x, y] : s.points) {
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", sx(x), sy(y));
      }
      const std::string dash = s.dashed ? " stroke-dasharray=\"6,4\"" : "";
      if (!path.empty()) {
        out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                           path, xml_escape(s.color), dash);
        for (const auto& [x, y] : s.points) {
          if (!std::isfinite(x) || !std::isfinite(y)) continue;
          out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", sx(x),
                             sy(y), xml_escape(s.color));
        }
      }
      const int ly = top + 10 + legend_row++ * 20;
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
          legend_x, ly, legend_x + 24, ly, xml_escape(s.color), dash);
      out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", legend_x + 30, ly + 4,
                         xml_escape(s.name));
    }
    if (panel.target_y && std::isfinite(*panel.target_y)) {
      const double ty = sy(*panel.target_y);
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#d62728\" "
          "stroke-width=\"1.5\" "
          "stroke-dasharray=\"8,4\"/>\n",
          kMarginLeft, ty, kMarginLeft + plot_w, ty);
      const int ly = top + 10 + legend_row++ * 20;
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d62728\" stroke-width=\"1.5\" "
          "stroke-dasharray=\"8,4\"/>\n",
          legend_x, ly, legend_x + 24, ly);
      out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", legend_x + 30, ly + 4,
                         xml_escape(panel.target_label));
    }
    if (panel.marker_x && std::isfinite(*panel.marker_x)) {
      const double mx = sx(*panel.marker_x);
      out += fmt::format(
          "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#555555\" "
          "stroke-width=\"1\" stroke-dasharray=\"2,3\"/>\n",
          mx, top, bottom);
      out +=
          fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" fill=\"#555555\">{}</text>\n",
                      mx + 4, top + 12, xml_escape(panel.marker_label));
    }
    out += "</g>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace dsinfer::client
