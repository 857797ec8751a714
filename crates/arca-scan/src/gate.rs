//! Cheap necessary conditions that tell the detector where an identifier that needs no
//! keyword can match, so its regex runs on a few small windows instead of the whole text.
//!
//! A regex set over every such identifier costs a lazy-DFA step per byte for the whole
//! text; most identifiers instead contain a literal (`ghp_`, `-----BEGIN `), found in the
//! same Aho-Corasick pass as the keywords, and the few that are only digits (card numbers,
//! IBANs, coordinates) contain a digit run of a recognisable shape, found by a word-at-a-time
//! scan that skips digit-free text eight bytes at a step.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

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

/// Calls `found` with each maximal run of ASCII digits in `bytes`, as `(start, end)`.
pub(crate) fn digit_runs(bytes: &[u8], mut found: impl FnMut(usize, usize)) {
    // Sixty-four bytes at a time become a bitmap of digits; runs are read off its edges, so
    // digit-free text costs a few word operations a block and a run two bit scans.
    let mut open: Option<usize> = None;
    let mut previous_digit = 0u64;
    let mut base = 0;
    let mut blocks = bytes.chunks_exact(BLOCK);
    let mut tail = [0u8; BLOCK];
    let rest = blocks.remainder();
    if let Some(copy) = tail.get_mut(..rest.len()) {
        copy.copy_from_slice(rest);
    }
    for block in blocks.by_ref().chain(std::iter::once(&tail[..])) {
        let digits = digit_bitmap(block);
        let shifted = (digits << 1) | previous_digit;
        let mut starts = digits & !shifted;
        let mut ends = !digits & shifted;
        loop {
            let next = if open.is_none() { starts } else { ends };
            if next == 0 {
                break;
            }
            let bit = next.trailing_zeros() as usize;
            let clear = !(1u64 << bit);
            match open.take() {
                None => {
                    open = Some(base + bit);
                    starts &= clear;
                }
                Some(start) => {
                    found(start, base + bit);
                    ends &= clear;
                }
            }
        }
        previous_digit = digits >> 63;
        base += BLOCK;
    }
    // The zero padding ends any run still open at the end of the text.
    debug_assert!(open.is_none());
}

const BLOCK: usize = 64;

/// Bit `i` set when byte `i` of the 64-byte `block` is an ASCII digit.
fn digit_bitmap(block: &[u8]) -> u64 {
    let mut bits = 0u64;
    for (index, word) in block.chunks_exact(8).enumerate() {
        let word = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
        bits |= byte_bits(digit_mask(word)) << (8 * index);
    }
    bits
}

/// The high bit of each byte of `word` that is an ASCII digit.
fn digit_mask(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = word & LOW7;
    // With the top bit cleared no byte carries into the next.
    let at_least_0 = low + 0x5050_5050_5050_5050; // 0x30 + 0x50 = 0x80
    let above_9 = low + 0x4646_4646_4646_4646; // 0x3a + 0x46 = 0x80
    at_least_0 & !above_9 & !word & HIGH
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
    byte(bytes, start.checked_sub(1)).is_ascii_uppercase()
        && byte(bytes, start.checked_sub(2)).is_ascii_uppercase()
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
        digit_runs(text.as_bytes(), |start, end| out.push(text.get(start..end).unwrap_or("?")));
        out
    }

    #[test]
    fn digit_runs_across_word_edges() {
        assert_eq!(runs(""), Vec::<&str>::new());
        assert_eq!(runs("no digits in this sentence at all"), Vec::<&str>::new());
        assert_eq!(runs("1"), vec!["1"]);
        assert_eq!(runs("abcdefg1234567hijklmnop89"), vec!["1234567", "89"]);
        assert_eq!(runs("0123456789abcdefgh/:9"), vec!["0123456789", "9"]);
        // Bytes at 0x30 and 0x39 and their neighbours, and non-ASCII bytes.
        assert_eq!(runs("//00::99éé\u{b0}\u{b9}//0"), vec!["00", "99", "0"]);
        let long = format!("{}42{}", "x".repeat(1000), "y".repeat(17));
        assert_eq!(runs(&long), vec!["42"]);
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
    fn digit_runs_match_a_byte_by_byte_scan() {
        let mut state = 7u64;
        for length in [0, 1, 63, 64, 65, 127, 128, 129, 1000] {
            let text: Vec<u8> = (0..length)
                .map(|_| {
                    state =
                        state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    if (state >> 60) < 9 { b'0' + (state >> 33) as u8 % 10 } else { b'a' }
                })
                .collect();
            let mut expected = Vec::new();
            let mut start = None;
            for (i, b) in text.iter().chain(std::iter::once(&b' ')).enumerate() {
                match (b.is_ascii_digit(), start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        expected.push((s, i));
                        start = None;
                    }
                    _ => {}
                }
            }
            let mut got = Vec::new();
            digit_runs(&text, |s, e| got.push((s, e)));
            assert_eq!(got, expected, "length {length}");
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
        digit_runs(text.as_bytes(), |start, end| hit |= shape.accepts(text.as_bytes(), start, end));
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
