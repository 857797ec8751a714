//! Check-digit algorithms and structural rules that turn "a string of the right
//! shape" into "a plausible identifier". Every function takes the matched text
//! (separators included) and returns whether it is valid; none panics on any input.

mod americas;

pub use americas::{
    argentina_individual_cuit, argentina_organization_cuit, chile_rut, colombia_cedula,
    colombia_individual_nit, colombia_organization_nit, mexico_curp, mexico_individual_rfc,
    mexico_organization_rfc,
};

/// The digits of `text` as numbers, separators skipped.
pub(crate) fn digits(text: &str) -> Vec<u32> {
    text.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// Alphanumeric characters of `text`, upper-cased, separators skipped.
pub(crate) fn alnum_upper(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// The Luhn (mod 10) check used by payment cards, Canadian SINs, IMEIs, NPIs.
pub fn luhn(text: &str) -> bool {
    luhn_digits(&digits(text))
}

fn luhn_digits(ds: &[u32]) -> bool {
    if ds.len() < 2 {
        return false;
    }
    let mut sum = 0;
    for (position, digit) in ds.iter().rev().enumerate() {
        let mut value = *digit;
        if position % 2 == 1 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    sum % 10 == 0
}

/// A payment card number: 13-19 digits, a known issuer prefix, Luhn-valid, not all one digit.
pub fn credit_card(text: &str) -> bool {
    let ds = digits(text);
    let prefix = |n: usize| ds.iter().take(n).fold(0u32, |acc, d| acc * 10 + d);
    // Maestro cards run from 12 digits; everything else from 13.
    // Maestro: IINs 50 and 56-69, plus the legacy 0604 range.
    let maestro = prefix(2) == 50
        || (56..=69).contains(&prefix(2))
        || (prefix(4) == 604 && ds.first() == Some(&0));
    let min_len = if maestro { 12 } else { 13 };
    if !(min_len..=19).contains(&ds.len()) || all_same(&ds) {
        return false;
    }
    let known = matches!(ds.first(), Some(4))
        || (51..=55).contains(&prefix(2))
        || (2221..=2720).contains(&prefix(4))
        || matches!(prefix(2), 34 | 37 | 36 | 38 | 39 | 65 | 62 | 35)
        || prefix(4) == 6011
        || (644..=649).contains(&prefix(3))
        || (300..=305).contains(&prefix(3))
        || (ds.len() == 15 && matches!(prefix(4), 2131 | 1800))
        || maestro;
    if !known {
        return false;
    }
    // UnionPay cards (62) are not all Luhn-valid; accept them on prefix and length.
    luhn_digits(&ds) || (prefix(2) == 62 && (16..=19).contains(&ds.len()))
}

/// A China UnionPay card: prefix 62, 16-19 digits.
pub fn unionpay(text: &str) -> bool {
    let ds = digits(text);
    (16..=19).contains(&ds.len())
        && ds.first() == Some(&6)
        && ds.get(1) == Some(&2)
        && !all_same(&ds)
}

fn all_same(ds: &[u32]) -> bool {
    ds.windows(2).all(|pair| pair.first() == pair.get(1))
}

/// ISO 13616 IBAN: country code, two check digits, mod-97 == 1, length per country.
pub fn iban(text: &str) -> bool {
    let chars = alnum_upper(text);
    if chars.len() < 15 || chars.len() > 34 {
        return false;
    }
    let country: String = chars.iter().take(2).collect();
    if let Some(expected) = iban_length(&country) {
        if chars.len() != expected {
            return false;
        }
    } else {
        return false;
    }
    let rearranged = chars.iter().skip(4).chain(chars.iter().take(4));
    mod97(rearranged) == Some(1)
}

/// Remainder mod 97 of the number formed by letters A=10..Z=35 and digits.
fn mod97<'a>(chars: impl Iterator<Item = &'a char>) -> Option<u32> {
    let mut remainder: u32 = 0;
    for c in chars {
        let value = c.to_digit(36)?;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    Some(remainder)
}

fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "AD" => 24,
        "AE" => 23,
        "AT" => 20,
        "BE" => 16,
        "BG" => 22,
        "BH" => 22,
        "BR" => 29,
        "CH" => 21,
        "CY" => 28,
        "CZ" => 24,
        "DE" => 22,
        "DK" => 18,
        "EE" => 20,
        "ES" => 24,
        "FI" => 18,
        "FR" => 27,
        "GB" => 22,
        "GI" => 23,
        "GR" => 27,
        "HR" => 21,
        "HU" => 28,
        "IE" => 22,
        "IL" => 23,
        "IS" => 26,
        "IT" => 27,
        "LI" => 21,
        "LT" => 20,
        "LU" => 20,
        "LV" => 21,
        "MC" => 27,
        "MT" => 31,
        "NL" => 18,
        "NO" => 15,
        "PL" => 28,
        "PT" => 25,
        "RO" => 24,
        "SA" => 24,
        "SE" => 24,
        "SI" => 19,
        "SK" => 24,
        "SM" => 27,
        "TR" => 26,
        "UA" => 29,
        _ => return None,
    })
}

