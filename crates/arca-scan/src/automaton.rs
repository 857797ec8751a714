//! The one Aho-Corasick pass a segment gets: every identifier's keywords (with their
//! space, `_` and `-` variants) and the anchor literals of identifiers that need no keyword,
//! searched together, ASCII case-insensitive, overlapping.
//!
//! The DFA walk is a chain of dependent table loads, so one walk leaves the core waiting on
//! memory; a long segment is cut into [`LANES`] overlapping pieces walked in step, which
//! keeps as many loads in flight.

use aho_corasick::automaton::Automaton as _;
use aho_corasick::automaton::StateID;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};

use crate::ScanError;

/// An identifier a pattern anchors: a match of it contains the pattern, starting at most
/// `before` bytes before the pattern and ending at most `after` bytes after its start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Anchor {
    pub identifier: usize,
    pub before: usize,
    pub after: usize,
    /// Counts only as a whole word.
    pub word: bool,
}

/// What finding a pattern means.
#[derive(Debug, Default)]
struct Role {
    keyword_of: Vec<usize>,
    anchor_of: Vec<Anchor>,
    /// First and last characters are ASCII letters or digits, so a neighbouring letter or
    /// digit makes the find part of a longer word.
    alnum_edges: (bool, bool),
}

/// Patterns being collected for the automaton.
#[derive(Debug, Default)]
pub(crate) struct AutomatonBuilder {
    patterns: Vec<String>,
    roles: Vec<Role>,
}

/// A keyword found in a segment: its span and the identifiers it is a keyword of.
pub(crate) type KeywordHit<'a> = (usize, usize, &'a [usize]);

/// The compiled automaton.
#[derive(Debug)]
pub(crate) struct Automaton {
    searcher: Option<(DFA, StateID)>,
    roles: Vec<Role>,
}

/// Pieces of a long segment walked in step.
const LANES: usize = 4;
/// Segments shorter than this are walked in one piece.
const LANE_MIN: usize = 4096;

/// The lower-case keyword and its variants with `_`, `-` or nothing for each space.
fn keyword_variants(keyword: &str) -> Vec<String> {
    let lower = keyword.to_lowercase();
    let mut out = vec![lower.clone()];
    if lower.contains(' ') {
        for sep in ["_", "-", ""] {
            out.push(lower.replace(' ', sep));
        }
    }
    out
}

impl AutomatonBuilder {
    fn role(&mut self, pattern: String) -> Option<&mut Role> {
        if pattern.is_empty() {
            return None;
        }
        let index = match self.patterns.iter().position(|p| *p == pattern) {
            Some(index) => index,
            None => {
                let alnum_edges = (
                    pattern.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()),
                    pattern.chars().last().is_some_and(|c| c.is_ascii_alphanumeric()),
                );
                self.patterns.push(pattern);
                self.roles.push(Role { alnum_edges, ..Role::default() });
                self.roles.len() - 1
            }
        };
        self.roles.get_mut(index)
    }

    /// Adds `keyword` (and its variants) as a keyword of `identifier`.
    pub fn keyword(&mut self, keyword: &str, identifier: usize) {
        for variant in keyword_variants(keyword) {
            if let Some(role) = self.role(variant)
                && !role.keyword_of.contains(&identifier)
            {
                role.keyword_of.push(identifier);
            }
        }
    }

    /// Adds `literal` as an anchor.
    pub fn anchor(&mut self, literal: &str, anchor: Anchor) {
        if let Some(role) = self.role(literal.to_lowercase()) {
            role.anchor_of.push(anchor);
        }
    }

    pub fn build(self) -> Result<Automaton, ScanError> {
        let searcher = if self.patterns.is_empty() {
            None
        } else {
            // Overlapping search reports every pattern at every place, so a keyword inside a
            // longer one ("card number" in "credit card number") and an anchor inside a
            // keyword both count.
            let error =
                |message: String| ScanError::InvalidPattern { id: "keywords".into(), message };
            let dfa = DFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(&self.patterns)
                .map_err(|e| error(e.to_string()))?;
            let start = dfa.start_state(Anchored::No).map_err(|e| error(e.to_string()))?;
            Some((dfa, start))
        };
        Ok(Automaton { searcher, roles: self.roles })
    }
}

