#pragma once
// A small thread-safe Prometheus metrics library: counters, gauges and
// histograms grouped in labelled families, exposed in the Prometheus text
// exposition format 0.0.4.
//
// Usage:
//   Registry reg;
//   auto& requests = reg.counter("app_requests_total", "Requests served.", {"code"});
//   requests.with({"200"}).inc();
//   auto& up = reg.gauge("app_up", "1 when the backend answers.");
//   up.get().set(1);
//   std::string text = reg.expose();
//
// Children returned by with()/get() are created on first use and their
// references stay valid for the registry's lifetime (except gauge children
// removed with remove()/clear(), see GaugeFamily). Updates are lock-free
// atomics (histograms take a short per-child lock), so hot paths can cache
// the reference and call inc()/observe() from any thread.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace stackd::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  // Counters only go up; a negative or NaN increment is ignored.
  void inc(double v = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) { value_.fetch_sub(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& upper_bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per upper bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double>& bounds_;
  mutable std::mutex mu_;  // keeps buckets, sum and count consistent in a scrape
  std::vector<std::uint64_t> counts_;  // non-cumulative, last one is +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Common part of a family: name, help, label names, exposition.
class Family {
 public:
  enum class Type { Counter, Gauge, Histogram };
  Family(std::string name, std::string help, std::vector<std::string> label_names, Type type);
  virtual ~Family() = default;
  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  void expose(std::string& out) const;

 protected:
  void check_arity(const LabelValues& values) const;
  virtual void expose_children(std::string& out) const = 0;
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  Type type_;
  mutable std::mutex mu_;  // guards the children map, not the values
};

template <class Child>
class BasicFamily : public Family {
 public:
  using Family::Family;
  // Returns the child for these label values, creating it on first use.
  // Throws std::invalid_argument when the number of values is wrong.
  Child& with(const LabelValues& values);
  // The child of a family without labels.
  Child& get() { return with({}); }

 protected:
  virtual std::unique_ptr<Child> make_child() const {
    if constexpr (std::is_default_constructible_v<Child>) return std::make_unique<Child>();
    else return nullptr;  // families of such children override make_child()
  }
  void expose_children(std::string& out) const override;
  void expose_child(std::string& out, const LabelValues& values, const Child& child) const;
  std::map<LabelValues, std::unique_ptr<Child>> children_;  // ordered: stable exposition
};

using CounterFamily = BasicFamily<Counter>;

class GaugeFamily : public BasicFamily<Gauge> {
 public:
  using BasicFamily<Gauge>::BasicFamily;
  // Drops a child (e.g. a model that was unloaded). References to it obtained
  // earlier become dangling: callers that remove must not cache children.
  void remove(const LabelValues& values);
  // Drops all children (of a labelled family).
  void clear();
  // Keeps only the children whose label values are in `keep`.
  void retain(const std::vector<LabelValues>& keep);
};

class HistogramFamily : public BasicFamily<Histogram> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> buckets);
  const std::vector<double>& buckets() const { return buckets_; }

 protected:
  std::unique_ptr<Histogram> make_child() const override { return std::make_unique<Histogram>(buckets_); }

 private:
  std::vector<double> buckets_;
};

class Registry {
 public:
  // Registering an existing name returns the existing family when type and
  // label names (and buckets) match, and throws std::invalid_argument
  // otherwise. Names and label names are validated against Prometheus rules.
  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string name, std::string help, std::vector<double> buckets,
                             std::vector<std::string> label_names = {});

  // Prometheus text exposition format 0.0.4, families sorted by name.
  std::string expose() const;

  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

 private:
  Family* find(const std::string& name) const;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

// Bucket helpers, like the Go client's.
std::vector<double> exponential_buckets(double start, double factor, int count);
std::vector<double> linear_buckets(double start, double width, int count);

// Exposition helpers, public for tests and for code writing its own lines.
std::string format_value(double v);
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);

}  // namespace stackd::metrics