/// An IBAN of one country (`FR`, `DE`, `IT`, `ES`, `GB`): the national BBAN in IBAN form,
/// or the bare BBAN checked by the country's own rule.
pub fn national_bank_account(text: &str, country: &str) -> bool {
    let chars = alnum_upper(text);
    let starts_with_country = chars.iter().take(2).copied().eq(country.chars());
    if starts_with_country {
        return iban(text);
    }
    match country {
        "FR" => french_rib(&chars),
        "DE" => chars.len() == 10 && chars.iter().all(char::is_ascii_digit),
        "IT" => chars.len() == 12 && chars.iter().all(char::is_ascii_digit),
        "ES" => spanish_ccc(&chars),
        "GB" => chars.len() == 8 && chars.iter().all(char::is_ascii_digit),
        _ => false,
    }
}

/// French RIB key: 97 - ((89*bank + 15*branch + 3*account) mod 97) over 23 characters.
fn french_rib(chars: &[char]) -> bool {
    if chars.len() != 23 {
        return false;
    }
    let value = |c: &char| -> Option<u64> {
        match c {
            '0'..='9' => c.to_digit(10).map(u64::from),
            'A' | 'J' => Some(1),
            'B' | 'K' | 'S' => Some(2),
            'C' | 'L' | 'T' => Some(3),
            'D' | 'M' | 'U' => Some(4),
            'E' | 'N' | 'V' => Some(5),
            'F' | 'O' | 'W' => Some(6),
            'G' | 'P' | 'X' => Some(7),
            'H' | 'Q' | 'Y' => Some(8),
            'I' | 'R' | 'Z' => Some(9),
            _ => None,
        }
    };
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        chars.get(range)?.iter().try_fold(0u64, |acc, c| Some(acc * 10 + value(c)?))
    };
    let (Some(bank), Some(branch), Some(account), Some(key)) =
        (number(0..5), number(5..10), number(10..21), number(21..23))
    else {
        return false;
    };
    let computed = 97 - ((89 * bank + 15 * branch + 3 * account) % 97);
    computed == key
}

/// Spanish CCC: 20 digits with two mod-11 control digits.
fn spanish_ccc(chars: &[char]) -> bool {
    if chars.len() != 20 || !chars.iter().all(char::is_ascii_digit) {
        return false;
    }
    let ds: Vec<u32> = chars.iter().filter_map(|c| c.to_digit(10)).collect();
    const WEIGHTS: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let control = |values: &[u32]| -> u32 {
        let sum: u32 =
            values.iter().zip(WEIGHTS.iter().skip(10 - values.len())).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            11 => 0,
            10 => 1,
            other => other,
        }
    };
    let (Some(first), Some(second), Some(c1), Some(c2)) =
        (ds.get(0..8), ds.get(10..20), ds.get(8), ds.get(9))
    else {
        return false;
    };
    control(first) == *c1 && control(second) == *c2
}

/// US Social Security number: area not 000, 666 or 900-999; group not 00; serial not 0000;
/// not one of the well-known advertising numbers.
pub fn us_ssn(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 9 || all_same(&ds) {
        return false;
    }
    let number =
        |range: std::ops::Range<usize>| ds.get(range).map(|s| s.iter().fold(0, |a, d| a * 10 + d));
    let (Some(area), Some(group), Some(serial)) = (number(0..3), number(3..5), number(5..9)) else {
        return false;
    };
    let whole: String = ds.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && whole != "078051120"
        && whole != "219099999"
        && whole != "123456789"
}