impl Automaton {
    /// Keywords in `text` (in order of their start), and with `anchors` the windows
    /// `(identifier, start, end)` where anchored identifiers can match.
    pub fn search<'a>(
        &'a self,
        text: &str,
        keywords: &mut Vec<KeywordHit<'a>>,
        mut anchors: Option<&mut Vec<(usize, usize, usize)>>,
    ) {
        let Some((dfa, _)) = &self.searcher else { return };
        let bytes = text.as_bytes();
        let mut found = |end: usize, pattern: usize| {
            let Some(role) = self.roles.get(pattern) else { return };
            let start = end - dfa.pattern_len(aho_corasick::PatternID::new_unchecked(pattern));
            let (alnum_start, alnum_end) = role.alnum_edges;
            let before = start.checked_sub(1).and_then(|i| bytes.get(i)).copied();
            let after = bytes.get(end).copied();
            let inside_word = (alnum_start && before.is_some_and(|b| b.is_ascii_alphanumeric()))
                || (alnum_end && after.is_some_and(|b| b.is_ascii_alphanumeric()));
            if !inside_word && !role.keyword_of.is_empty() {
                keywords.push((start, end, role.keyword_of.as_slice()));
            }
            if let Some(windows) = anchors.as_deref_mut() {
                for anchor in &role.anchor_of {
                    if anchor.word && inside_word {
                        continue;
                    }
                    windows.push((
                        anchor.identifier,
                        start.saturating_sub(anchor.before),
                        start.saturating_add(anchor.after).min(text.len()),
                    ));
                }
            }
        };
        self.walk(bytes, &mut found);
        keywords.sort_unstable_by_key(|(start, end, _)| (*start, *end));
    }

    /// Calls `found(end, pattern)` for every place a pattern ends in `bytes`.
    fn walk(&self, bytes: &[u8], found: &mut dyn FnMut(usize, usize)) {
        let Some((dfa, start)) = &self.searcher else { return };
        let report =
            |sid: StateID, end: usize, from: usize, found: &mut dyn FnMut(usize, usize)| {
                if end > from && dfa.is_match(sid) {
                    for index in 0..dfa.match_len(sid) {
                        found(end, dfa.match_pattern(sid, index).as_usize());
                    }
                }
            };
        // Lane k reports the matches ending in its quarter and starts early enough to see
        // any that begins in the quarter before.
        let quarter = bytes.len() / LANES;
        let overlap = dfa.max_pattern_len().saturating_sub(1);
        let lanes: Vec<(usize, usize, usize)> = if bytes.len() < LANE_MIN {
            vec![(0, 0, bytes.len())]
        } else {
            (0..LANES)
                .map(|k| {
                    let end = if k + 1 == LANES { bytes.len() } else { (k + 1) * quarter };
                    ((k * quarter).saturating_sub(overlap), k * quarter, end)
                })
                .collect()
        };
        let mut states: Vec<StateID> = vec![*start; lanes.len()];
        let mut at: Vec<usize> = lanes.iter().map(|(scan, _, _)| *scan).collect();
        if let [l0, l1, l2, l3] = lanes.as_slice()
            && let [s0, s1, s2, s3] = states.as_mut_slice()
        {
            let steps = [l0, l1, l2, l3].iter().map(|(scan, _, end)| end - scan).min().unwrap_or(0);
            let piece = |lane: &(usize, usize, usize)| {
                bytes.get(lane.0..lane.0 + steps).unwrap_or_default()
            };
            let lanes_bytes = piece(l0).iter().zip(piece(l1)).zip(piece(l2)).zip(piece(l3));
            for (step, (((b0, b1), b2), b3)) in lanes_bytes.enumerate() {
                *s0 = dfa.next_state(Anchored::No, *s0, *b0);
                *s1 = dfa.next_state(Anchored::No, *s1, *b1);
                *s2 = dfa.next_state(Anchored::No, *s2, *b2);
                *s3 = dfa.next_state(Anchored::No, *s3, *b3);
                for (lane, sid) in [(l0, *s0), (l1, *s1), (l2, *s2), (l3, *s3)] {
                    if dfa.is_special(sid) {
                        report(sid, lane.0 + step + 1, lane.1, found);
                    }
                }
            }
            for position in &mut at {
                *position += steps;
            }
        }
        // Each lane's remainder (all of a short segment) on its own.
        for ((lane, sid), position) in lanes.iter().zip(&mut states).zip(&at) {
            for (offset, byte) in
                bytes.get(*position..lane.2).unwrap_or_default().iter().enumerate()
            {
                *sid = dfa.next_state(Anchored::No, *sid, *byte);
                if dfa.is_special(*sid) {
                    report(*sid, position + offset + 1, lane.1, found);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_whole_words_and_anchors_anywhere() {
        let mut builder = AutomatonBuilder::default();
        builder.keyword("card number", 0);
        builder.keyword("credit card number", 1);
        builder.anchor("ghp_", Anchor { identifier: 2, before: 0, after: 40, word: false });
        builder.anchor("num", Anchor { identifier: 3, before: 2, after: 5, word: true });
        let automaton = builder.build().unwrap();
        let text = "Credit_Card_Number x ghp_abc cardnumbers";
        let (mut keywords, mut windows) = (Vec::new(), Vec::new());
        automaton.search(text, &mut keywords, Some(&mut windows));
        let mut found: Vec<(&str, Vec<usize>)> =
            keywords.iter().map(|(s, e, o)| (&text[*s..*e], o.to_vec())).collect();
        found.sort();
        // "card_number" inside the longer keyword counts too; "cardnumber" inside
        // "cardnumbers" does not.
        assert_eq!(found, vec![("Card_Number", vec![0]), ("Credit_Card_Number", vec![1])]);
        assert_eq!(windows, vec![(2, 21, 40)]);
        // Context search reports keywords only.
        let mut keywords = Vec::new();
        automaton.search("ghp_ num", &mut keywords, None);
        assert!(keywords.is_empty());
    }

    #[test]
    fn lanes_find_each_match_once_at_every_offset() {
        let mut builder = AutomatonBuilder::default();
        builder.keyword("needle", 0);
        let automaton = builder.build().unwrap();
        let length = LANE_MIN * 3 + 5;
        let quarter = length / LANES;
        let mut offsets: Vec<usize> = vec![0, length - 6];
        for k in 1..LANES {
            offsets.extend((k * quarter).saturating_sub(8)..k * quarter + 8);
        }
        for offset in offsets {
            let mut text = " ".repeat(length);
            text.replace_range(offset..offset + 6, "NeedlE");
            let mut keywords = Vec::new();
            automaton.search(&text, &mut keywords, None);
            let spans: Vec<(usize, usize)> = keywords.iter().map(|(s, e, _)| (*s, *e)).collect();
            assert_eq!(spans, vec![(offset, offset + 6)], "needle at {offset}");
        }
    }
}
