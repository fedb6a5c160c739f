//! Descriptive statistics of a sample: the work of the `stats-process` executable, which the
//! gateway runs once per call (request JSON on stdin, reply JSON on stdout).

use serde::{Deserialize, Serialize};

/// `SummarizeRequest` in protobuf's JSON mapping.
#[derive(Debug, Deserialize)]
pub struct SummarizeRequest {
    #[serde(default)]
    pub values: Vec<f64>,
    #[serde(default)]
    pub percentiles: Vec<f64>,
}

/// `Summary` in protobuf's JSON mapping (uint64 as a string, as the mapping says).
#[derive(Debug, Serialize, PartialEq)]
pub struct Summary {
    pub count: String,
    pub mean: f64,
    pub median: f64,
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    pub percentiles: Vec<Percentile>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Percentile {
    pub rank: f64,
    pub value: f64,
}

/// Why a sample cannot be summarized; the text names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error("values: the sample is empty")]
    Empty,
    #[error("values: {0} is not a finite number")]
    NotFinite(f64),
    #[error("percentiles: {0} is outside [0, 100]")]
    PercentileOutOfRange(f64),
}

/// Summarizes the sample. Errors on an empty sample, a non-finite value or a percentile
/// outside [0, 100]. Percentiles interpolate linearly between closest ranks; `stddev` is
/// the population standard deviation.
pub fn summarize(request: &SummarizeRequest) -> Result<Summary, SampleError> {
    if request.values.is_empty() {
        return Err(SampleError::Empty);
    }
    if let Some(v) = request.values.iter().find(|v| !v.is_finite()) {
        return Err(SampleError::NotFinite(*v));
    }
    if let Some(p) = request.percentiles.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        return Err(SampleError::PercentileOutOfRange(*p));
    }
    let mut sorted = request.values.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let variance = sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let rank = |p: f64| {
        let position = p / 100.0 * (n - 1.0);
        let (low, high) = (position.floor() as usize, position.ceil() as usize);
        sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
    };
    Ok(Summary {
        count: sorted.len().to_string(),
        mean,
        median: rank(50.0),
        stddev: variance.sqrt(),
        min: sorted[0],
        max: sorted[sorted.len() - 1],
        percentiles: request.percentiles.iter().map(|p| Percentile { rank: *p, value: rank(*p) }).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_a_sample() {
        let s = summarize(&SummarizeRequest { values: vec![4.0, 1.0, 3.0, 2.0], percentiles: vec![0.0, 100.0, 25.0] })
            .unwrap();
        assert_eq!((s.count.as_str(), s.mean, s.median, s.min, s.max), ("4", 2.5, 2.5, 1.0, 4.0));
        assert!((s.stddev - 1.118_033_988_749_895).abs() < 1e-12);
        assert_eq!(s.percentiles[2], Percentile { rank: 25.0, value: 1.75 });
        assert_eq!(summarize(&SummarizeRequest { values: vec![], percentiles: vec![] }), Err(SampleError::Empty));
        let out_of_range = summarize(&SummarizeRequest { values: vec![1.0], percentiles: vec![101.0] });
        assert_eq!(out_of_range.unwrap_err().to_string(), "percentiles: 101 is outside [0, 100]");
    }
}
