//! Detection over extracted text: one Aho-Corasick pass for keywords and anchors and one
//! digit-run scan (see [`crate::gate`]), then per-identifier regexes and validators only
//! in the windows where they can match.

use regex::{Regex, RegexBuilder};

use crate::ScanError;
use crate::automaton::{Anchor, Automaton, AutomatonBuilder};
use crate::catalog::{CATALOG, Category, KeywordRule, LEAD_BYTES, Spec, canonical_id};
use crate::custom::{AllowList, CustomDataIdentifier, SeverityLevel};
use crate::gate::{Gate, RunShape, UNBOUNDED_REACH, candidate_runs, literal_anchors};
use crate::report::{LineIndex, Location, Occurrence};

/// Macie's proximity for managed identifiers in unstructured text.
pub const KEYWORD_DISTANCE: usize = 30;
/// Occurrences kept per identifier, as Macie reports.
pub const MAX_OCCURRENCES: usize = 15;

/// Which managed identifiers a scan uses, as Macie's `managedDataIdentifierSelector`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ManagedSelection {
    /// Every managed identifier.
    All,
    /// Macie's recommended set (the default).
    #[default]
    Recommended,
    /// Only these ids.
    Include(Vec<String>),
    /// Every managed identifier except these ids.
    Exclude(Vec<String>),
    /// No managed identifiers (custom identifiers only).
    None,
}

impl ManagedSelection {
    fn selects(&self, spec: &Spec) -> bool {
        match self {
            ManagedSelection::All => true,
            ManagedSelection::Recommended => spec.recommended,
            ManagedSelection::Include(ids) => ids.iter().any(|id| canonical_id(id) == spec.id),
            ManagedSelection::Exclude(ids) => !ids.iter().any(|id| canonical_id(id) == spec.id),
            ManagedSelection::None => false,
        }
    }

    /// Checks that every id named exists in the catalog.
    pub fn validate(&self) -> Result<(), ScanError> {
        if let ManagedSelection::Include(ids) | ManagedSelection::Exclude(ids) = self {
            for id in ids {
                if !CATALOG.iter().any(|spec| spec.id == canonical_id(id)) {
                    return Err(ScanError::UnknownIdentifier(id.clone()));
                }
            }
        }
        Ok(())
    }
}

/// What an identifier is, for reporting.
#[derive(Debug, Clone)]
pub enum IdentifierKind {
    /// A managed identifier.
    Managed {
        /// Macie id.
        id: &'static str,
        /// Category.
        category: Category,
    },
    /// A custom data identifier.
    Custom {
        /// Its name.
        name: String,
        /// Its ARN or local id.
        arn: String,
        /// Severity thresholds.
        severity_levels: Vec<SeverityLevel>,
    },
}

pub(crate) struct Compiled {
    pub kind: IdentifierKind,
    regex: Regex,
    rule: KeywordRule,
    validator: Option<fn(&str) -> bool>,
    lead_check: Option<fn(&str, &str) -> bool>,
    /// Capture groups holding the value of a managed identifier's match (see [`value_groups`]).
    value_groups: Vec<usize>,
    ignore_words: Vec<String>,
    max_distance: usize,
    has_keywords: bool,
    /// A catch-all identifier whose hits yield to a specific identifier's hit on the same text.
    generic: bool,
}

/// The compiled detection program shared by all scans with the same settings.
pub(crate) struct Detector {
    pub identifiers: Vec<Compiled>,
    /// Keywords of every identifier and anchors of the identifiers that need none.
    automaton: Automaton,
    /// Identifiers that need no keyword and are found through a digit run:
    /// `(identifier, shape, reach)`, `reach` the most bytes a match extends past the run.
    digit_gated: Vec<(usize, RunShape, usize)>,
    /// Identifiers that need no keyword and have nothing cheaper to search for than their
    /// own regex (whose literal prefilter, if any, still applies).
    whole_text: Vec<usize>,
    allow_regex: Vec<Regex>,
    allow_words: Vec<String>,
}

