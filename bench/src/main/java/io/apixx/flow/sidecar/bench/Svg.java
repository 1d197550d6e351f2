package io.apixx.flow.sidecar.bench;

import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The latency distribution plot, written by hand: one line per path at 1 call in flight, latency
 * (log scale) against percentile (0, 90, 99, 99.9, 99.99 equally spaced, as HdrHistogram plots).
 */
final class Svg {
  private Svg() {}

  private static final String[] COLORS = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39"
  };

  static String percentiles(Map<String, Histogram> plotted) {
    int w = 900;
    int h = 520;
    int left = 70;
    int right = 230;
    int top = 30;
    int bottom = 50;
    double maxX = 4; // log10(1/(1-p)): 0 = p0, 4 = p99.99
    double minY = Double.MAX_VALUE;
    double maxY = 0;
    for (Histogram hist : plotted.values()) {
      if (hist.getTotalCount() == 0) {
        continue;
      }
      minY = Math.min(minY, Math.max(1, hist.getValueAtPercentile(0)) / 1e3);
      maxY = Math.max(maxY, hist.getValueAtPercentile(99.99) / 1e3);
    }
    if (maxY == 0) {
      minY = 1;
      maxY = 10;
    }
    double lo = Math.floor(Math.log10(minY));
    double hi = Math.ceil(Math.log10(maxY));
    if (hi <= lo) {
      hi = lo + 1;
    }
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">Latency by percentile, 1 call in flight (log scale, µs)</text>%n", left));
    int pw = w - left - right;
    int ph = h - top - bottom;
    for (int d = (int) lo; d <= (int) hi; d++) {
      double y = top + ph - (d - lo) / (hi - lo) * ph;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", left, y, left + pw, y));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left - 6, y + 4, label(Math.pow(10, d))));
    }
    String[] xl = {"p0", "p90", "p99", "p99.9", "p99.99"};
    for (int i = 0; i <= 4; i++) {
      double x = left + i / maxX * pw;
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n", x, top, x, top + ph));
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, top + ph + 18, xl[i]));
    }
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n", left, top, pw, ph));
    int c = 0;
    for (Map.Entry<String, Histogram> e : plotted.entrySet()) {
      Histogram hist = e.getValue();
      if (hist.getTotalCount() == 0) {
        continue;
      }
      String color = COLORS[c % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i <= 80; i++) {
        double xv = i / 20.0;
        double p = 100 * (1 - Math.pow(10, -xv));
        double v = Math.max(1, hist.getValueAtPercentile(p)) / 1e3;
        double y = top + ph - (Math.log10(v) - lo) / (hi - lo) * ph;
        double x = left + xv / maxX * pw;
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, Math.max(top, Math.min(top + ph, y))));
      }
      s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"%s\"/>%n", color, pts.toString().trim()));
      int ly = top + 10 + c * 18;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>%n", left + pw + 12, ly, left + pw + 32, ly, color));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s (p50 %s)</text>%n", left + pw + 38, ly + 4, e.getKey(), label(hist.getValueAtPercentile(50) / 1e3)));
      c++;
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static String label(double us) {
    if (us >= 1e6) {
      return String.format(Locale.ROOT, "%.0f s", us / 1e6);
    }
    if (us >= 1e3) {
      return String.format(Locale.ROOT, "%.3g ms", us / 1e3);
    }
    return String.format(Locale.ROOT, "%.3g µs", us);
  }
}
