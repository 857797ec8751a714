//! `GetRandomPassword`: a random password built the way AWS Secrets Manager builds one.
//!
//! The password draws from up to five character classes: lowercase `a-z`, uppercase
//! `A-Z`, digits `0-9`, the 32 ASCII punctuation characters, and (only on request) the
//! space. Classes can be excluded whole, and single characters through
//! `ExcludeCharacters`. With `RequireEachIncludedType` (the default) every class that is
//! still included appears at least once.
//!
//! Every choice is uniform: indices come from rejection sampling over bytes of
//! aws-lc's CSPRNG (never `byte % n`, which favours small indices), and the characters
//! that satisfy `RequireEachIncludedType` are moved to uniformly random positions by a
//! Fisher–Yates shuffle, so no position is predictable.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use arca_crypto::random;

/// The password length AWS uses when `PasswordLength` is absent.
pub const DEFAULT_LENGTH: i64 = 32;
/// The longest password AWS generates (`PasswordLength` is valid in `1..=4096`).
pub const MAX_LENGTH: i64 = 4096;
/// The most characters `ExcludeCharacters` may hold.
pub const MAX_EXCLUDE_CHARACTERS: usize = 4096;

const LOWERCASE: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPERCASE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
const PUNCTUATION: &[u8] = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const SPACE: &[u8] = b" ";

/// The options of a GetRandomPassword request (all as AWS's API defines them).
#[derive(Debug, Clone)]
pub struct PasswordOptions {
    /// `PasswordLength`: how many characters the password has; valid in `1..=4096`.
    pub length: i64,
    /// `ExcludeCharacters`: characters that must not appear (at most 4096 of them).
    pub exclude_characters: String,
    /// `ExcludeNumbers`: leave out the digits `0-9`.
    pub exclude_numbers: bool,
    /// `ExcludePunctuation`: leave out the 32 ASCII punctuation characters.
    pub exclude_punctuation: bool,
    /// `ExcludeUppercase`: leave out `A-Z`.
    pub exclude_uppercase: bool,
    /// `ExcludeLowercase`: leave out `a-z`.
    pub exclude_lowercase: bool,
    /// `IncludeSpace`: allow the space character.
    pub include_space: bool,
    /// `RequireEachIncludedType`: put at least one character of every included class in
    /// the password.
    pub require_each_included_type: bool,
}

impl Default for PasswordOptions {
    /// AWS's defaults: 32 characters from letters, digits and punctuation, no space,
    /// one of each type required.
    fn default() -> Self {
        Self {
            length: DEFAULT_LENGTH,
            exclude_characters: String::new(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each_included_type: true,
        }
    }
}

/// Why a password cannot be generated; Display is the message Arca returns as
/// InvalidParameterException.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    /// `PasswordLength` is outside `1..=4096`.
    #[error("PasswordLength must be between 1 and 4096, but was {0}.")]
    InvalidLength(i64),
    /// `ExcludeCharacters` holds more than 4096 characters.
    #[error("ExcludeCharacters must contain no more than 4096 characters.")]
    ExcludeCharactersTooLong,
    /// The exclusions leave no character to build a password from.
    #[error("The password can't be generated because every character type has been excluded.")]
    NoCharacters,
    /// `RequireEachIncludedType` needs more characters than `PasswordLength` allows.
    #[error(
        "PasswordLength {length} is too short to include a character of each of the {types} \
         included character types."
    )]
    TooShortForRequiredTypes {
        /// The requested length.
        length: i64,
        /// How many character types must each appear once.
        types: usize,
    },
}

/// A random password. The caller wraps it in a secret type; don't log it.
pub fn generate(options: &PasswordOptions) -> Result<String, PasswordError> {
    let length = checked_length(options.length)?;
    let excluded = &options.exclude_characters;
    if excluded.chars().nth(MAX_EXCLUDE_CHARACTERS).is_some() {
        return Err(PasswordError::ExcludeCharactersTooLong);
    }
    let classes = included_classes(options)?;
    let alphabet: Vec<u8> = classes.iter().flatten().copied().collect();
    let required: &[Vec<u8>] = if options.require_each_included_type { &classes } else { &[] };
    if length < required.len() {
        return Err(PasswordError::TooShortForRequiredTypes {
            length: options.length,
            types: required.len(),
        });
    }

    let mut source = RandomBytes::new();
    let mut password = Vec::with_capacity(length);
    for class in required {
        password.push(source.pick(class).ok_or(PasswordError::NoCharacters)?);
    }
    while password.len() < length {
        password.push(source.pick(&alphabet).ok_or(PasswordError::NoCharacters)?);
    }
    // The required characters sit at the front; shuffle so that they, like every other
    // character, land at uniformly random positions.
    for upper in (1..password.len()).rev() {
        let other = source.below(upper + 1);
        password.swap(upper, other);
    }

    let text = password.iter().copied().map(char::from).collect();
    wipe(&mut password);
    Ok(text)
}

