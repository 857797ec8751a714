//! Prometheus metrics: requests, errors and latency per service, operation and error code.

use std::{collections::BTreeMap, fmt::Write as _, sync::Mutex, time::Duration};

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request metrics, shared by every request.
#[derive(Default)]
pub struct Metrics {
    // (service, operation) -> latency; (service, operation, code) -> count.
    latency: Mutex<BTreeMap<(String, String), Series>>,
    outcomes: Mutex<BTreeMap<(String, String, String), u64>>,
}

impl Metrics {
    /// Records one request. `code` is the AWS error code, or empty for success.
    pub fn observe(&self, service: &str, operation: &str, code: &str, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        {
            let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
            let series = latency.entry((service.to_string(), operation.to_string())).or_default();
            series.count += 1;
            series.sum_seconds += seconds;
            for (bucket, bound) in series.buckets.iter_mut().zip(BUCKETS) {
                if seconds <= *bound {
                    *bucket += 1;
                }
            }
        }
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        *outcomes
            .entry((service.to_string(), operation.to_string(), code.to_string()))
            .or_default() += 1;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP arca_requests_total Requests by service, operation and AWS error code (empty on success).\n");
        out.push_str("# TYPE arca_requests_total counter\n");
        for ((service, operation, code), count) in
            self.outcomes.lock().unwrap_or_else(|p| p.into_inner()).iter()
        {
            let _ = writeln!(
                out,
                "arca_requests_total{{service=\"{service}\",operation=\"{operation}\",code=\"{code}\"}} {count}"
            );
        }
        out.push_str("# HELP arca_request_errors_total Requests that failed, by service, operation and AWS error code.\n");
        out.push_str("# TYPE arca_request_errors_total counter\n");
        for ((service, operation, code), count) in
            self.outcomes.lock().unwrap_or_else(|p| p.into_inner()).iter()
        {
            if !code.is_empty() {
                let _ = writeln!(
                    out,
                    "arca_request_errors_total{{service=\"{service}\",operation=\"{operation}\",code=\"{code}\"}} {count}"
                );
            }
        }
        out.push_str(
            "# HELP arca_request_duration_seconds Request latency by service and operation.\n",
        );
        out.push_str("# TYPE arca_request_duration_seconds histogram\n");
        for ((service, operation), series) in
            self.latency.lock().unwrap_or_else(|p| p.into_inner()).iter()
        {
            let labels = format!("service=\"{service}\",operation=\"{operation}\"");
            for (bound, count) in BUCKETS.iter().zip(series.buckets) {
                let _ = writeln!(
                    out,
                    "arca_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "arca_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                series.count
            );
            let _ = writeln!(
                out,
                "arca_request_duration_seconds_sum{{{labels}}} {}",
                series.sum_seconds
            );
            let _ =
                writeln!(out, "arca_request_duration_seconds_count{{{labels}}} {}", series.count);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::default();
        metrics.observe("kms", "Encrypt", "", Duration::from_micros(300));
        metrics.observe("kms", "Encrypt", "NotFoundException", Duration::from_millis(3));
        let text = metrics.render();
        assert!(
            text.contains("arca_requests_total{service=\"kms\",operation=\"Encrypt\",code=\"\"} 1")
        );
        assert!(text.contains("arca_request_errors_total{service=\"kms\",operation=\"Encrypt\",code=\"NotFoundException\"} 1"));
        assert!(text.contains("arca_request_duration_seconds_bucket{service=\"kms\",operation=\"Encrypt\",le=\"0.0005\"} 1"));
        assert!(text.contains(
            "arca_request_duration_seconds_count{service=\"kms\",operation=\"Encrypt\"} 2"
        ));
    }
}
