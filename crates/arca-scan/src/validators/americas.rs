//! Check digits of Latin American national and tax identifiers: Argentina's CUIT/CUIL,
//! Chile's RUT, Colombia's NIT, Mexico's CURP and RFC. Like every validator, each takes
//! the matched text with its separators and never panics.

use super::{all_same, digits};

/// Mod-11 check digit with weights 2, 3, 4, ... `cycle` repeating from the rightmost body
/// digit: the scheme Argentina (weights up to 7) and Chile (up to 7) share. Returns the
/// remainder-derived value `11 - sum mod 11` (so 11 and 10 are left to the caller).
fn mod11_from_right(body: &[u32], cycle: u32) -> u32 {
    let mut weight = 2;
    let mut sum = 0;
    for digit in body.iter().rev() {
        sum += digit * weight;
        weight = if weight == cycle { 2 } else { weight + 1 };
    }
    11 - sum % 11
}

/// Argentine CUIT/CUIL: 11 digits, a type prefix, an 8-digit document number and a mod-11
/// check digit. A computed check of 10 has no valid digit (AFIP reissues such numbers
/// under prefix 23 or 33), so it never validates.
fn argentina_cuit(text: &str, prefixes: &[u32]) -> bool {
    let ds = digits(text);
    let (Some(body), Some(check)) = (ds.get(..10), ds.get(10)) else { return false };
    if ds.len() != 11 || all_same(&ds) {
        return false;
    }
    let prefix = body.iter().take(2).fold(0, |acc, d| acc * 10 + d);
    let expected = match mod11_from_right(body, 7) {
        11 => 0,
        10 => return false,
        value => value,
    };
    prefixes.contains(&prefix) && *check == expected
}

/// Argentine CUIL/CUIT of a person: prefix 20, 23, 24 or 27 and a valid check digit.
pub fn argentina_individual_cuit(text: &str) -> bool {
    argentina_cuit(text, &[20, 23, 24, 27])
}

/// Argentine CUIT of an organisation: prefix 30, 33 or 34 and a valid check digit.
pub fn argentina_organization_cuit(text: &str) -> bool {
    argentina_cuit(text, &[30, 33, 34])
}

/// Chilean RUT/RUN: a 4- to 8-digit body (numbers below a million are old, but still
/// issued) and a mod-11 check character (0-9 or K).
pub fn chile_rut(text: &str) -> bool {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let Some((check, body)) = chars.split_last() else { return false };
    let body: Vec<u32> = body.iter().filter_map(|c| c.to_digit(10)).collect();
    if !(4..=8).contains(&body.len()) || body.len() + 1 != chars.len() || all_same(&body) {
        return false;
    }
    let expected = match mod11_from_right(&body, 7) {
        11 => '0',
        10 => 'K',
        value => char::from_digit(value, 10).unwrap_or('?'),
    };
    *check == expected
}

/// Colombian NIT check digit (DIAN): weights 3, 7, 13, ... 71 from the rightmost body digit;
/// remainders 0 and 1 are the digit itself, others give `11 - remainder`.
fn colombia_nit_valid(body: &[u32], check: u32) -> bool {
    const WEIGHTS: [u32; 15] = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
    if body.len() > WEIGHTS.len() {
        return false;
    }
    let sum: u32 = body.iter().rev().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let remainder = sum % 11;
    let expected = if remainder < 2 { remainder } else { 11 - remainder };
    check == expected
}

/// Splits a NIT into body digits and check digit, rejecting repeated-digit fillers.
fn colombia_nit_parts(text: &str) -> Option<(Vec<u32>, u32)> {
    let mut ds = digits(text);
    let check = ds.pop()?;
    if all_same(&ds) {
        return None;
    }
    colombia_nit_valid(&ds, check).then_some((ds, check))
}

/// NIT bodies of companies are 9 digits opening with 8 or 9 (the DIAN's ranges for legal
/// entities); a person's NIT is their cédula number.
fn is_organization_body(body: &[u32]) -> bool {
    body.len() == 9 && matches!(body.first(), Some(8 | 9))
}

/// Colombian NIT of a person: a 6- to 10-digit cédula number and the DIAN check digit.
pub fn colombia_individual_nit(text: &str) -> bool {
    colombia_nit_parts(text)
        .is_some_and(|(body, _)| (6..=10).contains(&body.len()) && !is_organization_body(&body))
}

/// Colombian NIT of an organisation: 9 digits opening with 8 or 9 and the DIAN check digit.
pub fn colombia_organization_nit(text: &str) -> bool {
    colombia_nit_parts(text).is_some_and(|(body, _)| is_organization_body(&body))
}

/// A Colombian cédula de ciudadanía: 6 to 10 digits (older cards have fewer), no check digit.
pub fn colombia_cedula(text: &str) -> bool {
    let ds = digits(text);
    (6..=10).contains(&ds.len()) && !all_same(&ds)
}

/// Year-month-day digits of a Mexican CURP or RFC are a calendar date (any century).
fn mexico_date(chars: &[char]) -> bool {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        chars.get(range)?.iter().try_fold(0, |acc, c| Some(acc * 10 + c.to_digit(10)?))
    };
    match (number(0..2), number(2..4), number(4..6)) {
        (Some(_), Some(month), Some(day)) => (1..=12).contains(&month) && (1..=31).contains(&day),
        _ => false,
    }
}

/// The 32 federal entities of a CURP plus NE (born abroad). Querétaro is QT in RENAPO's
/// catalogue and QO in other published lists (and in generators built on them): both count.
const CURP_STATES: [&str; 34] = [
    "AS", "BC", "BS", "CC", "CL", "CM", "CS", "CH", "DF", "DG", "GT", "GR", "HG", "JC", "MC", "MN",
    "MS", "NT", "NL", "OC", "PL", "QT", "QO", "QR", "SP", "SL", "SR", "TC", "TS", "TL", "VZ", "YN",
    "ZS", "NE",
];