/// One candidate found by the detector in a segment.
#[derive(Debug)]
pub(crate) struct Hit {
    pub identifier: usize,
    pub start: usize,
    pub end: usize,
}

fn ascii_pattern(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)").replace(r"\d", "[0-9]").replace(r"\s", r"[\t\n\x0B\x0C\r ]")
}

/// The capture groups of a managed pattern that hold the value it reports, named `v`, `v1`,
/// `v2`, ...: one per alternative when the alternatives capture differently. A match
/// reports the first of them that took part, or the whole match when none did.
fn value_groups(regex: &Regex) -> Vec<usize> {
    regex
        .capture_names()
        .enumerate()
        .filter_map(|(group, name)| {
            let suffix = name?.strip_prefix('v')?;
            suffix.chars().all(|c| c.is_ascii_digit()).then_some(group)
        })
        .collect()
}

/// The most bytes a match of `regex` spans, or [`UNBOUNDED_REACH`] for unbounded patterns.
fn reach(regex: &Regex) -> usize {
    regex_syntax::parse(regex.as_str())
        .ok()
        .and_then(|hir| hir.properties().maximum_len())
        .unwrap_or(UNBOUNDED_REACH)
        .min(UNBOUNDED_REACH)
}

impl Detector {
    pub fn new(
        selection: &ManagedSelection,
        custom: &[CustomDataIdentifier],
        allow_lists: &[AllowList],
    ) -> Result<Self, ScanError> {
        selection.validate()?;
        let mut identifiers = Vec::new();
        let mut automaton = AutomatonBuilder::default();
        // Per identifier: its gate, and the pattern with its flags (to extract literals from).
        let mut gates: Vec<(Option<Gate>, String)> = Vec::new();
        for spec in CATALOG.iter().filter(|spec| selection.selects(spec)) {
            let regex = RegexBuilder::new(&ascii_pattern(spec.pattern))
                .case_insensitive(spec.case_insensitive)
                .size_limit(1 << 24)
                .build()
                .map_err(|error| ScanError::InvalidPattern {
                    id: spec.id.to_string(),
                    message: error.to_string(),
                })?;
            let index = identifiers.len();
            for keyword in spec.keywords {
                automaton.keyword(keyword, index);
            }
            let flags = if spec.case_insensitive { "(?i)" } else { "" };
            gates.push((spec.gate, format!("{flags}{}", regex.as_str())));
            identifiers.push(Compiled {
                kind: IdentifierKind::Managed { id: spec.id, category: spec.category },
                value_groups: value_groups(&regex),
                regex,
                rule: spec.rule,
                validator: spec.validator,
                lead_check: spec.lead_check,
                ignore_words: Vec::new(),
                max_distance: KEYWORD_DISTANCE,
                has_keywords: !spec.keywords.is_empty(),
                generic: spec.id == "GENERIC_SECRET",
            });
        }
        for identifier in custom {
            let regex = RegexBuilder::new(&identifier.regex).size_limit(1 << 22).build().map_err(
                |error| ScanError::InvalidPattern {
                    id: identifier.name.clone(),
                    message: error.to_string(),
                },
            )?;
            let index = identifiers.len();
            let keywords = identifier.keywords.clone().unwrap_or_default();
            for keyword in &keywords {
                automaton.keyword(keyword, index);
            }
            gates.push((None, identifier.regex.clone()));
            identifiers.push(Compiled {
                kind: IdentifierKind::Custom {
                    name: identifier.name.clone(),
                    arn: identifier.arn(),
                    severity_levels: identifier.severity_levels.clone().unwrap_or_default(),
                },
                regex,
                rule: if keywords.is_empty() {
                    KeywordRule::NotRequired
                } else {
                    KeywordRule::Required
                },
                validator: None,
                lead_check: None,
                // A custom identifier's match is its whole regex match, as in Macie.
                value_groups: Vec::new(),
                ignore_words: identifier.ignore_words.clone().unwrap_or_default(),
                max_distance: identifier.maximum_match_distance.unwrap_or(50) as usize,
                has_keywords: !keywords.is_empty(),
                generic: false,
            });
        }
        // Identifiers that need no keyword: say where each can match.
        let mut digit_gated = Vec::new();
        let mut whole_text = Vec::new();
        for (index, (identifier, (gate, pattern))) in identifiers.iter().zip(&gates).enumerate() {
            if identifier.rule == KeywordRule::Required {
                continue;
            }
            let after = reach(&identifier.regex);
            match gate {
                Some(Gate::DigitRun(check)) => digit_gated.push((index, *check, after)),
                Some(Gate::Anchors { words, before, word }) => {
                    for literal in *words {
                        let anchor =
                            Anchor { identifier: index, before: *before, after, word: *word };
                        automaton.anchor(literal, anchor);
                    }
                }
                None => match literal_anchors(pattern) {
                    Some((literals, before)) => {
                        for literal in &literals {
                            let anchor = Anchor { identifier: index, before, after, word: false };
                            automaton.anchor(literal, anchor);
                        }
                    }
                    None => whole_text.push(index),
                },
            }
        }
        let automaton = automaton.build()?;
        let mut allow_regex = Vec::new();
        let mut allow_words = Vec::new();
        for list in allow_lists {
            if let Some(pattern) = list.criteria.regex.as_deref() {
                allow_regex.push(Regex::new(&format!("^(?:{pattern})$")).map_err(|error| {
                    ScanError::InvalidPattern { id: list.name.clone(), message: error.to_string() }
                })?);
            }
            allow_words.extend(list.words().into_iter().map(|w| w.to_lowercase()));
        }
        Ok(Self { identifiers, automaton, digit_gated, whole_text, allow_regex, allow_words })
    }

