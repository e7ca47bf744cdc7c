#include "common/metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace stackd::metrics {

namespace {

bool valid_name(std::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void validate(const std::string& name, const std::vector<std::string>& labels, bool histogram) {
  if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name '" + name + "'");
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto& l = labels[i];
    if (!valid_name(l, false) || l.starts_with("__"))
      throw std::invalid_argument("invalid label name '" + l + "' for metric " + name);
    if (histogram && l == "le") throw std::invalid_argument("histogram " + name + " cannot use label 'le'");
    for (std::size_t j = 0; j < i; ++j)
      if (labels[j] == l) throw std::invalid_argument("duplicate label name '" + l + "' for metric " + name);
  }
}

void append_labels(std::string& out, const std::vector<std::string>& names, const LabelValues& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out.push_back(',');
    first = false;
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

const char* type_name(Family::Type t) {
  switch (t) {
    case Family::Type::Counter: return "counter";
    case Family::Type::Gauge: return "gauge";
    case Family::Type::Histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Shortest round-trip representation, like Go's strconv.FormatFloat(v, 'g', -1, 64).
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

void Counter::inc(double v) {
  if (!(v >= 0)) return;  // also rejects NaN
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>& upper_bounds) : bounds_(upper_bounds), counts_(upper_bounds.size() + 1) {}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  // First bucket whose upper bound is >= v ("le" is inclusive).
  auto idx = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  std::lock_guard lock(mu_);
  ++counts_[idx];
  sum_ += v;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  std::lock_guard lock(mu_);
  s.cumulative.reserve(counts_.size());
  std::uint64_t acc = 0;
  for (auto c : counts_) s.cumulative.push_back(acc += c);
  s.sum = sum_;
  s.count = count_;
  return s;
}

Family::Family(std::string name, std::string help, std::vector<std::string> label_names, Type type)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), type_(type) {}

void Family::check_arity(const LabelValues& values) const {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                                " label values, got " + std::to_string(values.size()));
}

void Family::expose(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out.push_back(' ');
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  out.push_back(' ');
  out += type_name(type_);
  out.push_back('\n');
  expose_children(out);
}

template <class Child>
Child& BasicFamily<Child>::with(const LabelValues& values) {
  check_arity(values);
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  auto [ins, _] = children_.emplace(values, make_child());
  return *ins->second;
}

template <class Child>
void BasicFamily<Child>::expose_children(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, child] : children_) expose_child(out, values, *child);
}

template <>
void BasicFamily<Counter>::expose_child(std::string& out, const LabelValues& values, const Counter& c) const {
  out += name_;
  append_labels(out, label_names_, values);
  out.push_back(' ');
  out += format_value(c.value());
  out.push_back('\n');
}

template <>
void BasicFamily<Gauge>::expose_child(std::string& out, const LabelValues& values, const Gauge& g) const {
  out += name_;
  append_labels(out, label_names_, values);
  out.push_back(' ');
  out += format_value(g.value());
  out.push_back('\n');
}

template <>
void BasicFamily<Histogram>::expose_child(std::string& out, const LabelValues& values, const Histogram& h) const {
  const auto& bounds = static_cast<const HistogramFamily*>(this)->buckets();
  auto snap = h.snapshot();
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    out += name_;
    out += "_bucket";
    append_labels(out, label_names_, values, "le", i < bounds.size() ? format_value(bounds[i]) : "+Inf");
    out.push_back(' ');
    out += std::to_string(snap.cumulative[i]);
    out.push_back('\n');
  }
  out += name_;
  out += "_sum";
  append_labels(out, label_names_, values);
  out.push_back(' ');
  out += format_value(snap.sum);
  out.push_back('\n');
  out += name_;
  out += "_count";
  append_labels(out, label_names_, values);
  out.push_back(' ');
  out += std::to_string(snap.count);
  out.push_back('\n');
}