/// US ITIN: 9xx-[50-65,70-88,90-92,94-99]-xxxx.
pub fn us_itin(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 9 || ds.first() != Some(&9) {
        return false;
    }
    let group = ds.get(3).copied().unwrap_or(0) * 10 + ds.get(4).copied().unwrap_or(0);
    matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

/// Canadian Social Insurance Number: 9 digits, Luhn, first digit not 0 or 8.
pub fn canada_sin(text: &str) -> bool {
    let ds = digits(text);
    ds.len() == 9 && !matches!(ds.first(), Some(0) | Some(8)) && luhn_digits(&ds) && !all_same(&ds)
}

/// UK NHS number: 10 digits, mod-11 with weights 10..2.
pub fn uk_nhs(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 10 || all_same(&ds) {
        return false;
    }
    let sum: u32 = ds.iter().take(9).zip((2..=10).rev()).map(|(d, w)| d * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        other => other,
    };
    ds.get(9) == Some(&check)
}

/// UK National Insurance number: two prefix letters from the allowed set, 6 digits, suffix A-D.
pub fn uk_nino(text: &str) -> bool {
    let chars = alnum_upper(text);
    if chars.len() != 9 {
        return false;
    }
    let (Some(a), Some(b)) = (chars.first(), chars.get(1)) else { return false };
    let bad_first = matches!(a, 'D' | 'F' | 'I' | 'Q' | 'U' | 'V');
    let bad_second = matches!(b, 'D' | 'F' | 'I' | 'O' | 'Q' | 'U' | 'V');
    let prefix: String = [*a, *b].iter().collect();
    let bad_prefix = matches!(prefix.as_str(), "BG" | "GB" | "NK" | "KN" | "TN" | "NT" | "ZZ");
    !(bad_first || bad_second || bad_prefix)
        && chars.get(2..8).is_some_and(|d| d.iter().all(char::is_ascii_digit))
        && chars.get(8).is_some_and(|c| matches!(c, 'A'..='D'))
}

/// Verhoeff check used by India's Aadhaar.
pub fn verhoeff(text: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 8, 7, 6, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let ds = digits(text);
    if ds.len() < 2 {
        return false;
    }
    let mut check: u8 = 0;
    for (i, d) in ds.iter().rev().enumerate() {
        let Some(p) = P.get(i % 8).and_then(|row| row.get(*d as usize)) else { return false };
        let Some(next) = D.get(check as usize).and_then(|row| row.get(*p as usize)) else {
            return false;
        };
        check = *next;
    }
    check == 0
}

/// Aadhaar: 12 digits, first digit 2-9, Verhoeff-valid.
pub fn aadhaar(text: &str) -> bool {
    let ds = digits(text);
    ds.len() == 12 && ds.first().is_some_and(|d| *d >= 2) && verhoeff(text)
}

/// Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): the control letter.
pub fn spanish_dni_nie(text: &str) -> bool {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let chars = alnum_upper(text);
    if chars.len() != 9 {
        return false;
    }
    let mut number = 0u32;
    for (i, c) in chars.iter().take(8).enumerate() {
        let value = match (i, c) {
            (0, 'X') => 0,
            (0, 'Y') => 1,
            (0, 'Z') => 2,
            (_, c) => match c.to_digit(10) {
                Some(v) => v,
                None => return false,
            },
        };
        number = number * 10 + value;
    }
    let expected = LETTERS.get((number % 23) as usize).map(|b| *b as char);
    chars.get(8).copied() == expected
}

/// Spanish NIF for legal entities (CIF): letter, 7 digits, control digit or letter.
pub fn spanish_cif(text: &str) -> bool {
    let chars = alnum_upper(text);
    if chars.len() != 9 || !chars.first().is_some_and(|c| "ABCDEFGHJNPQRSUVW".contains(*c)) {
        return false;
    }
    let Some(middle) = chars.get(1..8) else { return false };
    let ds: Vec<u32> = middle.iter().filter_map(|c| c.to_digit(10)).collect();
    if ds.len() != 7 {
        return false;
    }
    let mut sum = 0;
    for (i, d) in ds.iter().enumerate() {
        if i % 2 == 0 {
            let doubled = d * 2;
            sum += doubled / 10 + doubled % 10;
        } else {
            sum += d;
        }
    }
    let control = (10 - sum % 10) % 10;
    let letter = b"JABCDEFGHI".get(control as usize).map(|b| *b as char);
    let last = chars.get(8).copied();
    last == char::from_digit(control, 10) || last == letter
}

/// Spanish social security number: 12 digits, the last two = (first ten) mod 97.
pub fn spanish_nss(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 12 {
        return false;
    }
    let province = ds.first().copied().unwrap_or(0) * 10 + ds.get(1).copied().unwrap_or(0);
    let body: u64 = ds.iter().take(10).fold(0u64, |a, d| a * 10 + u64::from(*d));
    let control = ds.iter().skip(10).fold(0u64, |a, d| a * 10 + u64::from(*d));
    province >= 1 && body % 97 == control
}

/// French NIR (social security / health insurance): 13 digits + key = 97 - (n mod 97).
/// Corsica's 2A/2B department codes count as 19/18.
pub fn french_nir(text: &str) -> bool {
    let chars = alnum_upper(text);
    if chars.len() != 15 || !matches!(chars.first(), Some('1' | '2' | '3' | '4' | '7' | '8')) {
        return false;
    }
    let mut number: u64 = 0;
    for (i, c) in chars.iter().take(13).enumerate() {
        let value = match (i, c) {
            (6, 'A') => 0,
            (6, 'B') => 0,
            (_, c) => match c.to_digit(10) {
                Some(v) => u64::from(v),
                None => return false,
            },
        };
        number = number * 10 + value;
    }
    let corsica = match chars.get(6) {
        Some('A') => 1_000_000,
        Some('B') => 2_000_000,
        _ => 0,
    };
    let number = number.saturating_sub(corsica);
    let key =
        chars.iter().skip(13).try_fold(0u64, |a, c| Some(a * 10 + u64::from(c.to_digit(10)?)));
    key == Some(97 - number % 97)
}

/// French tax number (SPI): 13 digits, first 0-3, key = first 10 digits mod 511.
pub fn french_tax_id(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 13 || ds.first().is_some_and(|d| *d > 3) {
        return false;
    }
    let body = ds.iter().take(10).fold(0u64, |a, d| a * 10 + u64::from(*d));
    let key = ds.iter().skip(10).fold(0u64, |a, d| a * 10 + u64::from(*d));
    body % 511 == key
}

/// ISO 7064 MOD 11,10 (German tax id, Croatian OIB).
pub fn iso7064_mod11_10(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() < 2 {
        return false;
    }
    let mut product = 10;
    let Some((last, body)) = ds.split_last() else { return false };
    for d in body {
        let mut sum = (d + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = (11 - product) % 10;
    check == *last
}

/// German tax identification number: 11 digits, first not 0, one digit repeated (twice or three
/// times) in the first ten, ISO 7064 check digit.
pub fn german_tax_id(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 11 || ds.first() == Some(&0) {
        return false;
    }
    let mut counts = [0u8; 10];
    for d in ds.iter().take(10) {
        if let Some(count) = counts.get_mut(*d as usize) {
            *count += 1;
        }
    }
    let repeated = counts.iter().filter(|c| **c >= 2).count();
    repeated == 1 && counts.iter().all(|c| *c <= 3) && iso7064_mod11_10(text)
}

/// Italian codice fiscale: 16 characters with an odd/even table check letter.
pub fn italian_codice_fiscale(text: &str) -> bool {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let chars = alnum_upper(text);
    if chars.len() != 16 {
        return false;
    }
    let mut sum = 0;
    for (i, c) in chars.iter().take(15).enumerate() {
        let index = match c {
            '0'..='9' => c.to_digit(10).unwrap_or(0),
            'A'..='Z' => *c as u32 - 'A' as u32,
            _ => return false,
        };
        sum += if i % 2 == 0 { ODD.get(index as usize).copied().unwrap_or(0) } else { index };
    }
    let expected = char::from_u32('A' as u32 + sum % 26);
    chars.get(15).copied() == expected
}

/// Brazilian CPF: 11 digits, two mod-11 check digits, not all equal.
pub fn brazil_cpf(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 11 || all_same(&ds) {
        return false;
    }
    let check = |len: usize| -> u32 {
        let sum: u32 =
            ds.iter().take(len).zip((2..=(len as u32 + 1)).rev()).map(|(d, w)| d * w).sum();
        let rest = (sum * 10) % 11;
        if rest == 10 { 0 } else { rest }
    };
    ds.get(9) == Some(&check(9)) && ds.get(10) == Some(&check(10))
}

/// Brazilian CNPJ: 14 digits, two mod-11 check digits.
pub fn brazil_cnpj(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 14 || all_same(&ds) {
        return false;
    }
    let check = |len: usize| -> u32 {
        let weights: &[u32] = if len == 12 {
            &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
        } else {
            &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
        };
        let sum: u32 = ds.iter().zip(weights).map(|(d, w)| d * w).sum();
        let rest = sum % 11;
        if rest < 2 { 0 } else { 11 - rest }
    };
    ds.get(12) == Some(&check(12)) && ds.get(13) == Some(&check(13))
}

/// Australian tax file number: 9 digits, weighted sum mod 11 == 0.
pub fn australia_tfn(text: &str) -> bool {
    const WEIGHTS: [u32; 9] = [1, 4, 3, 7, 5, 8, 6, 9, 10];
    let ds = digits(text);
    ds.len() == 9
        && !all_same(&ds)
        && ds.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum::<u32>() % 11 == 0
}

/// US DEA registration number: two letters, 7 digits, the last a weighted check.
pub fn dea(text: &str) -> bool {
    let chars = alnum_upper(text);
    if chars.len() != 9 || !chars.first().is_some_and(|c| "ABCDEFGHJKLMPRSTUX".contains(*c)) {
        return false;
    }
    let ds: Vec<u32> = chars.iter().skip(2).filter_map(|c| c.to_digit(10)).collect();
    if ds.len() != 7 {
        return false;
    }
    let at = |i: usize| ds.get(i).copied().unwrap_or(0);
    let sum = at(0) + at(2) + at(4) + 2 * (at(1) + at(3) + at(5));
    sum % 10 == at(6)
}

/// US National Provider Identifier: 10 digits, Luhn over the prefix 80840.
pub fn npi(text: &str) -> bool {
    let ds = digits(text);
    if ds.len() != 10 || !matches!(ds.first(), Some(1 | 2)) {
        return false;
    }
    let mut full = vec![8, 0, 8, 4, 0];
    full.extend(ds);
    luhn_digits(&full)
}

/// Vehicle identification number (ISO 3779, North American check digit in position 9
/// where it applies; other VINs pass on structure alone when the 9th character is not a digit or X).
pub fn vin(text: &str) -> bool {
    let chars = alnum_upper(text);
    if chars.len() != 17 || chars.iter().any(|c| matches!(c, 'I' | 'O' | 'Q')) {
        return false;
    }
    if !chars.iter().any(char::is_ascii_digit) || !chars.iter().any(char::is_ascii_alphabetic) {
        return false;
    }
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let value = |c: &char| -> u32 {
        match c {
            '0'..='9' => c.to_digit(10).unwrap_or(0),
            'A' | 'J' => 1,
            'B' | 'K' | 'S' => 2,
            'C' | 'L' | 'T' => 3,
            'D' | 'M' | 'U' => 4,
            'E' | 'N' | 'V' => 5,
            'F' | 'W' => 6,
            'G' | 'P' | 'X' => 7,
            'H' | 'Y' => 8,
            'R' | 'Z' => 9,
            _ => 0,
        }
    };
    let sum: u32 = chars.iter().zip(WEIGHTS).map(|(c, w)| value(c) * w).sum();
    let check = match sum % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    chars.get(8) == Some(&check)
}

/// Chinese resident identity card (GB 11643-1999): 17 digits + ISO 7064 MOD 11-2 check
/// (0-9 or X), plausible birth date.
pub fn china_resident_id(text: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let chars = alnum_upper(text);
    if chars.len() != 18 {
        return false;
    }
    let ds: Vec<u32> = chars.iter().take(17).filter_map(|c| c.to_digit(10)).collect();
    if ds.len() != 17 {
        return false;
    }
    let number =
        |range: std::ops::Range<usize>| ds.get(range).map(|s| s.iter().fold(0, |a, d| a * 10 + d));
    let (Some(year), Some(month), Some(day)) = (number(6..10), number(10..12), number(12..14))
    else {
        return false;
    };
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    let sum: u32 = ds.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let expected = CHECK.get((sum % 11) as usize).map(|b| *b as char);
    chars.get(17).copied() == expected
}

/// Chinese unified social credit code (GB 32100-2015): 18 characters from a 31-symbol
/// alphabet, mod-31 check character.
pub fn china_uscc(text: &str) -> bool {
    const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let chars = alnum_upper(text);
    if chars.len() != 18 {
        return false;
    }
    let mut sum = 0;
    for (c, w) in chars.iter().take(17).zip(WEIGHTS) {
        let Some(value) = ALPHABET.find(*c) else { return false };
        sum += value * w;
    }
    let check = (31 - sum % 31) % 31;
    chars.get(17).copied() == ALPHABET.chars().nth(check)
}

/// US Medicare Beneficiary Identifier: 11 characters with a fixed letter/digit layout,
/// letters excluding S, L, O, I, B, Z.
pub fn us_mbi(text: &str) -> bool {
    let chars = alnum_upper(text);
    if chars.len() != 11 {
        return false;
    }
    let letter = |c: &char| c.is_ascii_uppercase() && !"SLOIBZ".contains(*c);
    let layout = ["N", "A", "AN", "N", "A", "AN", "N", "A", "A", "N", "N"];
    chars.iter().zip(layout).enumerate().all(|(i, (c, kind))| match kind {
        "N" if i == 0 => ('1'..='9').contains(c),
        "N" => c.is_ascii_digit(),
        "A" => letter(c),
        _ => c.is_ascii_digit() || letter(c),
    })
}

/// True when `text` holds `run` consecutive ascending characters (`abcde`, `12345`): a
/// keyboard-walk placeholder rather than a generated secret.
fn has_ascending_run(text: &str, run: usize) -> bool {
    let bytes = text.as_bytes();
    let mut length = 1;
    for pair in bytes.windows(2) {
        if let [a, b] = pair
            && b.is_ascii_alphanumeric()
            && *b == a.wrapping_add(1)
        {
            length += 1;
            if length >= run {
                return true;
            }
            continue;
        }
        length = 1;
    }
    false
}

/// Shannon entropy in bits per character of `text`.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    let bytes = text.as_bytes();
    for b in bytes {
        if let Some(count) = counts.get_mut(*b as usize) {
            *count += 1;
        }
    }
    let len = bytes.len() as f64;
    if len == 0.0 {
        return 0.0;
    }
    counts.iter().filter(|c| **c > 0).map(|c| f64::from(*c) / len).map(|p| -p * p.log2()).sum()
}

/// A plausible calendar date (year 1900-2099, month, day) in the matched text, whatever the
/// order: ISO (YYYY-MM-DD) or day/month/year and month/day/year.
pub fn plausible_date(text: &str) -> bool {
    let parts: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    let [a, b, c] = parts.as_slice() else { return false };
    let (a, b, c) = (*a, *b, *c);
    let valid = |year: u32, month: u32, day: u32| {
        (1900..=2099).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
    };
    let year_last = if c < 100 { c + 1900 } else { c };
    valid(a, b, c) || valid(year_last, b, a) || valid(year_last, a, b)
}

/// A credit card expiration: month 01-12 and a two- or four-digit year.
pub fn card_expiration(text: &str) -> bool {
    let parts: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    match parts.as_slice() {
        [year, month] if *year >= 2000 => (1..=12).contains(month),
        [month, year] => (1..=12).contains(month) && (*year < 100 || (2000..=2099).contains(year)),
        _ => false,
    }
}

/// Latitude and longitude within range.
pub fn lat_long(text: &str) -> bool {
    let numbers: Vec<f64> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    match numbers.as_slice() {
        [lat, long] => lat.abs() <= 90.0 && long.abs() <= 180.0,
        _ => false,
    }
}

/// The decoded user:password of an HTTP Basic authorization header is well-formed.
pub fn basic_auth(text: &str) -> bool {
    use base64::Engine as _;
    let Some(token) = text.split_whitespace().last() else { return false };
    match base64::engine::general_purpose::STANDARD
        .decode(token.trim_matches(|c| c == '"' || c == '\''))
    {
        Ok(bytes) => match std::str::from_utf8(&bytes) {
            Ok(decoded) => decoded.contains(':') && decoded.len() >= 3 && !decoded.contains('\n'),
            Err(_) => false,
        },
        Err(_) => false,
    }
}

/// The header and payload of a JWT are base64url-encoded JSON objects, and the header names
/// an algorithm. A header that does not decode to JSON at all (a character garbled when the
/// token was copied) still leaves a token whose payload carries registered claims; a header
/// that is JSON but names no algorithm is not a JWT's.
pub fn jwt(text: &str) -> bool {
    const REGISTERED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
    let mut parts = text.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else { return false };
    match json_object(header) {
        Some(header) => header.contains_key("alg"),
        None => json_object(payload).is_some_and(|claims| {
            REGISTERED_CLAIMS.iter().any(|claim| claims.contains_key(*claim))
        }),
    }
}

/// A base64url segment that decodes to a JSON object.
fn json_object(segment: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A generic secret value: long enough, mixed character classes, high entropy, and not an
/// obvious placeholder.
pub fn generic_secret(text: &str) -> bool {
    let value = text.trim_matches(|c: char| c == '"' || c == '\'');
    if value.len() < 12 || placeholder(&value.to_ascii_lowercase()) {
        return false;
    }
    // Paths and URLs are not secrets.
    if value.starts_with('/') || value.contains("://") || value.matches('/').count() >= 3 {
        return false;
    }
    // Hex strings are secrets at key-like lengths; other lengths (40: a git commit id) are
    // usually digests and ids.
    if value.chars().all(|c| c.is_ascii_hexdigit())
        && !matches!(value.len(), 24 | 32 | 48 | 64 | 96 | 128)
    {
        return false;
    }
    character_classes(value) >= 2 && shannon_entropy(value) >= 3.5
}

/// The token of an `Authorization: Bearer` header. The header says it is a credential, so
/// any length from 16 and any alphabet (40 hex digits included) will do, unless it is a
/// placeholder (`YOUR_ACCESS_TOKEN`, `<token>`) or too regular to be random.
pub fn bearer_token(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.len() >= 16
        && !placeholder(&lower)
        && !lower.contains("token")
        && character_classes(text) >= 2
        && shannon_entropy(text) >= 3.0
}

/// The password of a web, git or SSH URL: at least 8 characters of two classes or more, and
/// no stand-in word. Documentation and tests write such URLs with words (`user:pass@`,
/// `Aladdin:opensesame@`); a leaked one carries a generated or at least mixed password.
pub fn url_password(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.chars().count() >= 8 && !placeholder(&lower) && character_classes(text) >= 2
}

/// A hex value next to a vendor's keyword (an app secret, a UUID-shaped server token, a
/// `sqp_` token): digits and letters both, and not a filler such as all zeros, `deadbeef`
/// repeated or an ascending run.
pub fn random_hex(text: &str) -> bool {
    let body = text.rsplit('_').next().unwrap_or(text);
    let hex: String = body.chars().filter(|c| *c != '-').map(|c| c.to_ascii_lowercase()).collect();
    !placeholder(&hex)
        && !hex.contains("deadbeef")
        && hex.chars().any(|c| c.is_ascii_digit())
        && hex.chars().any(|c| c.is_ascii_alphabetic())
        && shannon_entropy(&hex) >= 3.0
}

/// A lower-case base32 or base36 value next to a vendor's keyword (a legacy Azure DevOps
/// token, a Kubernetes bootstrap token): letters and digits both, not a placeholder.
pub fn random_base32(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    !placeholder(&lower)
        && lower.chars().any(|c| c.is_ascii_digit())
        && lower.chars().any(|c| c.is_ascii_alphabetic())
        && shannon_entropy(&lower.replace('.', "")) >= 3.0
}

/// Words and shapes of values that stand in for a secret rather than being one (`lower` is
/// the value in lower case).
fn placeholder(lower: &str) -> bool {
    const PLACEHOLDERS: [&str; 14] = [
        "example",
        "changeme",
        "password",
        "xxxx",
        "your",
        "placeholder",
        "dummy",
        "sample",
        "redacted",
        "secret",
        "test",
        "todo",
        "<",
        "${",
    ];
    PLACEHOLDERS.iter().any(|p| lower.contains(p))
        || has_ascending_run(lower, 5)
        || lower.contains("a1b2c3")
}

/// How many of lower-case letters, upper-case letters and digits `value` has.
fn character_classes(value: &str) -> usize {
    [
        value.chars().any(|c| c.is_ascii_lowercase()),
        value.chars().any(|c| c.is_ascii_uppercase()),
        value.chars().any(|c| c.is_ascii_digit()),
    ]
    .iter()
    .filter(|b| **b)
    .count()
}

/// The table-driven check of the validator tests, shared with the submodules.
#[cfg(test)]
pub(crate) fn check(validator: fn(&str) -> bool, good: &[&str], bad: &[&str]) {
    for g in good {
        assert!(validator(g), "should be valid: {g}");
    }
    for b in bad {
        assert!(!validator(b), "should be invalid: {b}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_cards() {
        check(
            credit_card,
            &[
                "4111 1111 1111 1111",
                "5500-0000-0000-0004",
                "378282246310005",
                "6011111111111117",
                "6221260000000000",
            ],
            &["4111 1111 1111 1112", "1234567890123456", "0000000000000000", "4444444444444444"],
        );
        check(unionpay, &["6221260000000000"], &["4111111111111111"]);
    }

    #[test]
    fn ibans() {
        check(
            iban,
            &[
                "GB82 WEST 1234 5698 7654 32",
                "DE89370400440532013000",
                "FR1420041010050500013M02606",
                "ES9121000418450200051332",
            ],
            &["GB82 WEST 1234 5698 7654 33", "DE8937040044053201300", "XX89370400440532013000"],
        );
        assert!(national_bank_account("20041010050500013M02606", "FR"));
        assert!(!national_bank_account("20041010050500013M02607", "FR"));
        assert!(national_bank_account("2100 0418 45 0200051332", "ES"));
        assert!(!national_bank_account("2100 0418 46 0200051332", "ES"));
    }

    #[test]
    fn national_ids() {
        check(
            us_ssn,
            &["123-45-6788", "536-22-8726"],
            &["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "078-05-1120"],
        );
        check(us_itin, &["912-70-1234", "999-94-0000"], &["912-40-1234", "812-70-1234"]);
        check(canada_sin, &["130 692 544"], &["130 692 545", "046 454 286", "846 454 286"]);
        check(uk_nhs, &["943 476 5919", "401 023 2137"], &["943 476 5918"]);
        check(uk_nino, &["AB123456C", "JG 10 37 65 A"], &["BG123456C", "AB123456E", "DA123456C"]);
        check(aadhaar, &["2341 2341 2346"], &["2341 2341 2347", "1234 5678 9012"]);
        check(
            spanish_dni_nie,
            &["12345678Z", "X1234567L", "Y0000000Z"],
            &["12345678A", "X1234567A"],
        );
        check(spanish_cif, &["A58818501", "B12345674"], &["A58818502"]);
        check(
            french_nir,
            &["1 85 05 78 006 084 91", "2 69 05 49 588 157 80"],
            &["1 85 05 78 006 084 92"],
        );
        check(german_tax_id, &["86095742719", "65929970489"], &["86095742718", "12345678901"]);
        check(italian_codice_fiscale, &["RSSMRA85T10A562S"], &["RSSMRA85T10A562T"]);
        check(
            brazil_cpf,
            &["529.982.247-25", "111.444.777-35"],
            &["529.982.247-26", "111.111.111-11"],
        );
        check(brazil_cnpj, &["11.222.333/0001-81"], &["11.222.333/0001-82"]);
        check(australia_tfn, &["123 456 782", "876 543 210"], &["123 456 789"]);
        check(dea, &["AB1234563", "BJ6125341"], &["AB1234567"]);
        check(npi, &["1234567893"], &["1234567890"]);
        check(vin, &["1HGCM82633A004352"], &["1HGCM82633A004353", "1HGCM82633A00435"]);
        check(
            china_resident_id,
            &["11010519491231002X"],
            &["11010519491231002Y", "110105194913310021"],
        );
        check(china_uscc, &["91350100M000100Y43", "911101080828461726"], &["91350100M000100Y44"]);
        check(
            us_mbi,
            &["1EG4-TE5-MK73", "1EG4TE5MK73"],
            &["1EG4-TE5-MK7", "0EG4-TE5-MK73", "1SG4-TE5-MK73"],
        );
        check(
            french_tax_id,
            &["3023217600053", "1000000000083"],
            &["3023217600054", "4023217600053"],
        );
        check(spanish_nss, &["281234567840"], &["281234567841"]);
    }

    #[test]
    fn credentials() {
        check(
            basic_auth,
            &["Authorization: Basic dXNlcjpwYXNzd29yZA=="],
            &["Authorization: Basic bm9jb2xvbg=="],
        );
        check(
            jwt,
            &[
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            ],
            &["eyJub3QiOiJqd3QifQ.eyJzdWIiOiIxIn0.abc"],
        );
        // A garbled header ("Ens" for "InR") with readable claims is still a token; with
        // no registered claim it is not.
        check(
            jwt,
            &["eyJhbGciOiJIUzI1NiIsEnR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSJ9.sig"],
            &["eyJhbGciOiJIUzI1NiIsEnR5cCI6IkpXVCJ9.eyJub3QiOiJjbGFpbSJ9.sig"],
        );
        check(
            bearer_token,
            &[
                "38bb7b318cc6898c80317decb34525844bc9db55",
                "eIdWHQqRfFmvP5LDDh-IGxPUzi7I27HthzCPAVmS",
            ],
            &["YOUR_ACCESS_TOKEN_HERE", "aaaaaaaaaaaaaaaaaaaa", "$TOKEN", "abcdefghijklmnop"],
        );
        check(
            url_password,
            &["ATBB3g7gLXseCxPjJs1CQNMyEjwf1D12516D", "Zq7vR2mX9pL4"],
            &["opensesame", "urlpass", "creds", "Passw0rd-example"],
        );
        check(
            random_base32,
            &["xmecosfogyr5xkxwnrekpk5yroudocuzrenun7z5jqipq3zxoi7f", "dhjk1e.yy37q9ah8rvhs1k3"],
            &["abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst", "aaaaaa.aaaaaaaaaaaaaaaa"],
        );
        check(
            random_hex,
            &[
                "34cebc81c056a21bc66e212f947d73ec",
                "f59dffd2-83ea-47c7-ba8f-95e053a6d0ae",
                "sqp_826de5590c75919a8317fdface58206eebe7ebbc",
            ],
            &[
                "00000000-0000-0000-0000-000000000000",
                "0123456789abcdef0123456789abcdef",
                "deadbeefdeadbeefdeadbeefdeadbeef",
            ],
        );
        check(
            generic_secret,
            &["Xq8vR2mZ7pL4kT9w"],
            &["changeme123456", "aaaaaaaaaaaaaaaa", "short"],
        );
    }

    #[test]
    fn dates_and_places() {
        check(
            plausible_date,
            &["1985-04-12", "12/04/1985", "04/12/85"],
            &["1985-13-40", "99/99/9999"],
        );
        check(card_expiration, &["04/27", "12/2029"], &["13/27", "00/27"]);
        check(lat_long, &["48.8566, 2.3522", "-33.8688,151.2093"], &["95.1, 10.2", "10.5, 190.2"]);
    }
}
