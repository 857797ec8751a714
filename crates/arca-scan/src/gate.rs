//! Cheap necessary conditions that tell the detector where an identifier that needs no
//! keyword can match, so its regex runs on a few small windows instead of the whole text.
//!
//! A regex set over every such identifier costs a lazy-DFA step per byte for the whole
//! text; most identifiers instead contain a literal (`ghp_`, `-----BEGIN `), found in the
//! same Aho-Corasick pass as the keywords, and the few that are only digits (card numbers,
//! IBANs, coordinates) contain a digit run of a recognisable shape, picked off bitmaps of
//! 64-byte blocks so that digit-free text and short runs cost a few word operations.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

#[cfg(test)]
fn digit_mask(word: u64) -> u64 {
    range_mask(word, b'0', b'9')
}

/// Bytes searched on a side of a gate hit when the identifier's matches are unbounded.
pub(crate) const UNBOUNDED_REACH: usize = 4096;

/// The digit runs an identifier's matches contain: run lengths from `min` to `max`, and a
/// check of the run `(start, end)` in its text.
#[derive(Debug, Clone, Copy)]
pub struct RunShape {
    pub(crate) min: usize,
    pub(crate) max: usize,
    pub(crate) check: fn(&[u8], usize, usize) -> bool,
}

impl RunShape {
    /// The run `(start, end)` of `bytes` can be part of a match.
    pub(crate) fn accepts(&self, bytes: &[u8], start: usize, end: usize) -> bool {
        (self.min..=self.max).contains(&(end - start)) && (self.check)(bytes, start, end)
    }
}

/// Card numbers: twelve or more digits, in groups of at least four.
pub(crate) const CARD: RunShape = RunShape { min: 4, max: usize::MAX, check: card_run };
/// Chinese resident identity card numbers: seventeen digits and a check character.
pub(crate) const RESIDENT_ID: RunShape = RunShape { min: 17, max: 18, check: |_, _, _| true };
/// IBANs: a country code of two capital letters right before the two check digits.
pub(crate) const IBAN: RunShape = RunShape { min: 2, max: usize::MAX, check: iban_run };
/// Coordinates: a decimal point and at least four decimals.
pub(crate) const DECIMALS: RunShape = RunShape { min: 4, max: 10, check: decimal_run };
/// Street addresses: a house number of up to five digits, a space and a capital letter.
pub(crate) const HOUSE_NUMBER: RunShape = RunShape { min: 1, max: 5, check: house_number_run };

/// How the detector finds the places where an identifier can match.
#[derive(Debug, Clone, Copy)]
pub enum Gate {
    /// Every match contains one of these strings (ASCII case-insensitive, lower case here),
    /// starting at most `before` bytes after the match starts; with `word`, the string
    /// stands as a whole word.
    Anchors {
        /// The strings.
        words: &'static [&'static str],
        /// Most bytes of a match before the string.
        before: usize,
        /// The string is a whole word in every match.
        word: bool,
    },
    /// Every match contains a run of ASCII digits of this shape.
    DigitRun(RunShape),
}

/// Literals one of which every match of `pattern` contains, with the most bytes of a match
/// before the literal: the pattern's prefixes (none before) or its suffixes. `None` when
/// the pattern has no literals long enough to be worth a search.
pub(crate) fn literal_anchors(pattern: &str) -> Option<(Vec<String>, usize)> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let max_len = hir.properties().maximum_len().unwrap_or(UNBOUNDED_REACH);
    let mut best: Option<(Vec<String>, usize, usize)> = None;
    for (suffix, before) in [(false, 0), (true, max_len)] {
        let kind = if suffix { ExtractKind::Suffix } else { ExtractKind::Prefix };
        let seq = Extractor::new().kind(kind).extract(&hir);
        let Some(longest) = seq.max_literal_len() else { continue };
        // Cut the literals shorter until few enough remain ("sk-ant-api00-" ... "sk-ant-
        // admin99-" are two strings of ten bytes).
        for length in (MIN_ANCHOR..=longest.min(MAX_ANCHOR_LEN)).rev() {
            let mut cut = seq.clone();
            if suffix {
                cut.keep_last_bytes(length);
            } else {
                cut.keep_first_bytes(length);
            }
            let Some(literals) = cut.literals() else { break };
            let mut lower: Vec<String> = Vec::new();
            for literal in literals {
                let Ok(text) = std::str::from_utf8(literal.as_bytes()) else { return None };
                let text = text.to_ascii_lowercase();
                if !lower.contains(&text) {
                    lower.push(text);
                }
            }
            let shortest = lower.iter().map(String::len).min().unwrap_or(0);
            if shortest < MIN_ANCHOR {
                break;
            }
            if lower.len() > MAX_ANCHORS {
                continue;
            }
            if best.as_ref().is_none_or(|(_, _, length)| shortest > *length) {
                best = Some((lower, before, shortest));
            }
            break;
        }
    }
    best.map(|(literals, before, _)| (literals, before))
}

