//! Rotation schedules: the `RotationRules` of `RotateSecret`, validated, and the
//! calendar arithmetic that says when the next rotation window opens.
//!
//! AWS Secrets Manager takes a schedule in one of three forms, all in UTC:
//!
//! - `AutomaticallyAfterDays` N (1 to 1000): a window on the Nth day after the day of
//!   the last rotation, opening at midnight.
//! - `ScheduleExpression` `rate(N days)` (1 to 999) or `rate(N hours)` (4 to 23):
//!   windows open at midnight, counted from the day of the last rotation.
//! - `ScheduleExpression` `cron(Minutes Hours Day-of-month Month Day-of-week Year)`:
//!   windows open at each matching hour. Minutes must be `0` and Year `*`; the day
//!   fields take `*`, `?`, lists, ranges, steps, month and weekday names, `L`, `LW`,
//!   `nW`, `dL` and `d#n` as EventBridge cron does.
//!
//! A window stays open for `Duration` hours, or by default one hour for a schedule in
//! hours and until the end of the UTC day for a schedule in days. It must not reach into
//! the next window or the next UTC day, and a secret rotates at most every four hours.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use time::Date;
use time::macros::date;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const MAX_AUTOMATICALLY_AFTER_DAYS: i64 = 1000;
const MAX_RATE_DAYS: i64 = 999;
const MAX_RATE_HOURS: i64 = 23;
/// "You can rotate a secret as often as every four hours."
const MIN_HOURS_BETWEEN_ROTATIONS: i64 = 4;
const MAX_EXPRESSION_CHARS: usize = 256;
const UNIX_EPOCH_JULIAN_DAY: i64 = date!(1970 - 01 - 01).to_julian_day() as i64;
/// Weekdays and leap years repeat together every 28 years between 1901 and 2099, so a
/// cron expression that matches no day of one such cycle never matches at all.
const CYCLE_START: Date = date!(2001 - 01 - 01);
const CYCLE_DAYS: i64 = 28 * 365 + 7;
/// How far ahead a cron search looks: a full cycle and a year, so that any expression
/// accepted by [`RotationSchedule::parse`] finds its next window.
const CRON_SEARCH_DAYS: i64 = 29 * 366;

/// A validated rotation schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSchedule {
    cadence: Cadence,
    duration: Option<WindowDuration>,
}

/// Why RotationRules were refused; Display is the message for InvalidParameterException
/// (AWS wording where it is known).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    /// Both `AutomaticallyAfterDays` and `ScheduleExpression` were given (AWS's wording).
    #[error("You cannot specify both rotation frequency and schedule expression together.")]
    FrequencyAndExpression,
    /// Neither `AutomaticallyAfterDays` nor `ScheduleExpression` was given.
    #[error("RotationRules must specify either AutomaticallyAfterDays or ScheduleExpression.")]
    NoSchedule,
    /// `AutomaticallyAfterDays` is outside `1..=1000`.
    #[error("AutomaticallyAfterDays must be between 1 and 1000, but was {0}.")]
    AutomaticallyAfterDaysOutOfRange(i64),
    /// `ScheduleExpression` is not a valid `rate()` or `cron()` expression.
    #[error("Invalid ScheduleExpression: {0}.")]
    InvalidExpression(String),
    /// The schedule would rotate more often than every four hours.
    #[error("Secrets Manager can rotate a secret at most every four hours.")]
    RotationTooFrequent,
    /// `Duration` is not a whole number of hours such as `3h`.
    #[error("Invalid Duration {0:?}: give the rotation window in whole hours, such as 3h.")]
    InvalidDuration(String),
    /// The window would run past midnight UTC.
    #[error(
        "The rotation window must not extend into the next UTC day: it opens at {start_hour}:00 \
         and Duration is {hours}h."
    )]
    WindowPastEndOfDay {
        /// The latest hour at which a window opens.
        start_hour: i64,
        /// The requested window length in hours.
        hours: i64,
    },
    /// The window would still be open when the next one opens.
    #[error(
        "The rotation window must not extend into the next rotation window: Duration is \
         {hours}h, but windows open {gap} hours apart."
    )]
    WindowOverlapsNext {
        /// The requested window length in hours.
        hours: i64,
        /// The shortest time between two windows, in hours.
        gap: i64,
    },
}

/// How often windows open.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cadence {
    /// `AutomaticallyAfterDays`.
    AfterDays(i64),
    /// `rate(N days)`, with the expression as the caller wrote it.
    RateDays { days: i64, expression: String },
    /// `rate(N hours)`.
    RateHours { hours: i64, expression: String },
    /// `cron(...)`.
    Cron { cron: Cron, expression: String },
}

/// A `Duration` such as `3h`, kept as written so DescribeSecret echoes it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WindowDuration {
    hours: i64,
    text: String,
}

