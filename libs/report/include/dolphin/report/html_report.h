// The daily report as one self-contained HTML file (`dolphin report --day D`, docs/batch.md):
// the day's JSON (daily.h) embedded as data, Chart.js (Debian libjs-chart.js, compiled in) and
// the page's own script inlined, so the file opens offline, from a mail attachment or a phone.
// Per colour: figures live vs plain replay, the parity verdict, equity and drawdown, fills on the
// price chart, PnL by regime; then the day's health timeline. Thread-safety: pure.
#pragma once

#include <string>

#include "dolphin/core/json.h"

namespace dolphin::report {

std::string RenderHtml(const Json& day);

}  // namespace dolphin::report