/// Shorter literals hit too often in ordinary text to save anything.
const MIN_ANCHOR: usize = 3;
/// Longer literals add nothing to the search.
const MAX_ANCHOR_LEN: usize = 16;
/// More literals than this mean the pattern is a class more than a literal.
const MAX_ANCHORS: usize = 64;

/// Calls `found` with each maximal run of ASCII digits in `bytes`, as `(start, end)`, that
/// some [`RunShape`] here can accept: runs of four or more digits, runs of two or more right
/// after two capital letters, and runs followed by a space and a capital letter. The other
/// runs (the "05" and "12" of every timestamp) are left out without being looked at.
pub(crate) fn candidate_runs(bytes: &[u8], mut found: impl FnMut(usize, usize)) {
    // Sixty-four bytes at a time become bitmaps of digits, capitals and spaces; the
    // conditions are word operations on them and their neighbours, so text without digits
    // costs a few operations a block, and only candidate runs are read byte by byte.
    let blocks = bytes.len() / BLOCK + 1;
    let mut previous = ClassMaps::default();
    let mut current = ClassMaps::of(bytes, 0);
    for block in 0..blocks {
        let next = ClassMaps::of(bytes, block + 1);
        let digits = current.digit;
        if digits != 0 {
            let after = |maps: u64, next_maps: u64, k: u32| (maps >> k) | (next_maps << (64 - k));
            let before =
                |maps: u64, previous_maps: u64, k: u32| (maps << k) | (previous_maps >> (64 - k));
            let digit_before = before(digits, previous.digit, 1);
            let starts = digits & !digit_before;
            let ends = !digits & digit_before;
            let digit_after = |k| after(digits, next.digit, k);
            let four = starts & digit_after(1) & digit_after(2) & digit_after(3);
            let capitals =
                before(current.upper, previous.upper, 1) & before(current.upper, previous.upper, 2);
            let country = starts & capitals & digit_after(1);
            let spaced = ends & current.space & after(current.upper, next.upper, 1);
            let base = block * BLOCK;
            for start in bit_positions(four | country) {
                let start = base + start;
                let length = bytes
                    .get(start..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                found(start, start + length);
            }
            for end in bit_positions(spaced) {
                let end = base + end;
                let head = bytes.get(..end).unwrap_or_default();
                let length = head.iter().rev().take_while(|b| b.is_ascii_digit()).count();
                // Runs of four or more were reported from their start.
                if length < 4 && !(length >= 2 && country_before(bytes, end - length)) {
                    found(end - length, end);
                }
            }
        }
        previous = current;
        current = next;
    }
}

fn country_before(bytes: &[u8], start: usize) -> bool {
    byte(bytes, start.checked_sub(1)).is_ascii_uppercase()
        && byte(bytes, start.checked_sub(2)).is_ascii_uppercase()
}

/// Positions of the set bits of `bits`, lowest first.
fn bit_positions(mut bits: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let bit = bits.trailing_zeros() as usize;
        bits &= bits.wrapping_sub(1);
        (bit < 64).then_some(bit)
    })
}

const BLOCK: usize = 64;

/// Bitmaps of one 64-byte block, bit `i` for byte `i`.
#[derive(Debug, Default, Clone, Copy)]
struct ClassMaps {
    digit: u64,
    upper: u64,
    space: u64,
}

impl ClassMaps {
    /// Block `index` of `bytes`; bytes past the end count as NUL.
    fn of(bytes: &[u8], index: usize) -> Self {
        let start = index * BLOCK;
        let mut padded = [0u8; BLOCK];
        let block = match bytes.get(start..start + BLOCK) {
            Some(block) => block,
            None => {
                let rest = bytes.get(start..).unwrap_or_default();
                if let Some(copy) = padded.get_mut(..rest.len()) {
                    copy.copy_from_slice(rest);
                }
                &padded[..]
            }
        };
        let mut maps = Self::default();
        for (index, word) in block.chunks_exact(8).enumerate() {
            let word = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
            let shift = 8 * index;
            maps.digit |= byte_bits(range_mask(word, b'0', b'9')) << shift;
            maps.upper |= byte_bits(range_mask(word, b'A', b'Z')) << shift;
            maps.space |= byte_bits(range_mask(word, b' ', b' ')) << shift;
        }
        maps
    }
}

