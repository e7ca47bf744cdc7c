#include "exporter/request_series.hpp"

namespace stackd::exporter {

EndpointSeries::EndpointSeries(OllamaMetrics& m, std::string endpoint, std::string model, ModelSeries& by_model)
    : metrics_(m),
      endpoint_(std::move(endpoint)),
      model_(std::move(model)),
      by_model_(by_model),
      duration_(m.request_duration.with({endpoint_, model_})) {}

metrics::Counter& EndpointSeries::requests(std::string_view status) {
  for (auto& [s, c] : requests_)
    if (s == status) return *c;
  auto& c = metrics_.requests.with({endpoint_, model_, std::string(status)});
  requests_.emplace_back(std::string(status), &c);
  return c;
}

metrics::Counter& EndpointSeries::errors(ErrorKind kind) {
  auto& c = errors_[static_cast<std::size_t>(kind)];
  if (!c) c = &metrics_.errors.with({endpoint_, model_, std::string(error_kind_label(kind))});
  return *c;
}

metrics::Counter& ModelSeries::finished(std::string_view reason) {
  for (auto& [r, c] : finished_)
    if (r == reason) return *c;
  auto& c = metrics_.finished.with({labels_[0], std::string(reason)});
  finished_.emplace_back(std::string(reason), &c);
  return c;
}

ModelSeries& RequestSeries::by_model(std::string_view model) {
  if (auto it = models_.find(model); it != models_.end()) return *it->second;
  auto s = std::make_unique<ModelSeries>(metrics_, std::string(model));
  return *models_.emplace(std::string(model), std::move(s)).first->second;
}

EndpointSeries& RequestSeries::get(std::string_view endpoint, std::string_view model) {
  auto e = endpoints_.find(endpoint);
  if (e == endpoints_.end()) e = endpoints_.emplace(std::string(endpoint), ByName<std::unique_ptr<EndpointSeries>>{}).first;
  if (auto it = e->second.find(model); it != e->second.end()) return *it->second;
  auto s = std::make_unique<EndpointSeries>(metrics_, std::string(endpoint), std::string(model), by_model(model));
  return *e->second.emplace(std::string(model), std::move(s)).first->second;
}

}  // namespace stackd::exporter