/// The requested length as a `usize`, once it is known to be in `1..=4096`.
fn checked_length(length: i64) -> Result<usize, PasswordError> {
    if !(1..=MAX_LENGTH).contains(&length) {
        return Err(PasswordError::InvalidLength(length));
    }
    usize::try_from(length).map_err(|_| PasswordError::InvalidLength(length))
}

/// The character classes still included, each without the excluded characters; a class
/// that exclusions emptied is dropped, since it cannot be required.
fn included_classes(options: &PasswordOptions) -> Result<Vec<Vec<u8>>, PasswordError> {
    let PasswordOptions {
        length: _,
        exclude_characters,
        exclude_numbers,
        exclude_punctuation,
        exclude_uppercase,
        exclude_lowercase,
        include_space,
        require_each_included_type: _,
    } = options;
    let candidates = [
        (!exclude_lowercase, LOWERCASE),
        (!exclude_uppercase, UPPERCASE),
        (!exclude_numbers, DIGITS),
        (!exclude_punctuation, PUNCTUATION),
        (*include_space, SPACE),
    ];
    let classes: Vec<Vec<u8>> = candidates
        .into_iter()
        .filter(|(included, _)| *included)
        .map(|(_, class)| {
            class
                .iter()
                .copied()
                .filter(|byte| !exclude_characters.contains(char::from(*byte)))
                .collect::<Vec<u8>>()
        })
        .filter(|class| !class.is_empty())
        .collect();
    if classes.is_empty() {
        return Err(PasswordError::NoCharacters);
    }
    Ok(classes)
}

/// Overwrites bytes that held password material before their memory is released.
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    // Keeps the compiler from dropping the fill as a dead store.
    std::hint::black_box(bytes);
}

/// Random bytes from the CSPRNG, fetched a block at a time because a password needs
/// thousands of small draws.
struct RandomBytes {
    block: [u8; 256],
    position: usize,
}

impl RandomBytes {
    fn new() -> Self {
        let mut block = [0; 256];
        random::fill(&mut block);
        Self { block, position: 0 }
    }

    fn next_byte(&mut self) -> u8 {
        // At most two rounds: the second starts on a freshly filled block.
        loop {
            if let Some(&byte) = self.block.get(self.position) {
                self.position += 1;
                return byte;
            }
            random::fill(&mut self.block);
            self.position = 0;
        }
    }

    /// A uniformly chosen element of `set`, or `None` if `set` is empty.
    fn pick(&mut self, set: &[u8]) -> Option<u8> {
        if set.is_empty() {
            return None;
        }
        set.get(self.below(set.len())).copied()
    }

    /// A uniform index in `0..bound` (0 when `bound` is 0), by rejection sampling:
    /// draws that would make some indices likelier than others are thrown away.
    fn below(&mut self, bound: usize) -> usize {
        if bound <= 1 {
            return 0;
        }
        if bound <= 256 {
            // The largest multiple of `bound` that fits in a byte's 256 values.
            let accepted = 256 - 256 % bound;
            loop {
                let draw = usize::from(self.next_byte());
                if draw < accepted {
                    return draw % bound;
                }
            }
        }
        // Callers pass at most 4096; a bound past `u32::MAX` could never be drawn from
        // four bytes, so it is answered with 0 rather than a loop that never ends.
        let Ok(bound) = u32::try_from(bound).map(u64::from) else {
            return 0;
        };
        let accepted = (1u64 << 32) - (1u64 << 32) % bound;
        loop {
            let draw = u64::from(u32::from_le_bytes([
                self.next_byte(),
                self.next_byte(),
                self.next_byte(),
                self.next_byte(),
            ]));
            if draw < accepted {
                return usize::try_from(draw % bound).unwrap_or(0);
            }
        }
    }
}

