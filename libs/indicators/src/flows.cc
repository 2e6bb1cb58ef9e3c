#include "dolphin/indicators/flows.h"

#include <fmt/format.h>

#include <algorithm>

#include "dolphin/contract/names.h"
#include "dolphin/indicators/esof.h"
#include "dolphin/indicators/sources.h"

namespace dolphin::indicators {
namespace {

constexpr char kPushedAt[] = "_pushed_at";
constexpr char kSourceTs[] = "_source_ts";
constexpr char kFlowRunId[] = "_flow_run_id";

class BusSink final : public FeatureSink {
 public:
  explicit BusSink(bus::KvBus& bus) : bus_(bus) {}
  Result<std::optional<std::string>> Get(const std::string& map, const std::string& key) override {
    return bus_.Get(map, key);
  }
  Status Put(const std::string& map, const std::string& key, const std::string& value) override {
    return bus_.Put(map, key, value);
  }

 private:
  bus::KvBus& bus_;
};

// One GET whose answer must be HTTP 200; the body otherwise shortened into the error, which
// starts with `what` (the flow and the symbol).
Result<std::string> Fetch(net::HttpClient& http, const std::string& url, const std::string& what) {
  auto got = http.Get({url, {{"Accept", "application/json"}}});
  if (!got.ok()) return got.status().WithPrefix(what);
  net::HttpResponse r = std::move(*got);
  if (r.status != 200) {
    std::string snippet = r.body.substr(0, 160);
    std::replace(snippet.begin(), snippet.end(), '\n', ' ');
    return UnavailableError(fmt::format("{}: GET {}: HTTP {}{}{}", what, url, r.status,
                                        snippet.empty() ? "" : ": ", snippet));
  }
  return std::move(r.body);
}

std::unique_ptr<net::HttpClient> ClientFor(FlowContext& ctx, const FlowOptions& f) {
  return ctx.http(HttpOptionsFor(f, ctx.version), ctx.cancel);
}

Status PublishExf(FlowContext& ctx, const std::string& flow, Json part) {
  DOLPHIN_ASSIGN_OR_RETURN(auto previous, ctx.sink.Get(contract::kFeaturesMap, contract::kExfKey));
  std::vector<std::string> enabled;
  for (const std::string& f : FlowNames()) {
    if (IsExtfFlow(f) && ctx.options.enabled(f)) enabled.push_back(ExfPartOf(f));
  }
  // A flow run by hand while disabled still keeps its own part.
  if (std::find(enabled.begin(), enabled.end(), ExfPartOf(flow)) == enabled.end()) {
    enabled.push_back(ExfPartOf(flow));
  }
  const std::string text = MergeExf(previous, ExfPartOf(flow), part, enabled,
                                    FormatRfc3339(ctx.env.clock.Now()), ctx.flow_run_id);
  return ctx.sink.Put(contract::kFeaturesMap, contract::kExfKey, text);
}

Result<RunSummary> RunFunding(FlowContext& ctx) {
  const FlowOptions& f = ctx.options.flow(kFlowExtfFunding);
  auto http = ClientFor(ctx, f);
  Json part = Json::object();
  Timestamp newest;
  std::string line = "published exf_latest.funding:";
  for (const std::string& symbol : f.symbols) {
    DOLPHIN_ASSIGN_OR_RETURN(
        std::string body, Fetch(*http, FundingUrl(f.base_url, symbol), "extf-funding " + symbol));
    auto p = ParseFunding(body, symbol, ctx.env.clock.Now());
    if (!p.ok()) return p.status().WithPrefix(fmt::format("extf-funding {}", symbol));
    Json j;
    j["rate"] = p->rate;
    j["mark_price"] = p->mark_price;
    j["index_price"] = p->index_price;
    j["next_funding_time"] = FormatRfc3339(p->next_funding_time);
    j["ts"] = FormatRfc3339(p->ts);
    part[symbol] = j;
    newest = std::max(newest, p->ts);
    line += fmt::format(" {} rate={} mark={}", symbol, FormatDouble(p->rate),
                        FormatDouble(p->mark_price));
  }
  part[kSourceTs] = FormatRfc3339(newest);
  DOLPHIN_RETURN_IF_ERROR(PublishExf(ctx, kFlowExtfFunding, part));
  return RunSummary{line};
}

Result<RunSummary> RunDvol(FlowContext& ctx) {
  const FlowOptions& f = ctx.options.flow(kFlowExtfDvol);
  auto http = ClientFor(ctx, f);
  Json part = Json::object();
  Timestamp newest;
  std::string line = "published exf_latest.dvol:";
  for (const std::string& ccy : f.symbols) {
    DOLPHIN_ASSIGN_OR_RETURN(
        std::string body,
        Fetch(*http, DvolUrl(f.base_url, ccy, ctx.env.clock.Now()), "extf-dvol " + ccy));
    auto p = ParseDvol(body, ccy, ctx.env.clock.Now());
    if (!p.ok()) return p.status().WithPrefix(fmt::format("extf-dvol {}", ccy));
    part[ccy] = Json{{"value", p->value}, {"ts", FormatRfc3339(p->ts)}};
    newest = std::max(newest, p->ts);
    line += fmt::format(" {}={}", ccy, FormatDouble(p->value));
  }
  part[kSourceTs] = FormatRfc3339(newest);
  DOLPHIN_RETURN_IF_ERROR(PublishExf(ctx, kFlowExtfDvol, part));
  return RunSummary{line};
}

Result<RunSummary> RunFearGreed(FlowContext& ctx) {
  const FlowOptions& f = ctx.options.flow(kFlowExtfFearGreed);
  auto http = ClientFor(ctx, f);
  DOLPHIN_ASSIGN_OR_RETURN(std::string body,
                           Fetch(*http, FearGreedUrl(f.base_url), "extf-fear-greed"));
  auto p = ParseFearGreed(body, ctx.env.clock.Now());
  if (!p.ok()) return p.status().WithPrefix("extf-fear-greed");
  Json part{{"value", p->value},
            {"classification", p->classification},
            {"ts", FormatRfc3339(p->ts)},
            {kSourceTs, FormatRfc3339(p->ts)}};
  DOLPHIN_RETURN_IF_ERROR(PublishExf(ctx, kFlowExtfFearGreed, part));
  return RunSummary{
      fmt::format("published exf_latest.fear_greed: {} ({})", p->value, p->classification)};
}

Result<RunSummary> RunEsof(FlowContext& ctx) {
  const Timestamp now = ctx.env.clock.Now();
  const Esof e = ComputeEsof(now);
  Json j = EsofJson(e);
  j[kPushedAt] = FormatRfc3339(now);
  j[kSourceTs] = FormatRfc3339(now);
  j[kFlowRunId] = ctx.flow_run_id;
  DOLPHIN_RETURN_IF_ERROR(ctx.sink.Put(contract::kFeaturesMap, contract::kEsofKey, DumpJson(j)));
  return RunSummary{fmt::format(
      "published esof_latest: moon {} ({:.1f} % lit), {} {} session, {:.0f} min to funding, "
      "{:.2f} days to expiry",
      e.moon_phase_name, e.moon_illumination * 100, e.day_name, e.session, e.minutes_to_funding,
      e.days_to_monthly_expiry)};
}

// One poll: every symbol's book, all or nothing.
Result<Json> PollObf(FlowContext& ctx, net::HttpClient& http, const FlowOptions& f) {
  Json value = Json::object();
  Timestamp newest;
  for (const std::string& symbol : f.symbols) {
    DOLPHIN_ASSIGN_OR_RETURN(
        std::string body,
        Fetch(http, DepthUrl(f.base_url, symbol, f.depth_limit), "obf " + symbol));
    auto book = ParseDepth(body, symbol, ctx.env.clock.Now());
    if (!book.ok()) return book.status().WithPrefix(fmt::format("obf {}", symbol));
    value[symbol] = ObFeaturesJson(*book, ComputeObFeatures(*book));
    newest = std::max(newest, book->ts);
  }
  value[kPushedAt] = FormatRfc3339(ctx.env.clock.Now());
  value[kSourceTs] = FormatRfc3339(newest);
  value[kFlowRunId] = ctx.flow_run_id;
  return value;
}

Result<RunSummary> RunObf(FlowContext& ctx) {
  const FlowOptions& f = ctx.options.flow(kFlowObf);
  auto http = ClientFor(ctx, f);
  int64_t polls = 0, published = 0;
  int failures_in_a_row = 0;
  MonoTime next = ctx.env.clock.MonotonicNow();
  while (!ctx.cancel.cancelled()) {
    ++polls;
    auto value = PollObf(ctx, *http, f);
    if (value.ok()) {
      Status st = ctx.sink.Put(contract::kFeaturesMap, contract::kObFeaturesKey, DumpJson(*value));
      if (st.ok()) {
        ++published;
        failures_in_a_row = 0;
      } else {
        value = st;
      }
    }
    if (!value.ok()) {
      if (ctx.cancel.cancelled()) break;
      ++failures_in_a_row;
      ctx.env.logger.Warn("obf", "poll failed, nothing published",
                          {{"error", value.status().message()}, {"in_a_row", failures_in_a_row}});
      if (failures_in_a_row >= f.max_consecutive_failures) {
        return value.status().WithPrefix(
            fmt::format("obf: {} polls in a row failed, the last", failures_in_a_row));
      }
    }
    if (polls % 60 == 1) {
      ctx.env.logger.Info("obf", "polling", {{"polls", polls}, {"published", published}});
    }
    next = next + f.poll_interval;
    const MonoTime now = ctx.env.clock.MonotonicNow();
    if (next < now) next = now;  // a slow poll: no burst to catch up
    if (!ctx.env.clock.WaitUntil(next, ctx.cancel)) break;
  }
  return RunSummary{fmt::format("obf stopped: {} polls, {} published", polls, published)};
}

}  // namespace

std::unique_ptr<FeatureSink> NewBusFeatureSink(bus::KvBus& bus) {
  return std::make_unique<BusSink>(bus);
}

HttpClientFactory CurlHttpClientFactory(Clock& clock) {
  return [&clock](const net::HttpOptions& o, const CancelToken& cancel) {
    return net::NewCurlHttpClient(o, clock, cancel);
  };
}

net::HttpOptions HttpOptionsFor(const FlowOptions& f, const std::string& version) {
  net::HttpOptions o;
  o.connect_timeout = f.connect_timeout;
  o.total_timeout = f.total_timeout;
  o.max_retries = f.retries;
  o.initial_backoff = f.backoff;
  o.max_backoff = std::max(f.backoff * 8, f.backoff);
  o.max_body_bytes = static_cast<size_t>(f.max_body_bytes);
  o.user_agent = fmt::format("dolphin/{}", version);
  return o;
}

std::string ExfPartOf(std::string_view flow) {
  if (flow == kFlowExtfFunding) return "funding";
  if (flow == kFlowExtfDvol) return "dvol";
  return "fear_greed";
}

std::string MergeExf(const std::optional<std::string>& previous, const std::string& part_name,
                     const Json& part, const std::vector<std::string>& enabled_parts,
                     const std::string& pushed_at, const std::string& flow_run_id) {
  Json out = Json::object();
  if (previous) {
    auto old = ParseJson(*previous, "exf_latest");
    if (old.ok() && old->is_object()) {
      for (const std::string& name : enabled_parts) {
        if (auto it = old->find(name); it != old->end() && it->is_object()) out[name] = *it;
      }
    }
  }
  Json p = part;
  p[kPushedAt] = pushed_at;
  p[kFlowRunId] = flow_run_id;
  out[part_name] = p;
  std::string oldest_push, oldest_source;
  for (const auto& [name, v] : out.items()) {
    if (!v.is_object()) continue;
    auto push = v.find(kPushedAt);
    auto source = v.find(kSourceTs);
    if (push != v.end() && push->is_string() &&
        (oldest_push.empty() || push->get<std::string>() < oldest_push)) {
      oldest_push = push->get<std::string>();
    }
    if (source != v.end() && source->is_string() &&
        (oldest_source.empty() || source->get<std::string>() < oldest_source)) {
      oldest_source = source->get<std::string>();
    }
  }
  out[kPushedAt] = oldest_push;
  out[kSourceTs] = oldest_source;
  out[kFlowRunId] = flow_run_id;
  return DumpJson(out);
}

Result<RunSummary> RunFlow(const std::string& flow, FlowContext& ctx) {
  if (flow == kFlowExtfFunding) return RunFunding(ctx);
  if (flow == kFlowExtfDvol) return RunDvol(ctx);
  if (flow == kFlowExtfFearGreed) return RunFearGreed(ctx);
  if (flow == kFlowObf) return RunObf(ctx);
  if (flow == kFlowEsof) return RunEsof(ctx);
  return InvalidArgumentError(fmt::format("unknown indicator flow \"{}\" (expected one of {})",
                                          flow, fmt::join(FlowNames(), ", ")));
}

}  // namespace dolphin::indicators