/// The high bit of each byte of `word` in `low..=high` (ASCII, `low` above 0).
fn range_mask(word: u64, low: u8, high: u8) -> u64 {
    const EACH: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let seven = word & LOW7;
    // With the top bit cleared no byte carries into the next.
    let at_least_low = seven + EACH * u64::from(0x80 - low);
    let above_high = seven + EACH * u64::from(0x80 - (high + 1));
    at_least_low & !above_high & !word & HIGH
}

/// Gathers the high bit of each byte of `mask` into the low eight bits, byte `i` to bit `i`.
fn byte_bits(mask: u64) -> u64 {
    ((mask >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

fn byte(bytes: &[u8], at: Option<usize>) -> u8 {
    at.and_then(|i| bytes.get(i)).copied().unwrap_or(b' ')
}

/// Digits in the run and in the runs joined to it by single spaces or dashes, as card
/// numbers are written.
fn grouped_digits(bytes: &[u8], start: usize, end: usize) -> usize {
    let mut digits = end - start;
    let mut at = end;
    while matches!(byte(bytes, Some(at)), b' ' | b'-') && byte(bytes, Some(at + 1)).is_ascii_digit()
    {
        at += 1;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
            digits += 1;
        }
    }
    let mut at = start;
    while at >= 2
        && matches!(byte(bytes, Some(at - 1)), b' ' | b'-')
        && byte(bytes, Some(at - 2)).is_ascii_digit()
    {
        at -= 1;
        while at > 0 && byte(bytes, Some(at - 1)).is_ascii_digit() {
            at -= 1;
            digits += 1;
        }
    }
    digits
}

fn card_run(bytes: &[u8], start: usize, end: usize) -> bool {
    grouped_digits(bytes, start, end) >= 12
}

fn iban_run(bytes: &[u8], start: usize, _end: usize) -> bool {
    country_before(bytes, start)
}

fn decimal_run(bytes: &[u8], start: usize, _end: usize) -> bool {
    byte(bytes, start.checked_sub(1)) == b'.' && byte(bytes, start.checked_sub(2)).is_ascii_digit()
}

fn house_number_run(bytes: &[u8], _start: usize, end: usize) -> bool {
    byte(bytes, Some(end)) == b' ' && byte(bytes, Some(end + 1)).is_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        candidate_runs(text.as_bytes(), |start, end| out.push(text.get(start..end).unwrap_or("?")));
        out
    }

    #[test]
    fn candidate_runs_in_text() {
        assert_eq!(runs(""), Vec::<&str>::new());
        assert_eq!(runs("no digits in this sentence at all"), Vec::<&str>::new());
        assert_eq!(runs("2024-05-03T12:34:00Z took 123ms id=7a1b"), vec!["2024"]);
        assert_eq!(runs("abcdefg1234567hijklmnop89"), vec!["1234567"]);
        assert_eq!(runs("IBAN GB82 WEST, at 221 Baker Street, 1 A"), vec!["82", "221", "1"]);
        // Non-ASCII bytes, and a run at the very end.
        assert_eq!(runs("é\u{b0}\u{b9}99 Über 0000"), vec!["0000"]);
        let long = format!("{}4242{}", "x".repeat(1000), "y".repeat(17));
        assert_eq!(runs(&long), vec!["4242"]);
    }

    #[test]
    fn candidate_runs_hold_every_run_a_shape_accepts() {
        let alphabet = b"0123456789AZa .-";
        let shapes = [CARD, RESIDENT_ID, IBAN, DECIMALS, HOUSE_NUMBER];
        let mut state = 7u64;
        for length in [0, 1, 2, 63, 64, 65, 127, 128, 129, 1000, 5000] {
            let text: Vec<u8> = (0..length)
                .map(|_| {
                    state =
                        state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    alphabet[(state >> 33) as usize % alphabet.len()]
                })
                .collect();
            let mut runs = Vec::new();
            let mut start = None;
            for (i, b) in text.iter().chain(std::iter::once(&b'a')).enumerate() {
                match (b.is_ascii_digit(), start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        runs.push((s, i));
                        start = None;
                    }
                    _ => {}
                }
            }
            let mut got = Vec::new();
            candidate_runs(&text, |s, e| got.push((s, e)));
            let mut unique = got.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), got.len(), "a run reported twice, length {length}");
            for run in &got {
                assert!(runs.contains(run), "{run:?} is not a whole run, length {length}");
            }
            for (s, e) in runs {
                if shapes.iter().any(|shape| shape.accepts(&text, s, e)) {
                    assert!(got.contains(&(s, e)), "run {s}..{e} missed, length {length}");
                }
            }
        }
    }

    #[test]
    fn byte_bits_gathers_in_order() {
        for pattern in 0u64..256 {
            let mut mask = 0u64;
            for i in 0..8 {
                if pattern & (1 << i) != 0 {
                    mask |= 0x80 << (8 * i);
                }
            }
            assert_eq!(byte_bits(mask), pattern);
        }
    }

    #[test]
    fn range_masks_are_exact() {
        for value in 0u8..=255 {
            let word = u64::from_le_bytes([value; 8]);
            for (low, high) in [(b'0', b'9'), (b'A', b'Z'), (b' ', b' ')] {
                let inside = (low..=high).contains(&value);
                let expected = if inside { 0x8080_8080_8080_8080 } else { 0 };
                assert_eq!(range_mask(word, low, high), expected, "{value:#x} in {low}..={high}");
            }
        }
    }

    #[test]
    fn digit_mask_marks_digits_only() {
        for value in 0u8..=255 {
            let word = u64::from_le_bytes([b'a', value, b'a', b'a', value, b'a', b'a', value]);
            let mask = digit_mask(word);
            assert_eq!(mask != 0, value.is_ascii_digit(), "byte {value:#x}");
            if value.is_ascii_digit() {
                assert_eq!(mask, 0x8000_0080_0000_8000, "byte {value:#x}");
            }
        }
    }

    fn gate(shape: RunShape, text: &str) -> bool {
        let mut hit = false;
        candidate_runs(text.as_bytes(), |start, end| {
            hit |= shape.accepts(text.as_bytes(), start, end);
        });
        hit
    }

    #[test]
    fn shape_checks() {
        assert!(gate(CARD, "pay 4111 1111 1111 1111 now"));
        assert!(gate(CARD, "pay 4111-1111-1111-1111"));
        assert!(gate(CARD, "pay 4111111111111111"));
        assert!(gate(CARD, "amex 3782 822463 10005"));
        assert!(!gate(CARD, "2024-05-03T12:34:00Z took 123ms"));
        assert!(gate(RESIDENT_ID, "id 11010519491231002X"));
        assert!(!gate(RESIDENT_ID, "id 1101051949123100"));
        assert!(gate(IBAN, "GB82 WEST 1234 5698 7654 32"));
        assert!(gate(IBAN, "x:DE89370400440532013000"));
        assert!(!gate(IBAN, "2024-05-03T12:34"));
        assert!(gate(DECIMALS, "at 47.6062,-122.3321"));
        assert!(!gate(DECIMALS, "v1.2.3 and 10.0.0.1"));
        assert!(gate(HOUSE_NUMBER, "lives at 221 Baker Street"));
        assert!(!gate(HOUSE_NUMBER, "took 123ms"));
    }

    #[test]
    fn literals_of_patterns() {
        let (literals, before) = literal_anchors(r"\bghp_[A-Za-z0-9]{36}\b").unwrap();
        assert_eq!((literals, before), (vec!["ghp_".to_string()], 0));
        let (literals, _) =
            literal_anchors(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,99}\b").unwrap();
        assert_eq!(literals.len(), 4);
        assert!(literal_anchors(r"\b[0-9]{12,19}\b").is_none());
        assert!(literal_anchors(r"\b(?:SK|AC)[0-9a-f]{32}\b").is_none());
        // Too many literals are cut shorter until few remain.
        let (literals, _) =
            literal_anchors(r"\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\-]{80,}").unwrap();
        assert!(literals.len() <= MAX_ANCHORS && literals.contains(&"sk-ant-admi".to_string()));
        assert!(literals.iter().all(|l| l.starts_with("sk-ant-a")), "{literals:?}");
        // A suffix literal: the match can start up to its maximum length before it.
        let (literals, before) = literal_anchors(r"[a-z0-9]{8,10}\.example\.com").unwrap();
        assert_eq!((literals, before), (vec![".example.com".to_string()], 22));
    }
}
