#include "export/prometheus/text_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>

#include "api/attribute_json.h"
#include "common/json_writer.h"
#include "export/prometheus/naming.h"

namespace adminara::obs::prometheus {
namespace {

enum class FamilyType { kCounter, kGauge, kHistogram, kInfo };

// The family index recorded for names the target info family uses.
constexpr std::size_t kTargetInfo = std::numeric_limits<std::size_t>::max();

std::string_view type_name(FamilyType t, Format f) {
  switch (t) {
    case FamilyType::kCounter:
      return "counter";
    case FamilyType::kGauge:
      return "gauge";
    case FamilyType::kHistogram:
      return "histogram";
    case FamilyType::kInfo:
      return f == Format::kOpenMetrics1 ? "info" : "gauge";
  }
  return "unknown";
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// One family of the exposition: a Prometheus name, its type and metadata, and the metrics
// (possibly from several scopes) whose samples it holds, in input order.
struct Family {
  FamilyType type = FamilyType::kGauge;
  std::string base;  // family name; counters without `_total`
  std::string unit;  // unit word for OpenMetrics UNIT ("" = none)
  std::string_view help;
  std::vector<const MetricData*> metrics;
};

// Label names are sanitised once per distinct attribute key per render; ids make the per-point
// collision check an integer comparison.
class LabelNames {
 public:
  static constexpr int kDrop = -1;
  static constexpr int kScopeName = 0;
  static constexpr int kScopeVersion = 1;
  static constexpr int kLe = 2;

  LabelNames() {
    intern("otel_scope_name");
    intern("otel_scope_version");
    intern("le");
  }

  // The id of `key`'s sanitised name, or kDrop when it sanitises to nothing.
  int id_of(std::string_view key) {
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
    std::string name = sanitize_label_name(key);
    int id = name.empty() ? kDrop : intern(std::move(name));
    by_key_.emplace(std::string(key), id);
    return id;
  }
  const std::string& name(int id) const { return names_[static_cast<std::size_t>(id)]; }

 private:
  int intern(std::string name) {
    auto it = by_name_.find(name);
    if (it != by_name_.end()) return it->second;
    int id = static_cast<int>(names_.size());
    names_.push_back(name);
    by_name_.emplace(std::move(name), id);
    return id;
  }

  std::map<std::string, int, std::less<>> by_key_;
  std::map<std::string, int, std::less<>> by_name_;
  std::vector<std::string> names_;
};

// Appends an attribute value stringified as the OTel specification's "Prometheus and OpenMetrics
// Compatibility" page asks for non-string attributes: strings as they are, bools and numbers
// as JSON, non-finite doubles as NaN / Infinity / -Infinity, arrays as JSON arrays.
void append_attribute_value(std::string& out, const AttributeValue& v, std::string& scratch) {
  if (const auto* s = v.get_if<std::string>()) {
    append_escaped_label_value(out, *s);
    return;
  }
  if (const auto* d = v.get_if<double>(); d != nullptr && !std::isfinite(*d)) {
    out.append(std::isnan(*d) ? "NaN" : (*d > 0 ? "Infinity" : "-Infinity"));
    return;
  }
  if (const auto* b = v.get_if<bool>()) {
    out.append(*b ? "true" : "false");
    return;
  }
  scratch.clear();
  common::JsonWriter w(scratch);
  write_json(w, v);
  append_escaped_label_value(out, scratch);
}

// Renders label sets. Keeps the ids of the previous attribute set's keys, so a run of points
// with the same keys (the usual case) costs one string comparison per key.
class LabelWriter {
 public:
  explicit LabelWriter(LabelNames& names) : names_(names) {}

  // Sets the labels every sample of the next metric gets after its attributes (scope labels).
  void set_scope(const InstrumentationScope& scope, bool enabled) {
    scope_text_.clear();
    scope_values_.clear();
    if (!enabled) return;
    auto add = [&](int id, std::string_view value) {
      if (value.empty()) return;
      if (!scope_text_.empty()) scope_text_.push_back(',');
      scope_text_.append(names_.name(id));
      scope_text_.append("=\"");
      append_escaped_label_value(scope_text_, value);
      scope_text_.push_back('"');
      scope_values_.push_back({id, names_.name(id), std::string(value)});
    };
    add(LabelNames::kScopeName, scope.name);
    add(LabelNames::kScopeVersion, scope.version);
  }

  // Writes `attrs` (+ the scope labels) as `a="x",b="y"` (no braces) into `out`, which is
  // cleared first. With `histogram`, attributes named `le` are left out (the bucket label).
  void write(const AttributeSet& attrs, bool histogram, std::string& out) {
    out.clear();
    prepare(attrs);
    if (collision_ || (histogram && has_le_)) {
      write_merged(attrs, histogram, out);
      return;
    }
    for (std::size_t i = 0; i < attrs.size(); ++i) {
      int id = ids_[i];
      if (id == LabelNames::kDrop) continue;
      if (!out.empty()) out.push_back(',');
      out.append(names_.name(id));
      out.append("=\"");
      append_attribute_value(out, attrs[i].value, scratch_);
      out.push_back('"');
    }
    if (!scope_text_.empty()) {
      if (!out.empty()) out.push_back(',');
      out.append(scope_text_);
    }
  }

 private:
  struct Entry {
    int id;
    std::string_view key;  // original key, orders the values of colliding labels
    std::string value;     // stringified, not escaped
  };

  void prepare(const AttributeSet& attrs) {
    bool same = keys_.size() == attrs.size();
    for (std::size_t i = 0; same && i < attrs.size(); ++i) same = keys_[i] == attrs[i].key;
    if (same) return;
    keys_.clear();
    ids_.clear();
    for (const auto& kv : attrs) {
      keys_.push_back(kv.key);
      ids_.push_back(names_.id_of(kv.key));
    }
    collision_ = false;
    has_le_ = false;
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      if (ids_[i] == LabelNames::kDrop) continue;
      if (ids_[i] == LabelNames::kLe) has_le_ = true;
      if (ids_[i] == LabelNames::kScopeName || ids_[i] == LabelNames::kScopeVersion) {
        collision_ = true;  // may or may not collide: decided per scope in write_merged
      }
      for (std::size_t j = 0; j < i; ++j) collision_ = collision_ || ids_[j] == ids_[i];
    }
  }

  void write_merged(const AttributeSet& attrs, bool histogram, std::string& out) {
    entries_.clear();
    for (std::size_t i = 0; i < attrs.size(); ++i) {
      int id = ids_[i];
      if (id == LabelNames::kDrop || (histogram && id == LabelNames::kLe)) continue;
      // Unescaped here; escaped once when the merged value is written.
      entries_.push_back({id, attrs[i].key, stringify(attrs[i].value)});
    }
    for (const auto& s : scope_values_) entries_.push_back(s);
    std::stable_sort(entries_.begin(), entries_.end(), [this](const Entry& a, const Entry& b) {
      const std::string& na = names_.name(a.id);
      const std::string& nb = names_.name(b.id);
      if (na != nb) return na < nb;
      return a.key < b.key;
    });
    for (std::size_t i = 0; i < entries_.size();) {
      std::size_t j = i + 1;
      while (j < entries_.size() && entries_[j].id == entries_[i].id) ++j;
      if (!out.empty()) out.push_back(',');
      out.append(names_.name(entries_[i].id));
      out.append("=\"");
      for (std::size_t k = i; k < j; ++k) {
        if (k > i) out.push_back(';');
        append_escaped_label_value(out, entries_[k].value);
      }
      out.push_back('"');
      i = j;
    }
  }

  static std::string stringify(const AttributeValue& v) {
    if (const auto* s = v.get_if<std::string>()) return *s;
    if (const auto* d = v.get_if<double>(); d != nullptr && !std::isfinite(*d)) {
      return std::isnan(*d) ? "NaN" : (*d > 0 ? "Infinity" : "-Infinity");
    }
    if (const auto* b = v.get_if<bool>()) return *b ? "true" : "false";
    std::string s;
    common::JsonWriter w(s);
    write_json(w, v);
    return s;
  }

  LabelNames& names_;
  std::string scope_text_;
  std::vector<Entry> scope_values_;
  std::vector<std::string_view> keys_;
  std::vector<int> ids_;
  bool collision_ = false;
  bool has_le_ = false;
  std::vector<Entry> entries_;
  std::string scratch_;
};

// Appends ` # {trace_id="…",span_id="…"} <value> <seconds.millis>` (OpenMetrics only).
void append_exemplar(std::string& out, const Exemplar& e) {
  // The exemplar label set is at most trace_id + span_id: names and values total
  // 8 + 32 + 7 + 16 = 63 code points, inside OpenMetrics' 128 limit.
  static_assert(8 + 32 + 7 + 16 <= 128);
  out.append(" # {");
  bool any = false;
  if (e.trace_id.is_valid()) {
    char hex[32];
    e.trace_id.write_hex(hex);
    out.append("trace_id=\"");
    out.append(hex, 32);
    out.push_back('"');
    any = true;
  }
  if (e.span_id.is_valid()) {
    char hex[16];
    e.span_id.write_hex(hex);
    if (any) out.push_back(',');
    out.append("span_id=\"");
    out.append(hex, 16);
    out.push_back('"');
  }
  out.append("} ");
  append_sample_value(out, e.value);
  if (e.time_unix_nano > 0) {
    out.push_back(' ');
    append_uint(out, static_cast<std::uint64_t>(e.time_unix_nano / 1'000'000'000));
    auto ms = static_cast<unsigned>((e.time_unix_nano % 1'000'000'000) / 1'000'000);
    char frac[4] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                    static_cast<char>('0' + ms % 10)};
    out.append(frac, 4);
  }
}

const Exemplar* latest(const std::vector<Exemplar>& exemplars) {
  const Exemplar* best = nullptr;
  for (const auto& e : exemplars) {
    if (best == nullptr || e.time_unix_nano >= best->time_unix_nano) best = &e;
  }
  return best;
}

class Renderer {
 public:
  Renderer(Format format, const RenderOptions& options, std::string& out, RenderStats& stats)
      : format_(format),
        om_(format == Format::kOpenMetrics1),
        options_(options),
        out_(out),
        stats_(stats),
        labels_(names_) {}

  void run(const Resource& resource, const std::vector<MetricData>& metrics) {
    bool target = options_.target_info && !resource.attributes().empty();
    // The target info family's names are taken before any metric can claim them.
    if (target) {
      for (const char* name : {"target", "target_info"}) claimed_.emplace(name, kTargetInfo);
    }
    std::size_t estimate = 64;
    for (const auto& m : metrics) group(m, estimate);
    out_.reserve(out_.size() + estimate);
    if (target) write_target_info(resource);
    for (const auto& f : families_) write_family(f);
    if (om_) out_.append("# EOF\n");
  }

 private:
  void drop(const MetricData& m, std::string why) {
    ++stats_.metrics_dropped;
    std::string w = "metric '" + m.descriptor.name + "'";
    if (!m.scope.name.empty()) w += " of scope '" + m.scope.name + "'";
    w += " dropped: ";
    w += why;
    stats_.warnings.push_back(std::move(w));
  }

  // Assigns `m` to a family (new or existing), or drops it.
  void group(const MetricData& m, std::size_t& estimate) {
    if (m.points.empty()) return;
    const auto& first = m.points.front().value;
    FamilyType type = FamilyType::kGauge;
    bool cumulative_only = false;
    if (std::holds_alternative<HistogramPoint>(first)) {
      type = FamilyType::kHistogram;
      cumulative_only = true;
    } else if (std::holds_alternative<SumPoint>(first)) {
      type = m.monotonic ? FamilyType::kCounter : FamilyType::kGauge;
      cumulative_only = true;
    }
    if (cumulative_only && m.temporality != AggregationTemporality::kCumulative) {
      drop(m, "delta temporality (Prometheus needs cumulative values)");
      return;
    }
    std::string base = sanitize_metric_name(m.descriptor.name);
    if (type == FamilyType::kCounter && ends_with(base, "_total") && base.size() > 6) {
      base.resize(base.size() - 6);
    }
    if (base.empty() || base == "_") {
      drop(m, "its name has no usable characters");
      return;
    }
    std::string unit = unit_word(m.descriptor.unit);
    if (unit.empty() && type == FamilyType::kGauge && options_.unit_suffixes &&
        m.descriptor.unit == "1") {
      unit = "ratio";
    }
    if (options_.unit_suffixes && !unit.empty() && !ends_with(base, "_" + unit)) {
      base += '_';
      base += unit;
    }
    if (!ends_with(base, "_" + unit)) unit.clear();  // UNIT must be the name's suffix

    std::vector<std::string> claims{base};
    if (type == FamilyType::kCounter) claims.push_back(base + "_total");
    if (type == FamilyType::kHistogram) {
      claims.push_back(base + "_bucket");
      claims.push_back(base + "_sum");
      claims.push_back(base + "_count");
    }
    std::size_t index;
    auto it = claimed_.find(base);
    if (it != claimed_.end() && it->second < families_.size() &&
        families_[it->second].base == base && families_[it->second].type == type) {
      index = it->second;
      Family& f = families_[index];
      if (!m.descriptor.description.empty()) {
        if (f.help.empty()) {
          f.help = m.descriptor.description;
        } else if (f.help != m.descriptor.description) {
          stats_.warnings.push_back("metric '" + m.descriptor.name +
                                    "': description differs from the one of '" + base +
                                    "' already exposed; keeping the first");
        }
      }
    } else {
      for (const auto& c : claims) {
        auto hit = claimed_.find(c);
        if (hit == claimed_.end()) continue;
        std::string owner = hit->second < families_.size()
                                ? std::string(type_name(families_[hit->second].type, format_)) +
                                      " '" + families_[hit->second].base + "'"
                                : std::string("target info");
        drop(m, "Prometheus name '" + c + "' is already used by " + owner);
        return;
      }
      index = families_.size();
      families_.push_back({type, base, unit, m.descriptor.description, {}});
      for (auto& c : claims) claimed_.emplace(std::move(c), index);
    }
    families_[index].metrics.push_back(&m);
    std::size_t per_point = base.size() + 96;
    if (type == FamilyType::kHistogram) {
      const auto* h = std::get_if<HistogramPoint>(&first);
      std::size_t buckets = h != nullptr && h->boundaries ? h->boundaries->size() + 1 : 1;
      per_point *= buckets + 2;
    }
    estimate += per_point * m.points.size();
  }

  void write_metadata(const Family& f, std::string_view meta_name, std::string_view help) {
    // 0.0.4: HELP then TYPE. OpenMetrics: TYPE, UNIT, HELP.
    if (om_) {
      out_.append("# TYPE ").append(meta_name).push_back(' ');
      out_.append(type_name(f.type, format_)).push_back('\n');
      if (!f.unit.empty()) {
        out_.append("# UNIT ").append(meta_name).push_back(' ');
        out_.append(f.unit).push_back('\n');
      }
    }
    if (!help.empty()) {
      out_.append("# HELP ").append(meta_name).push_back(' ');
      append_escaped_help(out_, help, /*escape_quotes=*/om_);
      out_.push_back('\n');
    }
    if (!om_) {
      out_.append("# TYPE ").append(meta_name).push_back(' ');
      out_.append(type_name(f.type, format_)).push_back('\n');
    }
  }

  void write_target_info(const Resource& resource) {
    Family f{FamilyType::kInfo, "target", "", "Target metadata", {}};
    write_metadata(f, om_ ? "target" : "target_info", f.help);
    labels_.set_scope({}, false);
    labels_.write(resource.attributes(), false, label_text_);
    out_.append("target_info");
    if (!label_text_.empty()) out_.append("{").append(label_text_).push_back('}');
    out_.append(" 1\n");
  }

  void write_family(const Family& f) {
    std::string sample_name = f.base;
    if (f.type == FamilyType::kCounter) sample_name += "_total";
    write_metadata(f, om_ || f.type != FamilyType::kCounter ? f.base : sample_name, f.help);
    for (const MetricData* m : f.metrics) {
      labels_.set_scope(m->scope, options_.scope_labels);
      if (f.type == FamilyType::kHistogram) {
        write_histogram(f, *m);
      } else {
        write_simple(f, sample_name, *m);
      }
    }
  }

  void write_simple(const Family& f, const std::string& sample_name, const MetricData& m) {
    for (const auto& p : m.points) {
      double value;
      const SumPoint* sum = std::get_if<SumPoint>(&p.value);
      if (sum != nullptr) {
        value = sum->value;
      } else if (const auto* g = std::get_if<GaugePoint>(&p.value)) {
        value = g->value;
      } else {
        continue;  // a point of another kind than the metric's first: not renderable here
      }
      labels_.write(*p.attributes, false, label_text_);
      out_.append(sample_name);
      if (!label_text_.empty()) out_.append("{").append(label_text_).push_back('}');
      out_.push_back(' ');
      append_sample_value(out_, value);
      if (om_ && f.type == FamilyType::kCounter && sum != nullptr) {
        if (const Exemplar* e = latest(sum->exemplars)) append_exemplar(out_, *e);
      }
      out_.push_back('\n');
    }
  }

  // The `le` label values of `bounds`, formatted once per distinct bounds vector.
  const std::vector<std::string>& le_values(const std::vector<double>* bounds) {
    if (bounds == le_bounds_ && !le_values_.empty()) return le_values_;
    le_bounds_ = bounds;
    le_values_.clear();
    if (bounds != nullptr) {
      for (double b : *bounds) {
        std::string s;
        append_go_float(s, b, om_);
        le_values_.push_back(std::move(s));
      }
    }
    le_values_.emplace_back("+Inf");
    return le_values_;
  }

  void write_histogram(const Family& f, const MetricData& m) {
    for (const auto& p : m.points) {
      const auto* h = std::get_if<HistogramPoint>(&p.value);
      if (h == nullptr) continue;
      const std::vector<double>* bounds = h->boundaries.get();
      const std::vector<std::string>& les = le_values(bounds);
      std::size_t nb = les.size();  // finite bounds + the +Inf bucket
      bool negative_bound = false;
      if (bounds != nullptr) {
        negative_bound =
            std::any_of(bounds->begin(), bounds->end(), [](double b) { return b < 0; });
      }

      bucket_exemplars_.assign(nb, nullptr);
      if (om_ && bounds != nullptr) {
        for (const auto& e : h->exemplars) {
          if (std::isnan(e.value)) continue;
          // Upper-inclusive buckets: the first bound >= value.
          auto i = static_cast<std::size_t>(
              std::lower_bound(bounds->begin(), bounds->end(), e.value) - bounds->begin());
          const Exemplar*& slot = bucket_exemplars_[i];
          if (slot == nullptr || e.time_unix_nano >= slot->time_unix_nano) slot = &e;
        }
      }

      labels_.write(*p.attributes, true, label_text_);
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < nb; ++i) {
        if (i < h->bucket_counts.size()) cumulative += h->bucket_counts[i];
        // +Inf equals the count; never below the finite buckets, so the output stays valid.
        if (i + 1 == nb) cumulative = std::max(cumulative, h->count);
        out_.append(f.base).append("_bucket{");
        if (!label_text_.empty()) out_.append(label_text_).push_back(',');
        out_.append("le=\"").append(les[i]).append("\"} ");
        append_uint(out_, cumulative);
        if (bucket_exemplars_[i] != nullptr) append_exemplar(out_, *bucket_exemplars_[i]);
        out_.push_back('\n');
      }
      if (om_ && negative_bound) continue;  // OpenMetrics: no _sum (and so no _count)
      out_.append(f.base).append("_sum");
      if (!label_text_.empty()) out_.append("{").append(label_text_).push_back('}');
      out_.push_back(' ');
      append_sample_value(out_, h->sum);
      out_.push_back('\n');
      out_.append(f.base).append("_count");
      if (!label_text_.empty()) out_.append("{").append(label_text_).push_back('}');
      out_.push_back(' ');
      append_uint(out_, cumulative);
      out_.push_back('\n');
    }
  }

  Format format_;
  bool om_;
  const RenderOptions& options_;
  std::string& out_;
  RenderStats& stats_;
  LabelNames names_;
  LabelWriter labels_;
  std::vector<Family> families_;
  // Every sample/metadata name a family uses -> family index (kTargetInfo: target info).
  std::unordered_map<std::string, std::size_t> claimed_;
  std::string label_text_;
  const std::vector<double>* le_bounds_ = nullptr;
  std::vector<std::string> le_values_;
  std::vector<const Exemplar*> bucket_exemplars_;
};

}  // namespace

RenderStats render(const Resource& resource, const std::vector<MetricData>& metrics, Format format,
                   const RenderOptions& options, std::string& out) {
  RenderStats stats;
  Renderer(format, options, out, stats).run(resource, metrics);
  return stats;
}

std::string_view content_type(Format format) {
  return format == Format::kOpenMetrics1
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

void append_go_float(std::string& out, double v, bool canonical) {
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  // Shortest round-trip digits and decimal exponent, then laid out as Go's %g does.
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  bool negative = !sci.empty() && sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  std::size_t e_pos = sci.find('e');
  char digits[24];
  std::size_t nd = 0;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits[nd++] = c;
  }
  int exp = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);

  if (negative) out.push_back('-');
  if (exp < -4 || exp >= 6) {
    out.push_back(digits[0]);
    if (nd > 1) {
      out.push_back('.');
      out.append(digits + 1, nd - 1);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out.push_back('0');
    char eb[8];
    auto er = std::to_chars(eb, eb + sizeof eb, a);
    out.append(eb, er.ptr);
    return;
  }
  int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-dp), '0');
    out.append(digits, nd);
  } else if (static_cast<std::size_t>(dp) >= nd) {
    out.append(digits, nd);
    out.append(static_cast<std::size_t>(dp) - nd, '0');
    if (canonical) out.append(".0");
  } else {
    out.append(digits, static_cast<std::size_t>(dp));
    out.push_back('.');
    out.append(digits + dp, nd - static_cast<std::size_t>(dp));
  }
}

void append_sample_value(std::string& out, double v) {
  char buf[32];
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {  // integral, below 2^53
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
    out.append(buf, r.ptr);
    return;
  }
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace adminara::obs::prometheus
