//! The work budget of one policy evaluation.
//!
//! A tenant writes its own key policy and chooses its own encryption context, so both
//! sides of every comparison are attacker-sized: three 8 KB `StringLike` patterns
//! against a hundred 8 KB context keys were once eight seconds of CPU for one request.
//! Every comparison therefore spends units from one budget per evaluation (about one
//! unit per character compared), and an evaluation that runs out is denied: a request
//! cannot hold a core for more than a few milliseconds of policy work.

use std::cell::Cell;

/// Units of matching work one evaluation may spend: about one unit per character
/// compared. Real policies spend a few thousand; the whole budget is about a
/// millisecond of a release build's time.
pub const MAX_EVALUATION_WORK: u64 = 500_000;

/// What is left of an evaluation's budget. Once spent, every further comparison fails
/// at once and the evaluation's result is a denial (see [`crate::Decision`]).
#[derive(Debug)]
pub(crate) struct Budget {
    remaining: Cell<u64>,
    exhausted: Cell<bool>,
}

impl Budget {
    /// A budget of `units`.
    pub(crate) fn new(units: u64) -> Self {
        Self { remaining: Cell::new(units), exhausted: Cell::new(false) }
    }

    /// A budget that never runs out, for the public single-comparison helpers whose
    /// callers bound their own inputs.
    pub(crate) fn unlimited() -> Self {
        Self::new(u64::MAX)
    }

    /// Spends `units`; false once the budget is gone (and from then on).
    pub(crate) fn spend(&self, units: u64) -> bool {
        if self.exhausted.get() {
            return false;
        }
        match self.remaining.get().checked_sub(units) {
            Some(left) => {
                self.remaining.set(left);
                true
            }
            None => {
                self.remaining.set(0);
                self.exhausted.set(true);
                false
            }
        }
    }

    /// Spends the cost of looking at `len` bytes (at least one unit).
    pub(crate) fn spend_len(&self, len: usize) -> bool {
        self.spend(u64::try_from(len).unwrap_or(u64::MAX).saturating_add(1))
    }

    /// Whether the budget ran out; results computed after that are meaningless.
    pub(crate) fn is_exhausted(&self) -> bool {
        self.exhausted.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_out_and_stays_out() {
        let budget = Budget::new(10);
        assert!(budget.spend(4));
        assert!(budget.spend_len(5));
        assert!(!budget.is_exhausted());
        assert!(!budget.spend(1));
        assert!(budget.is_exhausted());
        assert!(!budget.spend(0));
        assert!(Budget::unlimited().spend(u64::MAX - 1));
    }
}