template class BasicFamily<Counter>;
template class BasicFamily<Gauge>;
template class BasicFamily<Histogram>;

void GaugeFamily::remove(const LabelValues& values) {
  check_arity(values);
  std::lock_guard lock(mu_);
  children_.erase(values);
}

void GaugeFamily::clear() {
  std::lock_guard lock(mu_);
  if (label_names_.empty()) return;  // the single child of an unlabelled gauge always exists
  children_.clear();
}

void GaugeFamily::retain(const std::vector<LabelValues>& keep) {
  std::lock_guard lock(mu_);
  std::erase_if(children_, [&](const auto& kv) { return std::find(keep.begin(), keep.end(), kv.first) == keep.end(); });
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> buckets)
    : BasicFamily<Histogram>(std::move(name), std::move(help), std::move(label_names), Type::Histogram),
      buckets_(std::move(buckets)) {}

Family* Registry::find(const std::string& name) const {
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second.get();
}

namespace {
void check_same(const Family& f, Family::Type type, const std::vector<std::string>& labels) {
  if (f.type() != type || f.label_names() != labels)
    throw std::invalid_argument("metric " + f.name() + " already registered with another type or labels");
}
}  // namespace

CounterFamily& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  validate(name, label_names, false);
  std::lock_guard lock(mu_);
  if (auto* f = find(name)) {
    check_same(*f, Family::Type::Counter, label_names);
    return *static_cast<CounterFamily*>(f);
  }
  bool unlabelled = label_names.empty();
  auto fam = std::make_unique<CounterFamily>(name, std::move(help), std::move(label_names), Family::Type::Counter);
  auto& ref = *fam;
  families_.emplace(std::move(name), std::move(fam));
  if (unlabelled) ref.get();  // exposed as 0 from the start, like the Go client
  return ref;
}

GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  validate(name, label_names, false);
  std::lock_guard lock(mu_);
  if (auto* f = find(name)) {
    check_same(*f, Family::Type::Gauge, label_names);
    return *static_cast<GaugeFamily*>(f);
  }
  bool unlabelled = label_names.empty();
  auto fam = std::make_unique<GaugeFamily>(name, std::move(help), std::move(label_names), Family::Type::Gauge);
  auto& ref = *fam;
  families_.emplace(std::move(name), std::move(fam));
  if (unlabelled) ref.get();
  return ref;
}

HistogramFamily& Registry::histogram(std::string name, std::string help, std::vector<double> buckets,
                                     std::vector<std::string> label_names) {
  validate(name, label_names, true);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (std::isnan(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1])))
      throw std::invalid_argument("histogram " + name + " buckets must be strictly increasing");
  }
  // +Inf is implicit; drop an explicit one.
  if (!buckets.empty() && std::isinf(buckets.back()) && buckets.back() > 0) buckets.pop_back();
  std::lock_guard lock(mu_);
  if (auto* f = find(name)) {
    check_same(*f, Family::Type::Histogram, label_names);
    auto* h = static_cast<HistogramFamily*>(f);
    if (h->buckets() != buckets) throw std::invalid_argument("histogram " + name + " already registered with other buckets");
    return *h;
  }
  bool unlabelled = label_names.empty();
  auto fam = std::make_unique<HistogramFamily>(name, std::move(help), std::move(label_names), std::move(buckets));
  auto& ref = *fam;
  families_.emplace(std::move(name), std::move(fam));
  if (unlabelled) ref.get();
  return ref;
}

std::string Registry::expose() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, fam] : families_) fam->expose(out);
  return out;
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  if (start <= 0 || factor <= 1 || count < 1) throw std::invalid_argument("exponential_buckets: bad arguments");
  std::vector<double> out;
  for (int i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

std::vector<double> linear_buckets(double start, double width, int count) {
  if (width <= 0 || count < 1) throw std::invalid_argument("linear_buckets: bad arguments");
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

}  // namespace stackd::metrics
