/// Latencies in milliseconds.
pub struct Samples(pub Vec<f64>);

impl Samples {
    /// The p-th percentile (nearest rank).
    pub fn p(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }
}

pub fn median(v: &[f64]) -> f64 {
    Samples(v.to_vec()).p(50.0)
}