impl RotationSchedule {
    /// Validates the three members as a RotateSecret request gives them.
    pub fn parse(
        automatically_after_days: Option<i64>,
        schedule_expression: Option<&str>,
        duration: Option<&str>,
    ) -> Result<Self, ScheduleError> {
        let cadence = match (automatically_after_days, schedule_expression) {
            (Some(_), Some(_)) => return Err(ScheduleError::FrequencyAndExpression),
            (None, None) => return Err(ScheduleError::NoSchedule),
            (Some(days), None) => {
                if !(1..=MAX_AUTOMATICALLY_AFTER_DAYS).contains(&days) {
                    return Err(ScheduleError::AutomaticallyAfterDaysOutOfRange(days));
                }
                Cadence::AfterDays(days)
            }
            (None, Some(expression)) => Cadence::parse(expression)?,
        };
        let duration = duration.map(WindowDuration::parse).transpose()?;
        if let Some(duration) = &duration {
            cadence.check_window(duration.hours)?;
        }
        Ok(Self { cadence, duration })
    }

    /// The start of the first rotation window strictly after `after_ms` (Unix ms, UTC),
    /// given the time of the last rotation (`last_rotated_ms`, Unix ms; for
    /// AutomaticallyAfterDays and rate() the next window is counted from it).
    ///
    /// A window that opened at or before the last rotation is never returned: the
    /// rotation in it has happened. `None` means no window within the search horizon
    /// (a cron expression such as `cron(0 0 ? 2 SUN#5 *)`, which matches once in 28
    /// years, near the end of the supported calendar) or timestamps too large to add to.
    pub fn next_window_start(&self, last_rotated_ms: i64, after_ms: i64) -> Option<i64> {
        let after_ms = after_ms.max(last_rotated_ms);
        match &self.cadence {
            Cadence::AfterDays(days) | Cadence::RateDays { days, .. } => {
                // Windows open at midnight every `days` days from the day of the last
                // rotation; take the first whose day is past the day of `after_ms`.
                let base_day = last_rotated_ms.div_euclid(DAY_MS);
                let after_day = after_ms.div_euclid(DAY_MS);
                let periods = ((after_day - base_day) / days + 1).max(1);
                base_day.checked_add(periods.checked_mul(*days)?)?.checked_mul(DAY_MS)
            }
            Cadence::RateHours { hours, .. } => {
                // Windows open every `hours` hours from midnight of the last rotation's day.
                let base = last_rotated_ms - last_rotated_ms.rem_euclid(DAY_MS);
                let step = hours * HOUR_MS;
                let periods = after_ms.checked_sub(base)? / step + 1;
                base.checked_add(periods.checked_mul(step)?)
            }
            Cadence::Cron { cron, .. } => cron.next_after(after_ms),
        }
    }

    /// The window's length in ms (Duration, or the default), never past the end of the
    /// UTC day in which it opens.
    pub fn window_ms(&self, window_start_ms: i64) -> i64 {
        let until_day_end = DAY_MS - window_start_ms.rem_euclid(DAY_MS);
        let wanted = match &self.duration {
            Some(duration) => duration.hours * HOUR_MS,
            None if self.cadence.is_in_hours() => HOUR_MS,
            None => until_day_end,
        };
        wanted.min(until_day_end)
    }

    /// What DescribeSecret's `NextRotationDate` shows: the last second of the window that
    /// is open at `now_ms` or opens next.
    ///
    /// AWS documents the date as "on or before" which the rotation happens, and real
    /// responses show `23:59:59` for a window that lasts the whole day, so this is the
    /// window's end less one second rather than its start. `None` as for
    /// [`Self::next_window_start`].
    pub fn next_rotation_date(&self, last_rotated_ms: i64, now_ms: i64) -> Option<i64> {
        // Windows last at most a day and open at least an hour apart, so starting a day
        // back and stepping window by window reaches the current one within 25 steps.
        let mut start = self.next_window_start(last_rotated_ms, now_ms.saturating_sub(DAY_MS))?;
        for _ in 0..32 {
            let end = start.checked_add(self.window_ms(start))?;
            if end > now_ms {
                return Some(end.saturating_sub(1000));
            }
            start = self.next_window_start(last_rotated_ms, start)?;
        }
        None
    }

    /// The RotationRules to echo back in DescribeSecret: (AutomaticallyAfterDays,
    /// ScheduleExpression, Duration).
    ///
    /// A `rate(N days)` expression is echoed with AutomaticallyAfterDays N as well, since
    /// AWS reports that member for every schedule it can count in days.
    pub fn rules(&self) -> (Option<i64>, Option<String>, Option<String>) {
        let duration = self.duration.as_ref().map(|duration| duration.text.clone());
        match &self.cadence {
            Cadence::AfterDays(days) => (Some(*days), None, duration),
            Cadence::RateDays { days, expression } => {
                (Some(*days), Some(expression.clone()), duration)
            }
            Cadence::RateHours { expression, .. } | Cadence::Cron { expression, .. } => {
                (None, Some(expression.clone()), duration)
            }
        }
    }
}

