//! Rent arithmetic, one definition for the contract and for everything off-chain that
//! decides from the mirror (the gateway's bucket authorization).

use crate::{Balance, BlockNumber};

/// Rent a bucket owes from `settled_until` to `now` at `rate` planck per block.
pub fn rent_due(rate: Balance, settled_until: BlockNumber, now: BlockNumber) -> Balance {
    rate.saturating_mul(Balance::from(now.saturating_sub(settled_until)))
}

/// What settling a bucket pays: the rent due, or as many whole blocks of it as `deposit`
/// covers. Returns `(planck paid, new settled_until)`; never more than `deposit`.
pub fn settle(rate: Balance, settled_until: BlockNumber, now: BlockNumber, deposit: Balance) -> (Balance, BlockNumber) {
    if rate == 0 || now <= settled_until {
        // Nothing accrues at rate 0: the bucket is paid up to now.
        return (0, settled_until.max(now));
    }
    let due = rent_due(rate, settled_until, now);
    if due <= deposit {
        return (due, now);
    }
    // rate > 0 here.
    let blocks = deposit.checked_div(rate).unwrap_or(0);
    let blocks = BlockNumber::try_from(blocks).unwrap_or(BlockNumber::MAX);
    (rate.saturating_mul(Balance::from(blocks)), settled_until.saturating_add(blocks))
}

/// The block up to which an account's `deposit` covers the rent of its buckets, given as
/// `(rate, settled_until)` pairs, seen at block `now`. The rent still due at `now` is
/// taken first; what remains pays `Σ rate` per block from `now` on. With no rent to pay it
/// is `BlockNumber::MAX`. A result below `now` means the deposit ran out at that block.
pub fn rent_covered_until(deposit: Balance, buckets: &[(Balance, BlockNumber)], now: BlockNumber) -> BlockNumber {
    let rate: Balance = buckets.iter().fold(0, |sum, (r, _)| sum.saturating_add(*r));
    if rate == 0 {
        return BlockNumber::MAX;
    }
    let due: Balance = buckets.iter().fold(0, |sum, (r, s)| sum.saturating_add(rent_due(*r, *s, now)));
    let to_block = |blocks: Balance| BlockNumber::try_from(blocks).unwrap_or(BlockNumber::MAX);
    match deposit.checked_sub(due) {
        Some(left) => now.saturating_add(to_block(left.checked_div(rate).unwrap_or(0))),
        None => {
            // The shortfall, in blocks of the whole rate, rounded up: the deposit ran out then.
            let short = due.saturating_sub(deposit);
            now.saturating_sub(to_block(short.div_ceil(rate)))
        }
    }
}

/// `amount × bp / 10,000`, rounded down.
pub fn fee(amount: Balance, bp: u32) -> Balance {
    amount.saturating_mul(Balance::from(bp)).checked_div(Balance::from(super::BASIS_POINTS)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settling_pays_whole_blocks_and_never_more_than_the_deposit() {
        assert_eq!(settle(10, 100, 110, 1_000), (100, 110));
        assert_eq!(settle(10, 100, 110, 55), (50, 105));
        assert_eq!(settle(10, 110, 110, 1_000), (0, 110));
        assert_eq!(settle(0, 100, 200, 1_000), (0, 200));
        // Settling again at once pays nothing.
        let (_, until) = settle(10, 100, 110, 1_000);
        assert_eq!(settle(10, until, 110, 900), (0, 110));
    }

    #[test]
    fn coverage_counts_what_is_due_first() {
        assert_eq!(rent_covered_until(1_000, &[], 50), BlockNumber::MAX);
        // 10/block, 100 due at block 110, 900 left: 90 more blocks.
        assert_eq!(rent_covered_until(1_000, &[(10, 100)], 110), 200);
        // Two buckets, 20/block in all.
        assert_eq!(rent_covered_until(1_000, &[(10, 110), (10, 110)], 110), 160);
        // 55 deposited, 100 due: it ran out 5 blocks (rounded up) ago.
        assert_eq!(rent_covered_until(55, &[(10, 100)], 110), 105);
    }

    #[test]
    fn fees_round_down() {
        assert_eq!(fee(1_000, 250), 25);
        assert_eq!(fee(999, 1), 0);
        assert_eq!(fee(10, 10_000), 10);
    }
}