    fn allowed(&self, value: &str) -> bool {
        (!self.allow_words.is_empty()
            && self
                .allow_words
                .iter()
                .any(|w| w.eq_ignore_ascii_case(value) || *w == value.to_lowercase()))
            || self.allow_regex.iter().any(|r| r.is_match(value))
    }

    /// Finds every valid detection in `text`. `context` is text whose keywords count for the
    /// whole segment (a column name or a JSON path); `structured` segments (cells, record
    /// values) accept a keyword anywhere in the segment rather than within a distance.
    pub fn detect(&self, text: &str, context: &str, structured: bool, out: &mut Vec<Hit>) {
        let mut hits = Vec::new();
        let mut windows = Vec::new();
        self.automaton.search(text, &mut hits, Some(&mut windows));
        let mut context_hits = Vec::new();
        if !context.is_empty() {
            self.automaton.search(context, &mut context_hits, None);
        }
        let mut has_keyword = vec![false; self.identifiers.len()];
        for (_, _, owners) in hits.iter().chain(context_hits.iter()) {
            for owner in owners.iter() {
                if let Some(flag) = has_keyword.get_mut(*owner) {
                    *flag = true;
                }
            }
        }
        let near = |identifier: usize, start: usize, end: usize, distance: usize| -> bool {
            if context_hits.iter().any(|(_, _, owners)| owners.contains(&identifier)) {
                return true;
            }
            hits.iter().any(|(k_start, k_end, owners)| {
                owners.contains(&identifier)
                    && (structured
                        || (*k_end <= start && start - k_end <= distance)
                        || (*k_start >= end && k_start - end <= distance)
                        || (*k_start < end && *k_end > start))
            })
        };
        // Keyword-gated identifiers: only where a keyword occurred.
        for (index, identifier) in self.identifiers.iter().enumerate() {
            if identifier.rule != KeywordRule::Required
                || !has_keyword.get(index).copied().unwrap_or(false)
            {
                continue;
            }
            let whole = structured
                || text.len() <= WINDOW_MARGIN * 8
                || context_hits.iter().any(|(_, _, owners)| owners.contains(&index));
            let spans = if whole {
                self.candidates(identifier, text, 0, text.len())
            } else {
                // Search only around this identifier's keywords: a long text holds common
                // keywords ("phone", "account") but few places where they matter.
                let reach = identifier.max_distance + WINDOW_MARGIN;
                let mut windows: Vec<(usize, usize)> = Vec::new();
                for (k_start, k_end, owners) in &hits {
                    if !owners.contains(&index) {
                        continue;
                    }
                    let window = (k_start.saturating_sub(reach), (k_end + reach).min(text.len()));
                    match windows.last_mut() {
                        Some(last) if window.0 <= last.1 => last.1 = last.1.max(window.1),
                        _ => windows.push(window),
                    }
                }
                windows
                    .into_iter()
                    .flat_map(|(start, end)| self.candidates(identifier, text, start, end))
                    .collect()
            };
            for (start, end) in spans {
                if near(index, start, end, identifier.max_distance) {
                    out.push(Hit { identifier: index, start, end });
                }
            }
        }
        // Identifiers without keywords: only where their gates say they can match.
        if !self.digit_gated.is_empty() {
            let bytes = text.as_bytes();
            candidate_runs(bytes, |start, end| {
                for (index, shape, reach) in &self.digit_gated {
                    if shape.accepts(bytes, start, end) {
                        windows.push((
                            *index,
                            start.saturating_sub(*reach),
                            (end + reach).min(text.len()),
                        ));
                    }
                }
            });
        }
        windows.sort_unstable();
        let mut merged: Option<(usize, usize, usize)> = None;
        for (index, start, end) in windows {
            match merged.as_mut() {
                Some(last) if last.0 == index && start <= last.2 => last.2 = last.2.max(end),
                _ => {
                    if let Some((index, start, end)) = merged.replace((index, start, end)) {
                        self.free_hits(index, text, start, end, &near, out);
                    }
                }
            }
        }
        if let Some((index, start, end)) = merged {
            self.free_hits(index, text, start, end, &near, out);
        }
        for index in &self.whole_text {
            self.free_hits(*index, text, 0, text.len(), &near, out);
        }
    }