impl Cadence {
    fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || " ()#?*-/,".contains(c);
        if expression.is_empty()
            || expression.chars().count() > MAX_EXPRESSION_CHARS
            || !expression.chars().all(allowed)
        {
            return Err(invalid("it must be 1 to 256 letters, digits, spaces and ( ) # ? * - / ,"));
        }
        let inside =
            |prefix: &str| expression.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(')'));
        if let Some(body) = inside("rate(") {
            return Self::parse_rate(body, expression);
        }
        let Some(body) = inside("cron(") else {
            return Err(invalid("it must be a rate() or cron() expression"));
        };
        let cron = Cron::parse(body)?;
        let (fires, on_consecutive_days) = cron.scan_cycle();
        if !fires {
            return Err(invalid("the cron() expression matches no date"));
        }
        if cron.shortest_gap(on_consecutive_days) < MIN_HOURS_BETWEEN_ROTATIONS {
            return Err(ScheduleError::RotationTooFrequent);
        }
        Ok(Self::Cron { cron, expression: expression.to_owned() })
    }

    fn parse_rate(body: &str, expression: &str) -> Result<Self, ScheduleError> {
        let mut words = body.split_whitespace();
        let (Some(value), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(invalid("rate() takes a number and a unit, such as rate(10 days)"));
        };
        let Some(value) = number(value).filter(|value| *value >= 1) else {
            return Err(invalid("the rate() value must be a positive whole number"));
        };
        let expression = expression.to_owned();
        match unit {
            "day" | "days" if value <= MAX_RATE_DAYS => {
                Ok(Self::RateDays { days: value, expression })
            }
            "day" | "days" => Err(invalid("a rate() in days must be at most 999 days")),
            "hour" | "hours" if value < MIN_HOURS_BETWEEN_ROTATIONS => {
                Err(ScheduleError::RotationTooFrequent)
            }
            "hour" | "hours" if value <= MAX_RATE_HOURS => {
                Ok(Self::RateHours { hours: value, expression })
            }
            "hour" | "hours" => {
                Err(invalid("a rate() in hours must be at most 23 hours; use days for longer"))
            }
            _ => Err(invalid("the rate() unit must be hours or days")),
        }
    }

    /// Whether the default window is one hour (several windows a day) rather than the
    /// rest of the day.
    fn is_in_hours(&self) -> bool {
        match self {
            Self::AfterDays(_) | Self::RateDays { .. } => false,
            Self::RateHours { .. } => true,
            Self::Cron { cron, .. } => cron.hours.count_ones() > 1,
        }
    }

    /// Refuses a `Duration` that reaches into the next UTC day or the next window.
    fn check_window(&self, hours: i64) -> Result<(), ScheduleError> {
        let past_end_of_day = |start_hour: i64| {
            if start_hour + hours > 24 {
                Err(ScheduleError::WindowPastEndOfDay { start_hour, hours })
            } else {
                Ok(())
            }
        };
        let overlapping = |gap: i64| {
            if hours > gap { Err(ScheduleError::WindowOverlapsNext { hours, gap }) } else { Ok(()) }
        };
        match self {
            Self::AfterDays(_) | Self::RateDays { .. } => past_end_of_day(0),
            // Where such a window opens late in the day, `window_ms` ends it at midnight.
            Self::RateHours { hours: gap, .. } => overlapping(*gap),
            Self::Cron { cron, .. } => {
                past_end_of_day(cron.hour_list().last().copied().unwrap_or(0))?;
                // Windows on different days cannot overlap: each ends by midnight.
                overlapping(cron.shortest_gap(false))
            }
        }
    }
}

impl WindowDuration {
    fn parse(text: &str) -> Result<Self, ScheduleError> {
        let invalid = || ScheduleError::InvalidDuration(text.to_owned());
        if !(2..=3).contains(&text.len()) {
            return Err(invalid());
        }
        let hours = text
            .strip_suffix('h')
            .and_then(number)
            .filter(|hours| *hours >= 1)
            .ok_or_else(invalid)?;
        Ok(Self { hours, text: text.to_owned() })
    }
}

/// A parsed `cron()` expression. Masks have bit `n` set when value `n` is included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cron {
    /// Hours (0-23) at which windows open.
    hours: u64,
    /// Months, 1 = January.
    months: u64,
    days: DayRule,
}

/// Which days of a month match: Day-of-month or Day-of-week, never both.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DayRule {
    /// Day-of-month restricts the days and Day-of-week is `?`.
    OfMonth {
        /// Days 1-31.
        days: u64,
        /// `L`: the last day of the month.
        last: bool,
        /// `LW`: the last weekday (Monday to Friday) of the month.
        last_weekday: bool,
        /// `nW`: the weekday nearest day `n`, within the month.
        nearest_weekday: u64,
    },
    /// Day-of-week restricts the days and Day-of-month is `?`.
    OfWeek {
        /// Weekdays, 1 = Sunday to 7 = Saturday.
        days: u64,
        /// `dL`: the last weekday `d` of the month.
        last: u64,
        /// `d#n`: the `n`th weekday `d` of the month, at bit `(d - 1) * 5 + n - 1`.
        nth: u64,
    },
}

/// The values, range and names one cron field takes.
struct Field {
    name: &'static str,
    min: i64,
    max: i64,
    names: &'static [&'static str],
}

const HOURS: Field = Field { name: "Hours", min: 0, max: 23, names: &[] };
const DAYS_OF_MONTH: Field = Field { name: "Day-of-month", min: 1, max: 31, names: &[] };
const MONTHS: Field = Field {
    name: "Month",
    min: 1,
    max: 12,
    names: &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
};
const DAYS_OF_WEEK: Field = Field {
    name: "Day-of-week",
    min: 1,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};

