//! The report: the table of measured rows, ratios between targets, and the machine's
//! load around the run.

use crate::run::Measured;

/// The table's header, with an operation column `op_width` wide.
pub fn header(op_width: usize) -> String {
    format!(
        "{:<6} {:<op_width$} {:>10} {:>9} {:>9} {:>7} {:>11} {:>11}",
        "target", "op", "req/s", "p50 ms", "p99 ms", "errors", "server CPU", "client CPU"
    )
}

/// One row of the table under [`header`] of the same width.
pub fn row(target: &str, operation: &str, measured: &Measured, op_width: usize) -> String {
    let format_cores =
        |cores: Option<f64>| cores.map_or("-".to_owned(), |cores| format!("{cores:.2}"));
    let Measured { report, server_cores, client_cores } = measured;
    format!(
        "{:<6} {:<op_width$} {:>10.0} {:>9.2} {:>9.2} {:>7} {:>11} {:>11}",
        target,
        operation,
        report.throughput(),
        report.latency_millis(0.50),
        report.latency_millis(0.99),
        report.errors,
        format_cores(*server_cores),
        format_cores(*client_cores),
    )
}

/// The line under the table that says what the CPU columns are.
pub const CPU_NOTE: &str = "(CPU columns: cores used on average over warm-up and measurement)";

/// `value / other` as `0.275x (27.5%)`; `-` when there is no `other`.
pub fn ratio(value: f64, other: Option<f64>) -> String {
    other.map_or("-".to_owned(), |other| {
        format!("{:.3}x ({:.1}%)", value / other, 100.0 * value / other)
    })
}

/// `/proc/loadavg`: other work on the machine skews every row, so the output says so.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::load::LoadReport;

    #[test]
    fn ratios() {
        assert_eq!(ratio(14534.0, Some(52774.0)), "0.275x (27.5%)");
        assert_eq!(ratio(1.0, None), "-");
    }

    #[test]
    fn rows_line_up_with_the_header() {
        let measured = Measured {
            report: LoadReport {
                completed: 20,
                errors: 0,
                reconnects: 0,
                window: Duration::from_secs(2),
                latencies_micros: vec![1500; 20],
                first_error: None,
            },
            server_cores: Some(1.25),
            client_cores: None,
        };
        let header = header(16);
        let row = row("arca", "Encrypt", &measured, 16);
        assert_eq!(header.len(), row.len());
        assert_eq!(
            row,
            "arca   Encrypt                  10      1.50      1.50       0        1.25           -"
        );
    }
}
