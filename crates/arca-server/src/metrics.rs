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

/// operation -> latency.
type LatencyByOperation = BTreeMap<String, Series>;
/// operation -> error code ("" for success) -> count.
type OutcomesByOperation = BTreeMap<String, BTreeMap<String, u64>>;

/// Request metrics, shared by every request. Maps are nested by label so that a
/// request whose labels were seen before allocates nothing.
#[derive(Default)]
pub struct Metrics {
    latency: Mutex<BTreeMap<String, LatencyByOperation>>,
    outcomes: Mutex<BTreeMap<String, OutcomesByOperation>>,
    /// Requests refused before authentication, by error code. Nothing else of such a
    /// request is trusted, so it gets no other label.
    unauthenticated: Mutex<BTreeMap<&'static str, u64>>,
}

/// The error codes a request can be refused with before authentication; any other is
/// counted as `other`, so unauthenticated callers cannot add label values.
const UNAUTHENTICATED_CODES: &[&str] = &[
    "MissingAuthenticationTokenException",
    "MissingAuthenticationToken",
    "IncompleteSignatureException",
    "IncompleteSignature",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "RequestExpired",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "RequestEntityTooLargeException",
    "RequestTimeoutException",
    "BadRequest",
    "InternalFailure",
];

/// The entry for `key`, allocating the key only the first time it is seen.
fn entry<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

impl Metrics {
    /// Records one request. `code` is the AWS error code, or empty for success.
    pub fn observe(&self, service: &str, operation: &str, code: &str, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        {
            let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
            let series = entry(entry(&mut latency, service), operation);
            series.count += 1;
            series.sum_seconds += seconds;
            for (bucket, bound) in series.buckets.iter_mut().zip(BUCKETS) {
                if seconds <= *bound {
                    *bucket += 1;
                }
            }
        }
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        *entry(entry(entry(&mut outcomes, service), operation), code) += 1;
    }

    /// Counts one request refused before authentication.
    pub fn observe_unauthenticated(&self, code: &str) {
        let label = UNAUTHENTICATED_CODES.iter().find(|known| **known == code).unwrap_or(&"other");
        let mut counts = self.unauthenticated.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(label).or_default() += 1;
    }

    fn outcome_rows(&self) -> Vec<(String, String, String, u64)> {
        let outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        let mut rows = Vec::new();
        for (service, operations) in outcomes.iter() {
            for (operation, codes) in operations {
                for (code, count) in codes {
                    rows.push((service.clone(), operation.clone(), code.clone(), *count));
                }
            }
        }
        rows
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP arca_requests_total Requests by service, operation and AWS error code (empty on success).\n");
        out.push_str("# TYPE arca_requests_total counter\n");
        let rows = self.outcome_rows();
        for (service, operation, code, count) in &rows {
            let _ = writeln!(
                out,
                "arca_requests_total{{service=\"{service}\",operation=\"{operation}\",code=\"{code}\"}} {count}"
            );
        }
        out.push_str("# HELP arca_request_errors_total Requests that failed, by service, operation and AWS error code.\n");
        out.push_str("# TYPE arca_request_errors_total counter\n");
        for (service, operation, code, count) in &rows {
            if !code.is_empty() {
                let _ = writeln!(
                    out,
                    "arca_request_errors_total{{service=\"{service}\",operation=\"{operation}\",code=\"{code}\"}} {count}"
                );
            }
        }
        out.push_str("# HELP arca_unauthenticated_requests_total Requests refused before authentication, by AWS error code.\n");
        out.push_str("# TYPE arca_unauthenticated_requests_total counter\n");
        for (code, count) in self.unauthenticated.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "arca_unauthenticated_requests_total{{code=\"{code}\"}} {count}");
        }
        out.push_str(
            "# HELP arca_request_duration_seconds Request latency by service and operation.\n",
        );
        out.push_str("# TYPE arca_request_duration_seconds histogram\n");
        let latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let series_rows = latency
            .iter()
            .flat_map(|(service, ops)| ops.iter().map(move |(op, series)| (service, op, series)));
        for (service, operation, series) in series_rows {
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

    #[test]
    fn unauthenticated_requests_add_no_label_values() {
        let metrics = Metrics::default();
        metrics.observe_unauthenticated("UnrecognizedClientException");
        metrics.observe_unauthenticated(&"x".repeat(50_000));
        metrics.observe_unauthenticated("AnotherMadeUpCode");
        let text = metrics.render();
        assert!(text.contains(
            "arca_unauthenticated_requests_total{code=\"UnrecognizedClientException\"} 1"
        ));
        assert!(text.contains("arca_unauthenticated_requests_total{code=\"other\"} 2"));
        assert!(text.len() < 4096, "{} bytes", text.len());
    }
}