impl Cron {
    /// Parses what is between `cron(` and `)`.
    fn parse(body: &str) -> Result<Self, ScheduleError> {
        let body = body.to_ascii_uppercase();
        let fields: Vec<&str> = body.split_whitespace().collect();
        let [minutes, hours, day_of_month, month, day_of_week, year] = fields.as_slice() else {
            return Err(invalid(
                "cron() takes six fields: Minutes Hours Day-of-month Month Day-of-week Year",
            ));
        };
        if *minutes != "0" {
            return Err(invalid(
                "the Minutes field must be 0, because rotation windows open on the hour",
            ));
        }
        if *year != "*" {
            return Err(invalid("the Year field must be *"));
        }
        let days = DayRule::parse(day_of_month, day_of_week)?;
        Ok(Self { hours: HOURS.list(hours)?, months: MONTHS.list(month)?, days })
    }

    fn matches(&self, date: Date) -> bool {
        has(self.months, i64::from(u8::from(date.month()))) && self.days.matches(date)
    }

    fn hour_list(&self) -> Vec<i64> {
        (0..24).filter(|hour| has(self.hours, *hour)).collect()
    }

    /// The fewest hours between two windows: within a day, and across midnight when two
    /// consecutive days can both match.
    fn shortest_gap(&self, across_midnight: bool) -> i64 {
        let hours = self.hour_list();
        let within_day = hours.windows(2).filter_map(|pair| match pair {
            [earlier, later] => Some(later - earlier),
            _ => None,
        });
        let across = match (hours.first(), hours.last()) {
            (Some(first), Some(last)) if across_midnight => Some(24 - last + first),
            _ => None,
        };
        within_day.chain(across).min().unwrap_or(24)
    }

    /// Whether any day of a 28-year cycle matches, and whether two consecutive ones do.
    fn scan_cycle(&self) -> (bool, bool) {
        let first_day = day_number(CYCLE_START);
        let (mut fires, mut consecutive, mut previous) = (false, false, false);
        for day in first_day..=first_day + CYCLE_DAYS {
            let matched = date_of(day).is_some_and(|date| self.matches(date));
            fires |= matched;
            consecutive |= matched && previous;
            previous = matched;
        }
        (fires, consecutive)
    }

    /// The first matching hour strictly after `after_ms`, searching a bounded span.
    fn next_after(&self, after_ms: i64) -> Option<i64> {
        let first_day = after_ms.div_euclid(DAY_MS);
        let hours = self.hour_list();
        if date_of(first_day).is_some_and(|date| self.matches(date)) {
            let later_today = hours
                .iter()
                .map(|hour| first_day * DAY_MS + hour * HOUR_MS)
                .find(|start| *start > after_ms);
            if later_today.is_some() {
                return later_today;
            }
        }
        let first_hour = hours.first()?;
        (1..=CRON_SEARCH_DAYS)
            .map(|offset| first_day + offset)
            .find(|day| date_of(*day).is_some_and(|date| self.matches(date)))
            .and_then(|day| day.checked_mul(DAY_MS)?.checked_add(first_hour * HOUR_MS))
    }
}

impl DayRule {
    fn parse(day_of_month: &str, day_of_week: &str) -> Result<Self, ScheduleError> {
        let open = |field: &str| field == "?" || field == "*";
        match (open(day_of_month), open(day_of_week)) {
            _ if day_of_week == "?" && day_of_month != "?" => Self::parse_month(day_of_month),
            _ if day_of_month == "?" && day_of_week != "?" => Self::parse_week(day_of_week),
            // AWS's own example `cron(0 1 * 1/3 SUN *)` writes `*` where `?` belongs;
            // it is unambiguous while the other field restricts the days.
            (false, true) => Self::parse_month(day_of_month),
            (true, false) => Self::parse_week(day_of_week),
            _ => Err(invalid("give either Day-of-month or Day-of-week, and ? in the other")),
        }
    }

    fn parse_month(field: &str) -> Result<Self, ScheduleError> {
        let (mut days, mut last, mut last_weekday, mut nearest_weekday) = (0, false, false, 0);
        for item in field.split(',') {
            match item {
                "L" => last = true,
                "LW" => last_weekday = true,
                _ => match item.strip_suffix('W') {
                    Some(day) => nearest_weekday |= 1 << DAYS_OF_MONTH.value(day)?,
                    None => days |= DAYS_OF_MONTH.item(item)?,
                },
            }
        }
        Ok(Self::OfMonth { days, last, last_weekday, nearest_weekday })
    }

    fn parse_week(field: &str) -> Result<Self, ScheduleError> {
        let (mut days, mut last, mut nth) = (0, 0, 0);
        for item in field.split(',') {
            if item == "L" {
                // `L` alone is the last day of the week, Saturday.
                days |= 1 << DAYS_OF_WEEK.max;
            } else if let Some((day, n)) = item.split_once('#') {
                let day = DAYS_OF_WEEK.value(day)?;
                let Some(n) = number(n).filter(|n| (1..=5).contains(n)) else {
                    return Err(invalid("the number after # must be 1 to 5"));
                };
                nth |= 1 << ((day - 1) * 5 + n - 1);
            } else if let Some(day) = item.strip_suffix('L') {
                last |= 1 << DAYS_OF_WEEK.value(day)?;
            } else {
                days |= DAYS_OF_WEEK.item(item)?;
            }
        }
        Ok(Self::OfWeek { days, last, nth })
    }