    fn free_hits(
        &self,
        index: usize,
        text: &str,
        start: usize,
        end: usize,
        near: &dyn Fn(usize, usize, usize, usize) -> bool,
        out: &mut Vec<Hit>,
    ) {
        {
            let Some(identifier) = self.identifiers.get(index) else { return };
            for (start, end) in self.candidates(identifier, text, start, end) {
                if identifier.rule == KeywordRule::Absent
                    && identifier.has_keywords
                    && near(index, start, end, identifier.max_distance)
                {
                    continue;
                }
                out.push(Hit { identifier: index, start, end });
            }
        }
    }

    /// Regex matches starting in `start..end` of `text` that pass the validator, ignore
    /// words and allow lists, as value spans.
    fn candidates(
        &self,
        identifier: &Compiled,
        text: &str,
        start: usize,
        end: usize,
    ) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        let (start, end) = (floor_boundary(text, start), floor_boundary(text, end));
        let haystack = text.get(..end).unwrap_or(text);
        let mut at = start;
        while at <= haystack.len() {
            let Some(captures) = identifier.regex.captures_at(haystack, at) else { break };
            let Some(whole) = captures.get(0) else { break };
            at = if whole.end() > whole.start() {
                whole.end()
            } else {
                next_boundary(haystack, whole.end())
            };
            let value = identifier
                .value_groups
                .iter()
                .find_map(|&group| captures.get(group))
                .unwrap_or(whole);
            let value_text = value.as_str();
            if let Some(validator) = identifier.validator
                && !validator(value_text)
            {
                continue;
            }
            if let Some(lead_check) = identifier.lead_check
                && !lead_check(line_lead(haystack, value.start()), value_text)
            {
                continue;
            }
            if identifier.ignore_words.iter().any(|w| value_text.contains(w.as_str())) {
                continue;
            }
            if self.allowed(value_text) {
                continue;
            }
            spans.push((value.start(), value.end()));
        }
        spans
    }
}

/// Bytes searched on each side of a keyword beyond the keyword distance: room for the
/// longest value a keyword-gated identifier matches.
const WINDOW_MARGIN: usize = 256;

