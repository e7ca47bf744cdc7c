#pragma once
// Two raw Alertmanager configs the tests of every checker judge: one amtool
// refuses (a route names a receiver that does not exist, at 5:17) and one it
// accepts (with a time interval, which older structural checks missed).
namespace stackd::alertmanager::test_configs {

inline constexpr const char* kMissingReceiver = R"(route:
  receiver: ops
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: ops
    webhook_configs:
      - url: http://127.0.0.1:5001/alerts
)";

inline constexpr const char* kValid = R"(route:
  receiver: ops
  routes:
    - matchers: ['severity="critical"']
      receiver: ops
      mute_time_intervals: [nights]
receivers:
  - name: ops
    webhook_configs:
      - url: http://127.0.0.1:5001/alerts
time_intervals:
  - name: nights
    time_intervals:
      - times: [{start_time: '00:00', end_time: '06:00'}]
)";

}  // namespace stackd::alertmanager::test_configs