    fn matches(&self, date: Date) -> bool {
        let day = i64::from(date.day());
        let length = i64::from(date.month().length(date.year()));
        // 0 = Sunday, as `nearest_weekday` counts.
        let weekday = i64::from(date.weekday().number_days_from_sunday());
        match self {
            Self::OfMonth { days, last, last_weekday, nearest_weekday: nearest } => {
                let near = |target| nearest_weekday(target, day, weekday, length) == Some(day);
                has(*days, day)
                    || (*last && day == length)
                    || (*last_weekday && near(length))
                    || (1..=31).any(|target| has(*nearest, target) && near(target))
            }
            Self::OfWeek { days, last, nth } => {
                let weekday = weekday + 1;
                has(*days, weekday)
                    || (has(*last, weekday) && day + 7 > length)
                    || has(*nth, (weekday - 1) * 5 + (day - 1) / 7)
            }
        }
    }
}

/// The day of the month of the weekday nearest `target`, which `W` matches: Saturday
/// moves back to Friday and Sunday on to Monday, but never out of the month. `day` and
/// `weekday` (0 = Sunday) are any known day of the same month.
fn nearest_weekday(target: i64, day: i64, weekday: i64, length: i64) -> Option<i64> {
    if target > length {
        return None;
    }
    Some(match (weekday + target - day).rem_euclid(7) {
        6 if target == 1 => 3,
        6 => target - 1,
        0 if target == length => target - 2,
        0 => target + 1,
        _ => target,
    })
}

impl Field {
    /// One number or name, within the field's range.
    fn value(&self, text: &str) -> Result<i64, ScheduleError> {
        let by_name = self
            .names
            .iter()
            .position(|name| *name == text)
            .and_then(|index| i64::try_from(index).ok())
            .map(|index| index + self.min);
        by_name
            .or_else(|| number(text))
            .filter(|value| (self.min..=self.max).contains(value))
            .ok_or_else(|| self.invalid(text))
    }

    /// One list item: `*`, `a` or `a-b`, each optionally followed by `/step`.
    fn item(&self, text: &str) -> Result<u64, ScheduleError> {
        let (range, step) = match text.split_once('/') {
            Some((range, step)) => match number(step).filter(|step| *step >= 1) {
                Some(step) => (range, Some(step)),
                None => return Err(self.invalid(text)),
            },
            None => (text, None),
        };
        let (first, last) = match range.split_once('-') {
            _ if range == "*" => (self.min, self.max),
            Some((first, last)) => (self.value(first)?, self.value(last)?),
            // `a/step` runs from `a` to the end of the range.
            None if step.is_some() => (self.value(range)?, self.max),
            None => (self.value(range)?, self.value(range)?),
        };
        if first > last {
            return Err(self.invalid(text));
        }
        let step = step.unwrap_or(1);
        let mut mask = 0;
        let mut value = first;
        while value <= last {
            mask |= 1 << value;
            value += step;
        }
        Ok(mask)
    }

    /// A comma-separated list of items.
    fn list(&self, text: &str) -> Result<u64, ScheduleError> {
        text.split(',').try_fold(0, |mask, item| Ok(mask | self.item(item)?))
    }

    fn invalid(&self, text: &str) -> ScheduleError {
        invalid(&format!("{text:?} is not valid in the {} field", self.name))
    }
}

fn invalid(reason: &str) -> ScheduleError {
    ScheduleError::InvalidExpression(reason.to_owned())
}