/// The text before `at` on its line, at most `LEAD_BYTES` of it.
fn line_lead(text: &str, at: usize) -> &str {
    let at = floor_boundary(text, at);
    let before = text.get(..at).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let start = floor_boundary(text, line_start.max(at.saturating_sub(LEAD_BYTES)));
    text.get(start..at).unwrap_or_default()
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn next_boundary(text: &str, index: usize) -> usize {
    let mut next = index + 1;
    while next < text.len() && !text.is_char_boundary(next) {
        next += 1;
    }
    next
}

/// Per-identifier tally for one object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub count: u64,
    pub occurrences: Vec<Occurrence>,
    pub samples: Vec<String>,
}

/// Collects hits for one object, keeping the first occurrences of each identifier.
pub(crate) struct Collector<'d> {
    pub detector: &'d Detector,
    pub tallies: Vec<Tally>,
    pub reveal: bool,
    hits: Vec<Hit>,
}

impl<'d> Collector<'d> {
    pub fn new(detector: &'d Detector, reveal: bool) -> Self {
        Self {
            detector,
            tallies: vec![Tally::default(); detector.identifiers.len()],
            reveal,
            hits: Vec::new(),
        }
    }

    /// Scans one segment, turning hits into occurrences with `locate`.
    pub fn segment(&mut self, text: &str, context: &str, location: &Location) {
        self.hits.clear();
        let structured = !matches!(location, Location::Text { .. } | Location::Page { .. });
        self.detector.detect(text, context, structured, &mut self.hits);
        // A generic hit on text a specific identifier already reports is dropped.
        let identifiers = &self.detector.identifiers;
        let is_generic = |index: usize| identifiers.get(index).is_some_and(|c| c.generic);
        if self.hits.iter().any(|hit| is_generic(hit.identifier)) {
            let specific: Vec<(usize, usize)> = self
                .hits
                .iter()
                .filter(|hit| !is_generic(hit.identifier))
                .map(|hit| (hit.start, hit.end))
                .collect();
            self.hits.retain(|hit| {
                !is_generic(hit.identifier)
                    || !specific.iter().any(|(start, end)| *start < hit.end && hit.start < *end)
            });
        }
        // Overlapping hits of the same identifier (e.g. alternations) count once.
        self.hits.sort_by_key(|hit| (hit.identifier, hit.start));
        let mut last: Option<(usize, usize)> = None;
        // Occurrences to report: (identifier, start, end), at most MAX_OCCURRENCES each.
        let mut kept: Vec<(usize, usize, usize)> = Vec::new();
        let (mut current, mut taken) = (usize::MAX, 0);
        for hit in &self.hits {
            if let Some((identifier, end)) = last
                && identifier == hit.identifier
                && hit.start < end
            {
                continue;
            }
            last = Some((hit.identifier, hit.end));
            let Some(tally) = self.tallies.get_mut(hit.identifier) else { continue };
            tally.count += 1;
            if hit.identifier != current {
                (current, taken) = (hit.identifier, tally.occurrences.len());
            }
            if taken < MAX_OCCURRENCES {
                kept.push((hit.identifier, hit.start, hit.end));
                taken += 1;
            }
        }
        if kept.is_empty() {
            return;
        }
        let offsets =
            kept.iter().flat_map(|(_, start, end)| LineIndex::wanted(*start, *end)).collect();
        let lines = LineIndex::new(text, offsets);
        for (identifier, start, end) in kept {
            let Some(tally) = self.tallies.get_mut(identifier) else { continue };
            tally.occurrences.push(location.occurrence(start, end, &lines));
            if self.reveal {
                tally
                    .samples
                    .push(text.get(start..end).unwrap_or_default().chars().take(128).collect());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector(selection: ManagedSelection) -> Detector {
        Detector::new(&selection, &[], &[]).unwrap()
    }

    fn ids(detector: &Detector, text: &str) -> Vec<&'static str> {
        let mut hits = Vec::new();
        detector.detect(text, "", false, &mut hits);
        let mut out: Vec<&'static str> = hits
            .iter()
            .filter_map(|hit| match detector.identifiers.get(hit.identifier).map(|c| &c.kind) {
                Some(IdentifierKind::Managed { id, .. }) => Some(*id),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn every_catalog_pattern_compiles() {
        let all = detector(ManagedSelection::All);
        assert_eq!(all.identifiers.len(), CATALOG.len());
        assert!(CATALOG.len() >= 115, "catalog has {}", CATALOG.len());
    }

    #[test]
    fn identifiers_without_keywords_have_gates() {
        // A whole-text regex pass costs as much as all gates together: only an identifier
        // whose own regex has a cheap literal prefilter may go without one.
        let all = detector(ManagedSelection::All);
        let whole: Vec<&str> = all
            .whole_text
            .iter()
            .filter_map(|i| match all.identifiers.get(*i).map(|c| &c.kind) {
                Some(IdentifierKind::Managed { id, .. }) => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(whole, vec!["TWILIO_CREDENTIALS"]);
    }

    #[test]
    fn custom_identifiers_without_keywords_by_anchor_or_whole_text() {
        let custom: Vec<CustomDataIdentifier> = [
            r#"{"name":"order id","regex":"ORD-[0-9]{6}"}"#,
            r#"{"name":"six digits","regex":"\\b[0-9]{6}\\b"}"#,
        ]
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .collect();
        let detector = Detector::new(&ManagedSelection::None, &custom, &[]).unwrap();
        assert_eq!(detector.whole_text, vec![1]);
        let text = format!("{}ord-123456 and ORD-654321, then 777777", "filler ".repeat(2000));
        let mut hits = Vec::new();
        detector.detect(&text, "", false, &mut hits);
        let found: Vec<(usize, &str)> =
            hits.iter().map(|h| (h.identifier, &text[h.start..h.end])).collect();
        assert_eq!(found, vec![(0, "ORD-654321"), (1, "123456"), (1, "654321"), (1, "777777")]);
    }

    #[test]
    fn keyword_variants_and_distance() {
        let all = detector(ManagedSelection::All);
        assert!(ids(&all, "ssn: 536-22-8726").contains(&"USA_SOCIAL_SECURITY_NUMBER"));
        assert!(ids(&all, "Social_Security: 536-22-8726").contains(&"USA_SOCIAL_SECURITY_NUMBER"));
        assert!(ids(&all, "SOCIAL-SECURITY 536228726").contains(&"USA_SOCIAL_SECURITY_NUMBER"));
        let far = format!("ssn{}536-22-8726", " ".repeat(40));
        assert!(!ids(&all, &far).contains(&"USA_SOCIAL_SECURITY_NUMBER"));
        assert!(!ids(&all, "the number 536-22-8726").contains(&"USA_SOCIAL_SECURITY_NUMBER"));
        // A keyword inside a longer word does not count.
        assert!(!ids(&all, "lessness 536-22-8726").contains(&"USA_SOCIAL_SECURITY_NUMBER"));
    }

    #[test]
    fn card_with_and_without_keyword() {
        let all = detector(ManagedSelection::All);
        assert_eq!(ids(&all, "visa 4111 1111 1111 1111"), vec!["CREDIT_CARD_NUMBER"]);
        assert_eq!(
            ids(&all, "number 4111 1111 1111 1111 here"),
            vec!["CREDIT_CARD_NUMBER_(NO_KEYWORD)"]
        );
        assert!(ids(&all, "visa 4111 1111 1111 1112").is_empty());
    }

    #[test]
    fn allow_list_and_custom() {
        let custom: CustomDataIdentifier = serde_json::from_str(
            r#"{"name":"employee id","regex":"EMP-[0-9]{6}","keywords":["employee"],"ignoreWords":["EMP-000000"],"maximumMatchDistance":20}"#,
        )
        .unwrap();
        let allow: AllowList = serde_json::from_str(
            r#"{"name":"test cards","criteria":{"regex":"4111 1111 1111 1111"}}"#,
        )
        .unwrap();
        let detector = Detector::new(&ManagedSelection::All, &[custom], &[allow]).unwrap();
        let mut hits = Vec::new();
        detector.detect(
            "employee EMP-123456, employee EMP-000000, card 4111 1111 1111 1111",
            "",
            false,
            &mut hits,
        );
        assert_eq!(hits.len(), 1, "{hits:?}");
    }
}
