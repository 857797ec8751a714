//! `*` and `?` wildcard matching, as in IAM actions, resources and `...Like` operators.

/// Whether `text` matches `pattern`, where `*` matches any run of characters (also none)
/// and `?` exactly one. Case-sensitive.
pub fn matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    matches_chars(&pattern, &text)
}

/// [`matches()`] ignoring case (Unicode lower-case of both sides), for actions.
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    matches_chars(&pattern, &text)
}

/// Linear-time glob matching with one backtracking point (the last `*`).
fn matches_chars(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || Some(&c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
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
            ("Key", "key", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
        assert!(matches_ignore_case("kms:Encrypt", "KMS:encrypt"));
        assert!(matches_ignore_case("kms:*", "kms:Decrypt"));
        assert!(matches_ignore_case("kms:Re*", "kms:ReEncryptFrom"));
        assert!(!matches_ignore_case("kms:Re*", "iam:ReEncryptFrom"));
    }
}