/// A whole number of one to four ASCII digits.
fn number(text: &str) -> Option<i64> {
    let digits = !text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// Whether bit `bit` of `mask` is set.
fn has(mask: u64, bit: i64) -> bool {
    (0..64).contains(&bit) && mask & (1 << bit) != 0
}

/// Days since 1970-01-01 for `date`.
fn day_number(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// The date `day` days after 1970-01-01, if the calendar reaches it.
fn date_of(day: i64) -> Option<Date> {
    let julian_day = i32::try_from(day.checked_add(UNIX_EPOCH_JULIAN_DAY)?).ok()?;
    Date::from_julian_day(julian_day).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    /// Unix ms of an RFC 3339 time.
    fn at(text: &str) -> i64 {
        let moment = OffsetDateTime::parse(text, &Rfc3339).unwrap();
        i64::try_from(moment.unix_timestamp_nanos() / 1_000_000).unwrap()
    }

    /// RFC 3339 of Unix ms, so failures read as dates.
    fn show(ms: i64) -> String {
        let moment = OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap();
        moment.format(&Rfc3339).unwrap()
    }

    fn expression(text: &str) -> RotationSchedule {
        RotationSchedule::parse(None, Some(text), None).unwrap()
    }

    fn check_next(schedule: &RotationSchedule, last: &str, after: &str, expected: &str) {
        let next = schedule.next_window_start(at(last), at(after)).map(show);
        assert_eq!(next.as_deref(), Some(expected), "last {last}, after {after}");
    }

    #[test]
    fn accepts_documented_and_eventbridge_style_expressions() {
        for text in [
            "rate(10 days)",
            "rate(1 day)",
            "rate(999 days)",
            "rate(4 hours)",
            "rate(23 hours)",
            "cron(0 16 1,15 * ? *)",
            "cron(0 8 ? * MON-FRI *)",
            "cron(0 0 L * ? *)",
            "cron(0 10 * * ? *)",
            "cron(0 18 ? * SAT *)",
            "cron(0 8 1 * ? *)",
            "cron(0 1 * 1/3 SUN *)",
            "cron(0 17 L * ? *)",
            "cron(0 0 ? * SUN#1 *)",
            "cron(0 4/12 * * ? *)",
            "cron(0 8/8 * * ? *)",
            "cron(0 2/10 * * ? *)",
            "cron(0 8 1/7 * ? *)",
            "cron(0 10 ? FEB,MAY,AUG,NOV TUE#2 *)",
            "cron(0 9 LW * ? *)",
            "cron(0 9 15W * ? *)",
            "cron(0 12 ? * 6L *)",
            "cron(0 12 ? * FRIL *)",
            "cron(0 12 ? * L *)",
            "cron(0 0 29 2 ? *)",
            "cron(0 0 ? 2 SUN#5 *)",
            "cron(0 0,12 ? * mon *)",
            "cron(0 1,22 ? * MON *)",
            "cron(0 6 1-10/3,L JAN-MAR,DEC ? *)",
        ] {
            let parsed = RotationSchedule::parse(None, Some(text), None);
            assert!(parsed.is_ok(), "{text}: {parsed:?}");
        }
        assert!(RotationSchedule::parse(Some(1), None, None).is_ok());
        assert!(RotationSchedule::parse(Some(1000), None, Some("24h")).is_ok());
    }

    #[test]
    fn refuses_invalid_rules_with_the_right_error() {
        use ScheduleError::*;
        // AutomaticallyAfterDays, ScheduleExpression, Duration, and the error.
        type Case = (Option<i64>, Option<&'static str>, Option<&'static str>, ScheduleError);
        let cases: &[Case] = &[
            (Some(30), Some("rate(10 days)"), None, FrequencyAndExpression),
            (None, None, Some("3h"), NoSchedule),
            (Some(0), None, None, AutomaticallyAfterDaysOutOfRange(0)),
            (Some(1001), None, None, AutomaticallyAfterDaysOutOfRange(1001)),
            (None, Some("rate(3 hours)"), None, RotationTooFrequent),
            (None, Some("cron(0 * * * ? *)"), None, RotationTooFrequent),
            (None, Some("cron(0 0,3 * * ? *)"), None, RotationTooFrequent),
            // 22:00 then 01:00 the next day is three hours.
            (None, Some("cron(0 1,22 * * ? *)"), None, RotationTooFrequent),
            (None, Some("rate(10 days)"), Some("3"), InvalidDuration("3".into())),
            (None, Some("rate(10 days)"), Some("h3"), InvalidDuration("h3".into())),
            (None, Some("rate(10 days)"), Some("0h"), InvalidDuration("0h".into())),
            (None, Some("rate(10 days)"), Some("100h"), InvalidDuration("100h".into())),
            (None, Some("rate(10 days)"), Some("3H"), InvalidDuration("3H".into())),
            (None, Some("rate(10 days)"), Some("3hh"), InvalidDuration("3hh".into())),
            (
                None,
                Some("cron(0 16 * * ? *)"),
                Some("9h"),
                WindowPastEndOfDay { start_hour: 16, hours: 9 },
            ),
            (
                None,
                Some("rate(10 days)"),
                Some("25h"),
                WindowPastEndOfDay { start_hour: 0, hours: 25 },
            ),
            (Some(7), None, Some("25h"), WindowPastEndOfDay { start_hour: 0, hours: 25 }),
            (
                None,
                Some("cron(0 0,12 * * ? *)"),
                Some("13h"),
                WindowPastEndOfDay { start_hour: 12, hours: 13 },
            ),
            (None, Some("rate(4 hours)"), Some("5h"), WindowOverlapsNext { hours: 5, gap: 4 }),
            (
                None,
                Some("cron(0 0,6 * * ? *)"),
                Some("7h"),
                WindowOverlapsNext { hours: 7, gap: 6 },
            ),
        ];
        for (days, expression, duration, expected) in cases {
            let result = RotationSchedule::parse(*days, *expression, *duration);
            assert_eq!(result.as_ref().err(), Some(expected), "{expression:?} {duration:?}");
        }
    }

    #[test]
    fn refuses_malformed_expressions() {
        let too_long = format!("cron(0 10 * * ? *){}", " ".repeat(250));
        for text in [
            "",
            "every day",
            "rate(0 days)",
            "rate(1000 days)",
            "rate(24 hours)",
            "rate(10 minutes)",
            "rate(10)",
            "rate(-1 days)",
            "rate(1.5 days)",
            "rate(10 days",
            "Rate(10 days)",
            "cron(5 10 * * ? *)",
            "cron(0 10 * * ? 2025)",
            "cron(0 24 * * ? *)",
            "cron(0 10 * * *)",
            "cron(0 10 1 * MON *)",
            "cron(0 10 ? * ? *)",
            "cron(0 10 * * * *)",
            "cron(0 0 30 2 ? *)",
            "cron(0 0 31 4,6,9,11 ? *)",
            "cron(0 10 ? * MON#6 *)",
            "cron(0 10 ? * 8 *)",
            "cron(0 10 5-1 * ? *)",
            "cron(0 10 */0 * ? *)",
            "cron(0 10 ? * FOO *)",
            "cron(0 10 1,,2 * ? *)",
            "cron(0 10 32W * ? *)",
            "cron(0 10 * 13 ? *)",
            too_long.as_str(),
        ] {
            let result = RotationSchedule::parse(None, Some(text), None);
            assert!(
                matches!(result, Err(ScheduleError::InvalidExpression(_))),
                "{text:?}: {result:?}"
            );
        }
    }

    #[test]
    fn automatically_after_days_counts_days_from_the_last_rotation() {
        let thirty = RotationSchedule::parse(Some(30), None, None).unwrap();
        // 2024 is a leap year: 30 days after 31 January is 1 March; in 2023 it is 2 March.
        let last = "2024-01-31T10:00:00Z";
        check_next(&thirty, last, last, "2024-03-01T00:00:00Z");
        let last = "2023-01-31T10:00:00Z";
        check_next(&thirty, last, last, "2023-03-02T00:00:00Z");
        let daily = RotationSchedule::parse(Some(1), None, None).unwrap();
        let last = "2023-12-31T23:30:00Z";
        check_next(&daily, last, last, "2024-01-01T00:00:00Z");
        // Missed windows (11, 21 January) are skipped.
        let ten = RotationSchedule::parse(Some(10), None, None).unwrap();
        let (last, after) = ("2024-01-01T05:00:00Z", "2024-01-25T12:00:00Z");
        check_next(&ten, last, after, "2024-01-31T00:00:00Z");
        check_next(&ten, last, "2024-01-11T00:00:00Z", "2024-01-21T00:00:00Z");
    }

    #[test]
    fn rate_windows_start_at_midnight_counted_from_the_last_rotation() {
        let ten_days = expression("rate(10 days)");
        let last = "2024-02-25T08:00:00Z";
        check_next(&ten_days, last, last, "2024-03-06T00:00:00Z");
        let last = "2024-12-28T08:00:00Z";
        check_next(&ten_days, last, last, "2025-01-07T00:00:00Z");

        let four_hours = expression("rate(4 hours)");
        let last = "2024-02-29T22:30:00Z";
        check_next(&four_hours, last, last, "2024-03-01T00:00:00Z");
        let last = "2024-02-29T00:10:00Z";
        check_next(&four_hours, last, last, "2024-02-29T04:00:00Z");
        check_next(&four_hours, last, "2024-02-29T09:00:00Z", "2024-02-29T12:00:00Z");
        // Windows from midnight at 0, 5, 10, 15, 20, then 01:00 the next day.
        let five_hours = expression("rate(5 hours)");
        let last = "2023-12-31T20:10:00Z";
        check_next(&five_hours, last, last, "2024-01-01T01:00:00Z");
    }

    #[test]
    fn cron_finds_the_next_matching_hour() {
        let cases = [
            ("cron(0 0 L * ? *)", "2024-02-15T00:00:00Z", "2024-02-29T00:00:00Z"),
            ("cron(0 0 L * ? *)", "2023-02-15T00:00:00Z", "2023-02-28T00:00:00Z"),
            ("cron(0 0 L * ? *)", "2024-04-29T12:00:00Z", "2024-04-30T00:00:00Z"),
            ("cron(0 0 L * ? *)", "2024-12-31T00:00:00Z", "2025-01-31T00:00:00Z"),
            ("cron(0 16 1,15 * ? *)", "2024-12-15T15:59:59Z", "2024-12-15T16:00:00Z"),
            ("cron(0 16 1,15 * ? *)", "2024-12-15T16:00:00Z", "2025-01-01T16:00:00Z"),
            ("cron(0 8 ? * MON-FRI *)", "2024-03-01T09:00:00Z", "2024-03-04T08:00:00Z"),
            ("cron(0 8 ? * MON-FRI *)", "2024-03-04T07:00:00Z", "2024-03-04T08:00:00Z"),
            ("cron(0 0 ? * SUN#1 *)", "2024-01-08T00:00:00Z", "2024-02-04T00:00:00Z"),
            ("cron(0 12 ? * 6L *)", "2024-03-01T00:00:00Z", "2024-03-29T12:00:00Z"),
            ("cron(0 12 ? * L *)", "2024-03-01T00:00:00Z", "2024-03-02T12:00:00Z"),
            ("cron(0 9 LW * ? *)", "2024-06-01T00:00:00Z", "2024-06-28T09:00:00Z"),
            ("cron(0 9 1W * ? *)", "2024-05-31T12:00:00Z", "2024-06-03T09:00:00Z"),
            ("cron(0 9 1W * ? *)", "2024-08-31T12:00:00Z", "2024-09-02T09:00:00Z"),
            ("cron(0 9 31W * ? *)", "2024-08-01T00:00:00Z", "2024-08-30T09:00:00Z"),
            ("cron(0 9 31W * ? *)", "2024-07-01T00:00:00Z", "2024-07-31T09:00:00Z"),
            ("cron(0 9 30W * ? *)", "2024-06-01T00:00:00Z", "2024-06-28T09:00:00Z"),
            ("cron(0 0 29 2 ? *)", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
            ("cron(0 0 ? 2 SUN#5 *)", "2005-01-01T00:00:00Z", "2032-02-29T00:00:00Z"),
            ("cron(0 4/12 * * ? *)", "2024-12-31T16:00:00Z", "2025-01-01T04:00:00Z"),
            ("cron(0 4/12 * * ? *)", "2024-12-31T05:00:00Z", "2024-12-31T16:00:00Z"),
            (
                "cron(0 10 ? FEB,MAY,AUG,NOV TUE#2 *)",
                "2024-02-14T00:00:00Z",
                "2024-05-14T10:00:00Z",
            ),
            ("cron(0 1 * 1/3 SUN *)", "2024-03-31T02:00:00Z", "2024-04-07T01:00:00Z"),
        ];
        for (text, after, expected) in cases {
            check_next(&expression(text), "2000-01-01T00:00:00Z", after, expected);
        }
    }

    #[test]
    fn cron_skips_the_window_of_the_last_rotation_and_stops_at_the_calendar_end() {
        let schedule = expression("cron(0 16 1,15 * ? *)");
        let (last, after) = ("2024-12-15T16:30:00Z", "2024-12-15T10:00:00Z");
        check_next(&schedule, last, after, "2025-01-01T16:00:00Z");
        let yearly = expression("cron(0 0 1 1 ? *)");
        let near_the_end = at("9999-06-01T00:00:00Z");
        assert_eq!(yearly.next_window_start(0, near_the_end), None);
    }

    #[test]
    fn window_lengths_follow_duration_or_the_default() {
        let start = at("2024-01-01T16:00:00Z");
        let hours = |schedule: &RotationSchedule, start: i64| schedule.window_ms(start) / HOUR_MS;
        assert_eq!(hours(&expression("cron(0 16 * * ? *)"), start), 8);
        let three = RotationSchedule::parse(None, Some("cron(0 16 * * ? *)"), Some("3h")).unwrap();
        assert_eq!(hours(&three, start), 3);
        assert_eq!(hours(&expression("cron(0 4/12 * * ? *)"), start), 1);
        assert_eq!(hours(&expression("rate(4 hours)"), start), 1);
        let midnight = at("2024-01-01T00:00:00Z");
        assert_eq!(hours(&expression("rate(10 days)"), midnight), 24);
        let days = RotationSchedule::parse(Some(30), None, Some("2h")).unwrap();
        assert_eq!(hours(&days, midnight), 2);
        // A ten-hour window opening at 20:00 is cut at midnight.
        let ten = RotationSchedule::parse(None, Some("rate(10 hours)"), Some("10h")).unwrap();
        assert_eq!(hours(&ten, at("2024-01-01T20:00:00Z")), 4);
    }

    #[test]
    fn next_rotation_date_is_the_last_second_of_the_current_or_next_window() {
        let check = |schedule: &RotationSchedule, last: &str, now: &str, expected: &str| {
            let date = schedule.next_rotation_date(at(last), at(now)).map(show);
            assert_eq!(date.as_deref(), Some(expected), "last {last}, now {now}");
        };
        // As a real DescribeSecret showed: rotated 2026-02-03, 30 days.
        let thirty = RotationSchedule::parse(Some(30), None, None).unwrap();
        let (last, now) = ("2026-02-03T17:42:24Z", "2026-02-04T00:00:00Z");
        check(&thirty, last, now, "2026-03-05T23:59:59Z");
        check(&thirty, last, "2026-03-05T12:00:00Z", "2026-03-05T23:59:59Z");

        let cron = RotationSchedule::parse(None, Some("cron(0 16 * * ? *)"), Some("3h")).unwrap();
        let last = "2024-01-01T17:00:00Z";
        check(&cron, last, "2024-01-02T17:30:00Z", "2024-01-02T18:59:59Z");
        check(&cron, "2024-01-02T16:30:00Z", "2024-01-02T17:00:00Z", "2024-01-03T18:59:59Z");

        let hours = expression("rate(4 hours)");
        check(&hours, "2024-01-01T00:30:00Z", "2024-01-01T08:20:00Z", "2024-01-01T08:59:59Z");
    }

    #[test]
    fn rules_echo_what_was_set() {
        let rules =
            |days, text, duration| RotationSchedule::parse(days, text, duration).unwrap().rules();
        assert_eq!(rules(Some(30), None, None), (Some(30), None, None));
        assert_eq!(
            rules(None, Some("rate(10 days)"), Some("3h")),
            (Some(10), Some("rate(10 days)".into()), Some("3h".into()))
        );
        assert_eq!(
            rules(None, Some("rate(4 hours)"), None),
            (None, Some("rate(4 hours)".into()), None)
        );
        assert_eq!(
            rules(None, Some("cron(0 8 ? * mon-fri *)"), Some("2h")),
            (None, Some("cron(0 8 ? * mon-fri *)".into()), Some("2h".into()))
        );
    }

    #[test]
    fn messages_read_as_aws_writes_them() {
        assert_eq!(
            ScheduleError::FrequencyAndExpression.to_string(),
            "You cannot specify both rotation frequency and schedule expression together."
        );
        let error = RotationSchedule::parse(None, Some("cron(5 10 * * ? *)"), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid ScheduleExpression: the Minutes field must be 0, because rotation windows \
             open on the hour."
        );
    }
}