/// Mexican CURP: 4 letters, birth date, sex (H, M or X), state, 3 consonants, a homoclave
/// character and a check digit: `(10 - Σ value·(18 - i) mod 10) mod 10` over the first 17
/// characters, where digits count 0-9 and letters 10-36 with Ñ between N and O.
pub fn mexico_curp(text: &str) -> bool {
    const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";
    let chars: Vec<char> = text.chars().map(|c| c.to_ascii_uppercase()).collect();
    if chars.len() != 18 {
        return false;
    }
    let state: String = chars.get(11..13).unwrap_or_default().iter().collect();
    let structure = chars.get(..4).is_some_and(|s| s.iter().all(char::is_ascii_uppercase))
        && chars.get(4..10).is_some_and(mexico_date)
        && matches!(chars.get(10), Some('H' | 'M' | 'X'))
        && CURP_STATES.contains(&state.as_str());
    if !structure {
        return false;
    }
    let mut sum = 0;
    for (index, c) in chars.iter().take(17).enumerate() {
        let Some(value) = ALPHABET.chars().position(|a| a == *c) else { return false };
        sum += value * (18 - index);
    }
    let expected = (10 - sum % 10) % 10;
    chars.get(17).and_then(|c| c.to_digit(10)) == Some(expected as u32)
}

/// Mexican RFC check character: the name letters, date and two homoclave characters,
/// left-padded with a space to 12 (companies have one letter fewer), weighted 13 down to 2
/// over the alphabet 0-9, A-N, &, O-Z, space, Ñ; `11 - sum mod 11`, 10 written `A`.
fn mexico_rfc(text: &str, letters: usize) -> bool {
    const ALPHABET: &str = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ";
    let chars: Vec<char> = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| if c == 'ñ' { 'Ñ' } else { c.to_ascii_uppercase() })
        .collect();
    if chars.len() != letters + 9 {
        return false;
    }
    let structure = chars
        .get(..letters)
        .is_some_and(|s| s.iter().all(|c| c.is_ascii_uppercase() || matches!(c, '&' | 'Ñ')))
        && chars.get(letters..letters + 6).is_some_and(mexico_date);
    let Some((check, body)) = chars.split_last() else { return false };
    if !structure {
        return false;
    }
    let padded = std::iter::repeat_n(' ', 12 - body.len()).chain(body.iter().copied());
    let mut sum = 0;
    for (index, c) in padded.enumerate() {
        let Some(value) = ALPHABET.chars().position(|a| a == c) else { return false };
        sum += value * (13 - index);
    }
    let expected = match 11 - sum % 11 {
        11 => '0',
        10 => 'A',
        value => char::from_digit(value as u32, 10).unwrap_or('?'),
    };
    *check == expected
}

/// Mexican RFC of a person: 4 letters, date, 3-character homoclave ending in the check.
pub fn mexico_individual_rfc(text: &str) -> bool {
    mexico_rfc(text, 4)
}

/// Mexican RFC of a company: 3 letters, date, 3-character homoclave ending in the check.
pub fn mexico_organization_rfc(text: &str) -> bool {
    mexico_rfc(text, 3)
}

#[cfg(test)]
mod tests {
    // Valid examples were computed with each algorithm (or are published numbers: the SAT's
    // own RFC, Wikipedia's CURP example, companies' NITs); negatives change one character.
    use super::*;
    use crate::validators::check;

    #[test]
    fn argentina() {
        check(
            argentina_individual_cuit,
            &["20-12345678-6", "20123456786", "27-17555667-8", "23-29876543-8"],
            &["20-12345678-5", "30-71234567-1", "33-33333333-3", "21-12345678-6"],
        );
        check(
            argentina_organization_cuit,
            &["30-71234567-1", "30712345671"],
            &["30-71234567-2", "20-12345678-6"],
        );
    }

    #[test]
    fn chile() {
        check(
            chile_rut,
            &["12.345.678-5", "12345678-5", "76.086.428-5", "7.654.321-6", "473.060-7", "8.921-4"],
            &["12.345.678-6", "12.345.678-K", "11.111.111-1", "123-5", "473.060-8"],
        );
        // A K check character, upper or lower case.
        check(chile_rut, &["10.000.013-K", "10000013k"], &["10.000.013-0"]);
    }

    #[test]
    fn colombia() {
        check(
            colombia_organization_nit,
            &["860.002.964-4", "890900608-9", "800197268-4", "900.123.456-8"],
            &["860.002.964-5", "1020304050-8", "79.123.456-0"],
        );
        check(
            colombia_individual_nit,
            &["1020304050-8", "79.123.456-0"],
            &["1020304050-9", "860.002.964-4", "1111111-1"],
        );
        check(colombia_cedula, &["1.020.304.050", "79123456", "123456"], &["12345", "1111111"]);
    }

    #[test]
    fn mexico() {
        check(
            mexico_curp,
            &["HEGG560427MVZRRL04", "BADD110313HCMLNS06", "MEDD621205HQODGL07"],
            &["HEGG560427MVZRRL05", "HEGG561327MVZRRL04", "HEGG560427MXXRRL04"],
        );
        check(
            mexico_individual_rfc,
            &["GODE561231GR8", "VECJ880326XX1", "GODE-561231-GR8"],
            &["GODE561231GR9", "GODE561331GR8", "SAT970701NN3"],
        );
        check(
            mexico_organization_rfc,
            &["SAT970701NN3", "MAG041126GT8"],
            &["SAT970701NN4", "GODE561231GR8"],
        );
    }
}