impl Drop for RandomBytes {
    fn drop(&mut self) {
        wipe(&mut self.block);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn options(change: impl FnOnce(&mut PasswordOptions)) -> PasswordOptions {
        let mut options = PasswordOptions::default();
        change(&mut options);
        options
    }

    /// Every character of `count` passwords made with `options`, joined.
    fn many(options: &PasswordOptions, count: usize) -> String {
        (0..count).map(|_| generate(options).unwrap()).collect()
    }

    #[test]
    fn default_is_32_characters_from_everything_but_space() {
        let all = many(&PasswordOptions::default(), 500);
        assert_eq!(all.len(), 500 * 32);
        assert!(all.bytes().all(|byte| byte.is_ascii_graphic()), "only printable non-space ASCII");
        // 16,000 draws from 94 characters: each class shows up.
        for class in [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION] {
            assert!(all.bytes().any(|byte| class.contains(&byte)));
        }
    }

    #[test]
    fn each_exclusion_flag_excludes_its_class() {
        let cases = [
            (options(|o| o.exclude_lowercase = true), LOWERCASE),
            (options(|o| o.exclude_uppercase = true), UPPERCASE),
            (options(|o| o.exclude_numbers = true), DIGITS),
            (options(|o| o.exclude_punctuation = true), PUNCTUATION),
        ];
        for (options, excluded) in cases {
            let all = many(&options, 300);
            assert!(!all.bytes().any(|byte| excluded.contains(&byte)));
            assert_eq!(all.len(), 300 * 32);
        }
    }

    #[test]
    fn exclude_characters_are_never_used() {
        let options = options(|o| o.exclude_characters = "aeiouAEIOU0/@\"'\\ ".to_owned());
        let all = many(&options, 500);
        assert!(!all.chars().any(|c| options.exclude_characters.contains(c)));
    }

    #[test]
    fn include_space_adds_the_space_and_requires_it() {
        let options = options(|o| {
            o.include_space = true;
            o.length = 5;
        });
        for _ in 0..500 {
            assert!(generate(&options).unwrap().contains(' '));
        }
        let without = many(&PasswordOptions::default(), 200);
        assert!(!without.contains(' '));
    }

    #[test]
    fn every_included_type_appears_even_in_the_shortest_password() {
        let options = options(|o| o.length = 4);
        let mut first_positions = [false; 4];
        for _ in 0..2000 {
            let password = generate(&options).unwrap();
            assert_eq!(password.len(), 4);
            for class in [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION] {
                assert!(password.bytes().any(|byte| class.contains(&byte)), "{password:?}");
            }
            // The required characters are shuffled: a lowercase letter is seen at every
            // position, not only where it was drawn.
            let lower = password.bytes().position(|b| LOWERCASE.contains(&b)).unwrap();
            first_positions[lower] = true;
        }
        assert_eq!(first_positions, [true; 4]);
    }

    #[test]
    fn a_class_emptied_by_exclude_characters_is_not_required() {
        let options = options(|o| {
            o.exclude_characters = "0123456789".to_owned();
            o.length = 3;
        });
        let all = many(&options, 200);
        assert!(!all.bytes().any(|byte| byte.is_ascii_digit()));
    }

    #[test]
    fn refuses_impossible_requests() {
        let cases = [
            (options(|o| o.length = 0), PasswordError::InvalidLength(0)),
            (options(|o| o.length = -3), PasswordError::InvalidLength(-3)),
            (options(|o| o.length = 4097), PasswordError::InvalidLength(4097)),
            (
                options(|o| o.exclude_characters = "x".repeat(4097)),
                PasswordError::ExcludeCharactersTooLong,
            ),
            (
                options(|o| {
                    o.exclude_lowercase = true;
                    o.exclude_uppercase = true;
                    o.exclude_numbers = true;
                    o.exclude_punctuation = true;
                }),
                PasswordError::NoCharacters,
            ),
            (
                options(|o| {
                    o.exclude_lowercase = true;
                    o.exclude_uppercase = true;
                    o.exclude_punctuation = true;
                    o.exclude_characters = "0123456789".to_owned();
                }),
                PasswordError::NoCharacters,
            ),
            (
                options(|o| o.length = 3),
                PasswordError::TooShortForRequiredTypes { length: 3, types: 4 },
            ),
            (
                options(|o| {
                    o.length = 4;
                    o.include_space = true;
                }),
                PasswordError::TooShortForRequiredTypes { length: 4, types: 5 },
            ),
        ];
        for (options, expected) in cases {
            assert_eq!(generate(&options), Err(expected));
        }
    }

    #[test]
    fn edge_lengths_work() {
        let one = options(|o| {
            o.length = 1;
            o.require_each_included_type = false;
        });
        assert_eq!(generate(&one).unwrap().len(), 1);
        let longest = options(|o| o.length = MAX_LENGTH);
        assert_eq!(generate(&longest).unwrap().len(), 4096);
        let exclusions_at_limit = options(|o| o.exclude_characters = "x".repeat(4096));
        assert!(!generate(&exclusions_at_limit).unwrap().contains('x'));
    }

    #[test]
    fn a_ten_character_alphabet_is_drawn_evenly() {
        let digits_only = options(|o| {
            o.length = MAX_LENGTH;
            o.exclude_lowercase = true;
            o.exclude_uppercase = true;
            o.exclude_punctuation = true;
            o.require_each_included_type = false;
        });
        let mut counts = [0usize; 10];
        let draws = 25 * 4096;
        for byte in many(&digits_only, 25).bytes() {
            counts[usize::from(byte - b'0')] += 1;
        }
        // Expected 10,240 each with a standard deviation near 96: ±10% is over ten
        // deviations, so this never fails by chance, yet a modulo or off-by-one bias
        // over a ten-character alphabet would break it.
        let expected = draws / 10;
        for (digit, count) in counts.iter().enumerate() {
            assert!(
                count.abs_diff(expected) <= expected / 10,
                "digit {digit} drawn {count} times, expected about {expected}"
            );
        }
    }

    #[test]
    fn below_is_uniform_for_bounds_that_do_not_divide_256() {
        let mut source = RandomBytes::new();
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[source.below(3)] += 1;
        }
        assert!(counts.iter().all(|count| count.abs_diff(10_000) <= 1_000), "{counts:?}");
        let mut large = [0usize; 2];
        for _ in 0..20_000 {
            large[source.below(4096) / 2048] += 1;
        }
        assert!(large.iter().all(|count| count.abs_diff(10_000) <= 1_000), "{large:?}");
    }
}
