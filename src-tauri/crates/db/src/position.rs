//! Sort keys for cards: fractional indexes, so a move writes one row and never renumbers a column.

use fractional_index::FractionalIndex;

use crate::DbError;

/// A key strictly between `before` and `after` (either may be absent: start or end of the column).
pub fn between(before: Option<&str>, after: Option<&str>) -> Result<String, DbError> {
    let parse = |s: &str| {
        FractionalIndex::from_string(s).map_err(|e| DbError::Invalid(format!("corrupt position key {s:?}: {e}")))
    };
    let lo = before.map(parse).transpose()?;
    let hi = after.map(parse).transpose()?;
    FractionalIndex::new(lo.as_ref(), hi.as_ref())
        .map(|k| k.to_string())
        .ok_or_else(|| DbError::Invalid(format!("positions {before:?} and {after:?} are not in order")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_bytewise_and_never_run_out() {
        let first = between(None, None).unwrap_or_default();
        let mut keys = vec![first.clone()];
        // Insert repeatedly at the same spot (always right after the first): the worst case for fractions.
        let mut upper = between(Some(&first), None).unwrap_or_default();
        keys.push(upper.clone());
        for _ in 0..500 {
            let k = between(Some(&first), Some(&upper)).unwrap_or_default();
            assert!(first < k && k < upper, "{first} < {k} < {upper}");
            keys.push(k.clone());
            upper = k;
        }
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "keys must be distinct");
    }

    #[test]
    fn bad_order_is_an_error_not_a_panic() {
        let a = between(None, None).unwrap_or_default();
        let b = between(Some(&a), None).unwrap_or_default();
        assert!(between(Some(&b), Some(&a)).is_err());
        assert!(between(Some("zz"), None).is_err());
    }
}
