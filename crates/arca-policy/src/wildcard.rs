//! `*` and `?` wildcard matching, as in IAM actions, resources and `...Like` operators.
//!
//! The matcher walks pattern and text once, keeping only the position of the last `*`
//! to retry from: no recursion and no exponential backtracking, at most
//! `pattern.len() × text.len()` steps. Both sides can come from a tenant (a key policy
//! and an encryption context), so inside [`crate::evaluate`] every step is also paid
//! from the evaluation's work budget ([`crate::MAX_EVALUATION_WORK`]).

use crate::budget::Budget;

/// Whether `text` matches `pattern`, where `*` matches any run of characters (also none)
/// and `?` exactly one. Case-sensitive.
pub fn matches(pattern: &str, text: &str) -> bool {
    matches_within(pattern, text, &Budget::unlimited())
}

/// [`matches()`] ignoring case (Unicode lower-case of both sides), for actions.
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    matches_ignore_case_within(pattern, text, &Budget::unlimited())
}

/// [`matches()`] paying each step from `budget`; false once the budget is gone.
pub(crate) fn matches_within(pattern: &str, text: &str, budget: &Budget) -> bool {
    if !pattern.contains(['*', '?']) {
        return budget.spend_len(pattern.len().min(text.len())) && pattern == text;
    }
    glob(pattern.as_bytes(), text.as_bytes(), budget)
}

/// [`matches_ignore_case()`] paying each step from `budget`.
pub(crate) fn matches_ignore_case_within(pattern: &str, text: &str, budget: &Budget) -> bool {
    if !budget.spend_len(pattern.len() + text.len()) {
        return false;
    }
    matches_within(&pattern.to_lowercase(), &text.to_lowercase(), budget)
}

/// Length of the UTF-8 sequence starting with `first` (1 for a stray continuation byte,
/// which cannot occur in a `&str` at the positions this is asked about).
fn sequence_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Glob matching over the UTF-8 bytes of valid strings. Literal bytes match one by one,
/// which keeps the text position on character boundaries whenever the pattern position
/// is on one (a pattern character's lead byte fixes its length); `?` and the retry
/// after a `*` step over whole characters.
fn glob(pattern: &[u8], text: &[u8], budget: &Budget) -> bool {
    /// Steps paid from the budget at a time (keeps the loop cheap).
    const BATCH: u32 = 256;
    let (mut p, mut t) = (0usize, 0usize);
    // The last `*` seen and the text position it is currently assumed to end at.
    let mut star: Option<(usize, usize)> = None;
    let mut prepaid = 0u32;
    while let Some(&current) = text.get(t) {
        if prepaid == 0 {
            if !budget.spend(u64::from(BATCH)) {
                return false;
            }
            prepaid = BATCH;
        }
        prepaid -= 1;
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(b'?') => {
                p += 1;
                t += sequence_len(current);
            }
            Some(&byte) if byte == current => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    // Let the `*` swallow one more character and retry after it.
                    let next = star_t + text.get(star_t).copied().map_or(1, sequence_len);
                    p = star_p + 1;
                    t = next;
                    star = Some((star_p, next));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("*key/*", "arn:aws:kms:us-east-1:111122223333:key/1234", true),
            ("arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:eu-west-1:111122223333:key/x", true),
            ("arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:eu-west-1:444455556666:key/x", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXcYb", false),
            ("**", "x", true),
            ("?", "é", true),
            ("??", "é", false),
            ("?", "𝄞", true),
            ("a?b", "aéb", true),
            ("*é", "aéé", true),
            ("*?é", "éé", true),
            ("*?é", "é", false),
            ("é*", "éx", true),
            ("*é*", "xéx", true),
            ("x*?", "x€", true),
            ("Key", "key", false),
            ("a*", "", false),
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaa", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
        assert!(matches_ignore_case("kms:Encrypt", "KMS:encrypt"));
        assert!(matches_ignore_case("kms:*", "kms:Decrypt"));
        assert!(matches_ignore_case("kms:Re*", "kms:ReEncryptFrom"));
        assert!(!matches_ignore_case("kms:Re*", "iam:ReEncryptFrom"));
    }

    #[test]
    fn a_small_budget_stops_a_quadratic_match() {
        let pattern = format!("*{}b", "a".repeat(4000));
        let text = "a".repeat(8000);
        let budget = Budget::new(10_000);
        assert!(!matches_within(&pattern, &text, &budget));
        assert!(budget.is_exhausted());
        // The same match without a budget still answers correctly.
        assert!(!matches(&pattern, &text));
        assert!(matches(&format!("*{}", "a".repeat(4000)), &text));
    }

    proptest::proptest! {
        /// The byte-level matcher agrees with a plain recursive reference on characters.
        #[test]
        fn agrees_with_a_reference(pattern in "[ab*?é]{0,8}", text in "[abé]{0,8}") {
            fn reference(p: &[char], t: &[char]) -> bool {
                match (p.split_first(), t.split_first()) {
                    (None, None) => true,
                    (Some(('*', p_rest)), _) => {
                        reference(p_rest, t) || t.split_first().is_some_and(|(_, t_rest)| reference(p, t_rest))
                    }
                    (Some(('?', p_rest)), Some((_, t_rest))) => reference(p_rest, t_rest),
                    (Some((a, p_rest)), Some((b, t_rest))) if a == b => reference(p_rest, t_rest),
                    _ => false,
                }
            }
            let p: Vec<char> = pattern.chars().collect();
            let t: Vec<char> = text.chars().collect();
            proptest::prop_assert_eq!(matches(&pattern, &text), reference(&p, &t));
        }
    }
}
