//! Validation of Azure Pipelines schedule cron expressions.
//!
//! Azure Pipelines `schedules:` entries take a cron string that is evaluated
//! with NCrontab's five-field syntax:
//!
//! ```text
//! mm HH DD MM DW
//! │  │  │  │  └─ weekday: 0-6 (Sunday is 0) or Sun..Sat / Sunday..Saturday
//! │  │  │  └──── month: 1-12 or Jan..Dec / January..December
//! │  │  └─────── day of month: 1-31
//! │  └────────── hour: 0-23
//! └───────────── minute: 0-59
//! ```
//!
//! Fields are separated by spaces (NCrontab splits on the space character
//! only, so a tab or line break is an error). Each field is a comma-separated
//! list of entries; an entry is `*`, a value (`5`), a range (`1-3`,
//! `Mon-Fri`), optionally followed by a step (`*/4`, `1-5/2`, or `5/15`, which
//! means `5-<max>/15`). Names are matched without regard to case and may be
//! any prefix of the full name (`Sept`, `Tues`, `Fe`, `W`), as NCrontab
//! accepts them. Weekday 7 is rejected: NCrontab only knows 0-6.
//!
//! A minute matches when every field matches; in particular a day matches
//! only when it is in *both* the day-of-month and the weekday field, as
//! NCrontab's `TryGetNextOccurrence` computes it (`0 0 13 * Fri` fires on
//! Friday the 13th only). Vixie cron instead fires when *either* matches if
//! both fields are restricted; Azure does not.
//!
//! Deliberate differences from NCrontab, where it accepts text whose meaning
//! is almost never what was meant (each is E050 with a help saying what Azure
//! would do and what to write instead):
//!
//! - a range written backwards (`Fri-Mon`, `22-2`): NCrontab swaps the ends
//!   (`Mon-Fri`, `2-22`) rather than wrapping around;
//! - a name prefix that fits several names (`Ju`, `Ma`, `S`, `T`): NCrontab
//!   takes the first in calendar order (June, March, Sunday, Tuesday);
//! - a step that is 0, negative or signed (`*/0`, `*/-2`, `*/+2`): NCrontab
//!   reads a step below 1 as 1; relc takes a step in digits, 1 or more (and,
//!   like NCrontab, at most 2147483647);
//! - a number followed by a tab or line break inside a field, which
//!   NCrontab's `int.Parse` would tolerate; relc rejects any whitespace other
//!   than the space between fields;
//! - names in other scripts than ASCII, which NCrontab compares with the
//!   invariant culture; relc knows the English names only.
//!
//! [`parse_cron`] turns the text into a [`Cron`] holding, per field, the sorted
//! set of values it allows, or a [`CronError`] whose message is written for a
//! release engineer and whose byte span points at the offending field or token.
//! [`Cron::matches`] answers whether a given minute falls on the schedule,
//! [`Cron::next_after`] when it next fires, and [`Cron::never_fires`] whether
//! it fires at all.

/// A problem in a cron expression; `start..end` are byte offsets into its text.
pub type CronError = crate::check::located::LocatedError;

/// A parsed schedule: for each field the sorted, non-empty set of allowed
/// values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    pub minutes: Vec<u8>,
    pub hours: Vec<u8>,
    pub days_of_month: Vec<u8>,
    pub months: Vec<u8>,
    /// Sunday is 0, Saturday is 6.
    pub days_of_week: Vec<u8>,
}

/// A schedule as the IR keeps it: the text as written (what Azure gets) and
/// its parsed form (what the interpreter asks for fire times). Serialised as
/// the text; read back by parsing it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    pub text: String,
    pub parsed: Cron,
}

impl CronExpr {
    pub fn parse(text: &str) -> Result<CronExpr, CronError> {
        Ok(CronExpr {
            text: text.to_string(),
            parsed: parse_cron(text)?,
        })
    }

    /// Whether it fires at this minute.
    pub fn fires_at(&self, t: DateTime) -> bool {
        self.parsed
            .matches(t.minute, t.hour, t.day, t.month, t.weekday())
    }

    /// The first minute strictly after `t` on which it fires.
    pub fn next_after(&self, t: DateTime) -> Option<DateTime> {
        self.parsed.next_after(t)
    }
}

impl serde::Serialize for CronExpr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for CronExpr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CronExpr, D::Error> {
        let text = String::deserialize(d)?;
        CronExpr::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// A UTC minute in the proleptic Gregorian calendar. Fields are ordered so
/// that the derived ordering is chronological.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct DateTime {
    pub year: i32,
    /// 1-12.
    pub month: u8,
    /// 1 to the length of the month.
    pub day: u8,
    /// 0-23.
    pub hour: u8,
    /// 0-59.
    pub minute: u8,
}

impl DateTime {
    /// The minute, or `None` when a field is out of range (Feb 30, hour 24).
    pub fn new(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> Option<DateTime> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(i64::from(year), month)
            && hour <= 23
            && minute <= 59;
        valid.then_some(DateTime {
            year,
            month,
            day,
            hour,
            minute,
        })
    }

    /// Sunday is 0, Saturday is 6.
    pub fn weekday(self) -> u8 {
        weekday(days_from_civil(i64::from(self.year), self.month, self.day))
    }

    /// The minute holding a Unix time (seconds since 1970-01-01 UTC).
    pub fn from_unix(seconds: i64) -> DateTime {
        let days = seconds.div_euclid(86_400);
        let rest = seconds.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        DateTime {
            year: year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
            month,
            day,
            hour: (rest / 3600) as u8,
            minute: (rest % 3600 / 60) as u8,
        }
    }

    /// Seconds since 1970-01-01 UTC at the start of this minute.
    pub fn to_unix(self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
    }
}

impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1-12) of `year`; 0 for a month out of range.
fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm; exact
/// for every year an `i64` can hold without overflow here).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Weekday of a day counted from 1970-01-01 (a Thursday); Sunday is 0.
fn weekday(days: i64) -> u8 {
    (days + 4).rem_euclid(7) as u8
}

/// The Gregorian calendar repeats every 400 years (146097 days, a whole
/// number of weeks), so a schedule that does not fire within 400 years of a
/// minute never fires after it. A shorter window would not do: February 29
/// falls on a Monday in 2072 and next in 2112.
const SEARCH_YEARS: i64 = 400;

impl Cron {
    /// Whether the schedule fires at this minute. `weekday` uses Sunday = 0;
    /// values outside a field's range never match. The day must be in both
    /// the day-of-month and the weekday field, as NCrontab reads it.
    pub fn matches(&self, minute: u8, hour: u8, day: u8, month: u8, weekday: u8) -> bool {
        let has = |set: &[u8], value: u8| set.binary_search(&value).is_ok();
        has(&self.minutes, minute)
            && has(&self.hours, hour)
            && has(&self.months, month)
            && has(&self.days_of_month, day)
            && has(&self.days_of_week, weekday)
    }

    /// The first minute strictly after `t` on which the schedule fires, or
    /// `None` when it never does (or only after year `i32::MAX`). Walks the
    /// allowed months and days, at most `SEARCH_YEARS` (400) ahead, which is
    /// exact: the calendar repeats every 400 years.
    pub fn next_after(&self, t: DateTime) -> Option<DateTime> {
        // The first candidate minute, t + 1, as a date and a time-of-day bound.
        let (mut year, mut month, mut day) = (i64::from(t.year), t.month, t.day);
        let mut bound = if t.minute >= 59 {
            (t.hour.saturating_add(1), 0)
        } else {
            (t.hour, t.minute + 1)
        };
        if bound.0 >= 24 {
            bound = (0, 0);
            day += 1;
            if day > days_in_month(year, month) {
                (day, month) = (1, month + 1);
                if month == 13 {
                    (month, year) = (1, year + 1);
                }
            }
        }
        let last_year = year + SEARCH_YEARS;
        while year <= last_year {
            if self.months.binary_search(&month).is_ok() {
                let length = days_in_month(year, month);
                let first_day = days_from_civil(year, month, 1);
                for &dom in self.days_of_month.iter().filter(|&&d| d >= day) {
                    if dom > length {
                        break;
                    }
                    let wd = weekday(first_day + i64::from(dom) - 1);
                    if self.days_of_week.binary_search(&wd).is_err() {
                        continue;
                    }
                    let from = if dom == day { bound } else { (0, 0) };
                    if let Some((hour, minute)) = self.first_time_from(from) {
                        return Some(DateTime {
                            year: i32::try_from(year).ok()?,
                            month,
                            day: dom,
                            hour,
                            minute,
                        });
                    }
                }
            }
            (day, bound) = (1, (0, 0));
            month += 1;
            if month == 13 {
                (month, year) = (1, year + 1);
            }
        }
        None
    }

    /// The first allowed (hour, minute) at or after `from` on one day.
    fn first_time_from(&self, (hour, minute): (u8, u8)) -> Option<(u8, u8)> {
        self.hours.iter().filter(|&&h| h >= hour).find_map(|&h| {
            let floor = if h == hour { minute } else { 0 };
            self.minutes.iter().find(|&&m| m >= floor).map(|&m| (h, m))
        })
    }

    /// Why the schedule can never fire, if it cannot: none of its days of the
    /// month exists in any of its months. The weekday field cannot make a
    /// schedule impossible on its own, since every date, February 29 too,
    /// falls on each weekday within the 400-year cycle.
    pub fn never_fires(&self) -> Option<NeverFires> {
        // The longest each month ever gets.
        let longest = |m: u8| days_in_month(2000, m);
        let first_day = self.days_of_month[0];
        if self.months.iter().any(|&m| first_day <= longest(m)) {
            return None;
        }
        let days = &self.days_of_month;
        let months: Vec<&str> = self
            .months
            .iter()
            .map(|&m| MONTHS[usize::from(m - 1)])
            .collect();
        let days_text = match days.as_slice() {
            [d] => format!("day {d} never occurs"),
            _ => {
                let shown: Vec<String> = days.iter().map(u8::to_string).collect();
                format!("days {} never occur", join_or(&shown, "and"))
            }
        };
        let months_text = join_or(
            &months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "or",
        );
        // The last day every chosen month has in every year.
        let last_day = self
            .months
            .iter()
            .map(|&m| days_in_month(2001, m))
            .min()
            .unwrap_or(28);
        Some(NeverFires {
            reason: format!("{days_text} in {months_text}"),
            months: match months.as_slice() {
                [one] => one.to_string(),
                _ => "each of those months".to_string(),
            },
            last_day,
        })
    }
}

/// The answer of [`Cron::never_fires`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeverFires {
    /// Plain words: "day 31 never occurs in April, June, September or November".
    pub reason: String,
    /// The schedule's month, or "each of those months".
    pub months: String,
    /// The last day of the month that each of the schedule's months has in
    /// every year (28 when February is one of them).
    pub last_day: u8,
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The days of the week, Sunday first as cron numbers them.
pub const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Minute,
    Hour,
    Day,
    Month,
    Weekday,
}

impl Field {
    const ALL: [Field; 5] = [
        Field::Minute,
        Field::Hour,
        Field::Day,
        Field::Month,
        Field::Weekday,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::Day => "day",
            Field::Month => "month",
            Field::Weekday => "weekday",
        }
    }

    fn min(self) -> u8 {
        match self {
            Field::Day | Field::Month => 1,
            _ => 0,
        }
    }

    fn max(self) -> u8 {
        match self {
            Field::Minute => 59,
            Field::Hour => 23,
            Field::Day => 31,
            Field::Month => 12,
            Field::Weekday => 6,
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Month => &MONTHS,
            Field::Weekday => &WEEKDAYS,
            _ => &[],
        }
    }

    /// How to write the value `v` in a suggestion, in the style of `like`.
    fn spell(self, v: u8, like: &str) -> String {
        let names = self.names();
        let wants_name = like.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        match names.get(usize::from(v - self.min())) {
            Some(name) if wants_name => name[..3].to_string(),
            _ => v.to_string(),
        }
    }

    fn out_of_range_help(self, value: Option<u32>) -> Option<&'static str> {
        match (self, value) {
            (Field::Minute, Some(60)) => Some("the last minute of an hour is 59"),
            (Field::Hour, Some(24)) => Some("midnight is hour 0"),
            (Field::Day, Some(0)) => Some("days of the month start at 1"),
            (Field::Month, Some(0)) => Some("months run from 1 (January) to 12 (December)"),
            (Field::Month, _) => Some("months run from 1 (January) to 12 (December)"),
            (Field::Weekday, Some(7)) => {
                Some("Sunday is 0 (or Sun); Azure's cron does not accept 7 for Sunday")
            }
            (Field::Weekday, _) => Some("weekdays run from 0 (Sunday) to 6 (Saturday)"),
            _ => None,
        }
    }
}

/// Parse an Azure Pipelines (NCrontab) five-field cron expression.
pub fn parse_cron(text: &str) -> Result<Cron, CronError> {
    if text.trim().is_empty() {
        return Err(CronError::new("the cron schedule is empty", 0, text.len())
            .help("write five fields: minute hour day month weekday, e.g. `0 3 * * Mon-Fri`"));
    }
    if let Some((i, c)) = text
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() && c != ' ')
    {
        let what = match c {
            '\t' => "a tab".to_string(),
            '\n' | '\r' => "a line break".to_string(),
            c => format!("the space character U+{:04X}", u32::from(c)),
        };
        return Err(CronError::new(
            format!("Azure separates cron fields with plain spaces, not {what}"),
            i,
            i + c.len_utf8(),
        )
        .help("replace it with a space"));
    }
    let fields = split_fields(text);
    if fields.len() != 5 {
        return Err(field_count_error(text, &fields));
    }

    let mut masks = [0u64; 5];
    for ((field, &(start, end)), mask) in Field::ALL.iter().zip(&fields).zip(&mut masks) {
        *mask = parse_field(*field, text, start, end)?;
    }
    let to_vec = |mask: u64| -> Vec<u8> { (0u8..64).filter(|v| mask & (1 << v) != 0).collect() };

    Ok(Cron {
        minutes: to_vec(masks[0]),
        hours: to_vec(masks[1]),
        days_of_month: to_vec(masks[2]),
        months: to_vec(masks[3]),
        days_of_week: to_vec(masks[4]),
    })
}

/// Byte spans of the space-separated fields.
pub(crate) fn split_fields(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c == ' ' {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

fn field_count_error(text: &str, fields: &[(usize, usize)]) -> CronError {
    if let [(start, end)] = *fields {
        let word = &text[start..end];
        if word.starts_with('@') {
            let equivalent = match word.to_ascii_lowercase().as_str() {
                "@yearly" | "@annually" => Some("0 0 1 1 *"),
                "@monthly" => Some("0 0 1 * *"),
                "@weekly" => Some("0 0 * * 0"),
                "@daily" | "@midnight" => Some("0 0 * * *"),
                "@hourly" => Some("0 * * * *"),
                _ => None,
            };
            let help = match equivalent {
                Some(eq) => format!("write the five fields instead: `{eq}`"),
                None => {
                    "write five fields: minute hour day month weekday, e.g. `0 0 * * *`".to_string()
                }
            };
            return CronError::new(
                format!(
                    "Azure schedules do not support shortcuts like `{}`",
                    shown(word)
                ),
                start,
                end,
            )
            .help(help);
        }
    }
    let n = fields.len();
    let err = CronError::new(
        format!("a cron schedule has 5 fields (minute hour day month weekday), this one has {n}"),
        0,
        text.len(),
    );
    match n {
        6 => err.help("Azure schedules have no seconds field; drop the first field"),
        7 => err.help(
            "Azure schedules have neither a seconds nor a year field; \
             keep only minute hour day month weekday",
        ),
        n if n < 5 => err.help("write all five fields, using `*` for any value, e.g. `0 3 * * *`"),
        _ => err,
    }
}

/// Parse one field spanning `text[start..end]` into a bit mask of allowed values.
fn parse_field(field: Field, text: &str, start: usize, end: usize) -> Result<u64, CronError> {
    let mut mask = 0u64;
    let mut item_start = start;
    for piece in text[start..end].split(',') {
        let item_end = item_start + piece.len();
        if piece.is_empty() {
            // Point at the stray comma: the one after, or the one before at the end.
            let comma = if item_end < end {
                item_end
            } else {
                item_start - 1
            };
            return Err(CronError::new(
                format!("the {} field has an empty entry", field.name()),
                comma,
                comma + 1,
            )
            .help("remove the stray comma, or put a value between the commas"));
        }
        mask |= parse_item(field, text, item_start, item_end)?;
        item_start = item_end + 1;
    }
    Ok(mask)
}

/// Parse one list entry (`*`, `5`, `1-3`, `*/4`, `1-5/2`, `5/15`).
fn parse_item(field: Field, text: &str, start: usize, end: usize) -> Result<u64, CronError> {
    let item = &text[start..end];
    let (base_end, step) = match item.find('/') {
        None => (end, None),
        Some(p) => {
            let slash = start + p;
            if let Some(q) = text[slash + 1..end].find('/') {
                let second = slash + 1 + q;
                return Err(CronError::new(
                    format!("`{}` has more than one `/` step", shown(item)),
                    second,
                    second + 1,
                )
                .help("an entry takes at most one step, e.g. `*/15` or `0-30/5`"));
            }
            (slash, Some(parse_step(text, slash, end)?))
        }
    };

    let base = &text[start..base_end];
    let (lo, hi) = if base.is_empty() {
        return Err(CronError::new(
            format!("the step `{}` has nothing before the `/`", shown(item)),
            start,
            end,
        )
        .help("write `*` before the step to mean every value, e.g. `*/15`"));
    } else if base == "*" {
        (field.min(), field.max())
    } else if let Some(p) = base.find('-') {
        let dash = start + p;
        let (a, b) = (&text[start..dash], &text[dash + 1..base_end]);
        if a.is_empty() {
            return Err(CronError::new(
                format!("the range `{}` has no start value", shown(base)),
                start,
                base_end,
            )
            .help("ranges are written start-end, e.g. `1-5`; negative values are not allowed"));
        }
        if let Some(q) = b.find('-') {
            let second = dash + 1 + q;
            return Err(CronError::new(
                format!("`{}` has more than one `-`", shown(base)),
                second,
                second + 1,
            )
            .help("a range has one start and one end, e.g. `1-5`"));
        }
        if b.is_empty() {
            return Err(CronError::new(
                format!("the range `{}` has no end value", shown(base)),
                start,
                base_end,
            )
            .help("ranges are written start-end, e.g. `1-5`"));
        }
        let lo = parse_value(field, text, start, dash)?;
        let hi = parse_value(field, text, dash + 1, base_end)?;
        if lo > hi {
            let split = format!(
                "{a}-{},{}-{b}",
                field.spell(field.max(), a),
                field.spell(field.min(), b)
            );
            return Err(CronError::new(
                format!("range {} runs backwards", shown(base)),
                start,
                base_end,
            )
            .help(format!(
                "Azure's cron does not wrap around: it would swap the ends and read `{}`; \
                 write that, or split the range in two to wrap around: `{}`",
                shown(&format!("{b}-{a}")),
                shown(&split)
            )));
        }
        (lo, hi)
    } else {
        let value = parse_value(field, text, start, base_end)?;
        // NCrontab reads `5/15` as `5-<max>/15`.
        (value, if step.is_some() { field.max() } else { value })
    };

    let step = step.unwrap_or(1);
    let mut mask = 0u64;
    let mut v = u32::from(lo);
    while v <= u32::from(hi) {
        mask |= 1 << v;
        v = v.saturating_add(step);
    }
    Ok(mask)
}

/// Parse the step after the `/` at byte `slash`, up to `end`.
fn parse_step(text: &str, slash: usize, end: usize) -> Result<u32, CronError> {
    let tok = &text[slash + 1..end];
    if tok.is_empty() {
        return Err(
            CronError::new("the step after `/` is missing", slash, slash + 1)
                .help("write a number after the `/`, e.g. `*/15`"),
        );
    }
    if !tok.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CronError::new(
            format!("`{}` is not a valid step", shown(tok)),
            slash + 1,
            end,
        )
        .help(if tok.starts_with(['-', '+']) {
            "a step is written in digits, 1 or more, e.g. `*/15`; \
             Azure would read a step below 1 as 1"
        } else {
            "a step is a whole number, e.g. `*/15` for every 15th value"
        }));
    }
    match parse_digits(tok) {
        Some(0) => Err(CronError::new("a step of 0 never advances", slash + 1, end)
            .help("use a step of 1 or more, e.g. `*/5`; for every value write no step")),
        // NCrontab parses the step as a 32-bit signed integer.
        Some(step) if step <= i32::MAX as u32 => Ok(step),
        _ => Err(CronError::new(
            format!("the step `{}` is too large", shown(tok)),
            slash + 1,
            end,
        )),
    }
}

/// Parse a single value (number or name) at `text[start..end]`.
fn parse_value(field: Field, text: &str, start: usize, end: usize) -> Result<u8, CronError> {
    let tok = &text[start..end];
    if tok == "*" {
        return Err(
            CronError::new("`*` cannot be part of a range", start, end).help(format!(
                "use `*` on its own for every {}, or give the range as numbers, e.g. `{}-{}`",
                field.name(),
                field.min(),
                field.max()
            )),
        );
    }
    if !tok.is_empty() && tok.bytes().all(|b| b.is_ascii_digit()) {
        let value = parse_digits(tok);
        return match value {
            Some(v) if v >= u32::from(field.min()) && v <= u32::from(field.max()) => Ok(v as u8),
            _ => {
                let err = CronError::new(
                    format!(
                        "the {} field allows {} to {}, not {}",
                        field.name(),
                        field.min(),
                        field.max(),
                        shown(tok)
                    ),
                    start,
                    end,
                );
                Err(match field.out_of_range_help(value) {
                    Some(help) => err.help(help),
                    None => err,
                })
            }
        };
    }
    let matching = matching_names(field, tok);
    match matching.as_slice() {
        [] => {}
        [v] => return Ok(*v),
        [first, ..] => {
            let names: Vec<String> = matching
                .iter()
                .map(|&v| field.names()[usize::from(v - field.min())].to_string())
                .collect();
            let abbreviations: Vec<String> =
                names.iter().map(|n| format!("`{}`", &n[..3])).collect();
            return Err(CronError::new(
                format!("`{tok}` could be {}", join_or(&names, "or")),
                start,
                end,
            )
            .help(format!(
                "write more of the name, e.g. {}; Azure would take the first, {}",
                join_or(&abbreviations, "or"),
                field.names()[usize::from(first - field.min())]
            )));
        }
    }

    let message = match field {
        Field::Month => format!(
            "`{}` is not a valid month; use 1 to 12 or a name such as Jan or January",
            shown(tok)
        ),
        Field::Weekday => format!(
            "`{}` is not a valid weekday; use 0 to 6 (Sunday is 0) or a name such as Mon or Monday",
            shown(tok)
        ),
        _ => format!(
            "`{}` is not a valid {}; the {} field allows numbers {} to {}",
            shown(tok),
            field.name(),
            field.name(),
            field.min(),
            field.max()
        ),
    };
    let err = CronError::new(message, start, end);
    let b = tok.as_bytes();
    let quartz_suffix = b.len() > 1
        && b[..b.len() - 1].iter().all(u8::is_ascii_digit)
        && matches!(b[b.len() - 1], b'L' | b'W' | b'l' | b'w');
    let help = if tok.contains('?') {
        Some("Azure's cron has no `?`; use `*` to mean any value".to_string())
    } else if tok.contains('#') || tok.eq_ignore_ascii_case("L") || quartz_suffix {
        Some("Azure's cron has no `L`, `W` or `#` modifiers; list the values explicitly".into())
    } else if field != Field::Month && tok.len() >= 3 && lookup_name(Field::Month, tok).is_some() {
        Some("month names go in the fourth field".into())
    } else if field != Field::Weekday
        && tok.len() >= 3
        && lookup_name(Field::Weekday, tok).is_some()
    {
        Some("weekday names go in the fifth field".into())
    } else {
        None
    };
    Err(match help {
        Some(help) => err.help(help),
        None => err,
    })
}

/// The values whose name starts with `tok`, ignoring ASCII case, in
/// calendar order: NCrontab accepts any prefix of a full name and takes the
/// first that fits.
fn matching_names(field: Field, tok: &str) -> Vec<u8> {
    if tok.is_empty() || !tok.is_ascii() {
        return Vec::new();
    }
    field
        .names()
        .iter()
        .enumerate()
        .filter(|(_, name)| name.len() >= tok.len() && name[..tok.len()].eq_ignore_ascii_case(tok))
        .map(|(i, _)| field.min() + i as u8)
        .collect()
}

/// The first value whose name starts with `tok`, as NCrontab picks it.
fn lookup_name(field: Field, tok: &str) -> Option<u8> {
    matching_names(field, tok).first().copied()
}

/// Decimal digits to a number; `None` on overflow.
fn parse_digits(tok: &str) -> Option<u32> {
    tok.bytes().try_fold(0u32, |acc, b| {
        acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

/// The token as shown in a message, shortened if it is very long.
fn shown(tok: &str) -> String {
    const LIMIT: usize = 24;
    if tok.chars().count() > LIMIT {
        let mut s: String = tok.chars().take(LIMIT).collect();
        s.push('…');
        s
    } else {
        tok.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Cron {
        match parse_cron(text) {
            Ok(c) => c,
            Err(e) => panic!("`{text}` should parse, got {e:?}"),
        }
    }

    fn err(text: &str) -> CronError {
        match parse_cron(text) {
            Ok(c) => panic!("`{text}` should fail, got {c:?}"),
            Err(e) => e,
        }
    }

    /// The text the error span covers.
    fn spanned<'a>(text: &'a str, e: &CronError) -> &'a str {
        &text[e.start..e.end]
    }

    fn range(lo: u8, hi: u8) -> Vec<u8> {
        (lo..=hi).collect()
    }

    #[test]
    fn all_stars() {
        let c = ok("* * * * *");
        assert_eq!(c.minutes, range(0, 59));
        assert_eq!(c.hours, range(0, 23));
        assert_eq!(c.days_of_month, range(1, 31));
        assert_eq!(c.months, range(1, 12));
        assert_eq!(c.days_of_week, range(0, 6));
    }

    #[test]
    fn field_forms() {
        let c = ok("5 3,5,6 1-3 */4 1,3-5");
        assert_eq!(c.minutes, vec![5]);
        assert_eq!(c.hours, vec![3, 5, 6]);
        assert_eq!(c.days_of_month, vec![1, 2, 3]);
        assert_eq!(c.months, vec![1, 5, 9]);
        assert_eq!(c.days_of_week, vec![1, 3, 4, 5]);

        let c = ok("1-5/2 */6 */10 * *");
        assert_eq!(c.minutes, vec![1, 3, 5]);
        assert_eq!(c.hours, vec![0, 6, 12, 18]);
        assert_eq!(c.days_of_month, vec![1, 11, 21, 31]);
    }

    #[test]
    fn boundaries_are_accepted() {
        let c = ok("0,59 0,23 1,31 1,12 0,6");
        assert_eq!(c.minutes, vec![0, 59]);
        assert_eq!(c.hours, vec![0, 23]);
        assert_eq!(c.days_of_month, vec![1, 31]);
        assert_eq!(c.months, vec![1, 12]);
        assert_eq!(c.days_of_week, vec![0, 6]);
    }

    #[test]
    fn spaces_between_fields_are_flexible() {
        assert_eq!(ok("  0 3   * *  1 "), ok("0 3 * * 1"));
    }

    #[test]
    fn only_spaces_separate_fields() {
        let text = "0\t3 * * 1";
        let e = err(text);
        assert_eq!(
            e.message,
            "Azure separates cron fields with plain spaces, not a tab"
        );
        assert_eq!((e.start, e.end), (1, 2));
        assert_eq!(e.help.as_deref(), Some("replace it with a space"));

        let e = err("0 3 * * 1\n");
        assert!(e.message.ends_with("not a line break"), "{}", e.message);
        assert_eq!((e.start, e.end), (9, 10));
    }

    #[test]
    fn single_value_with_step_runs_to_the_end() {
        assert_eq!(ok("5/15 * * * *").minutes, vec![5, 20, 35, 50]);
    }

    #[test]
    fn overlapping_entries_are_merged_and_sorted() {
        assert_eq!(ok("30,1-3,2,0 * * * *").minutes, vec![0, 1, 2, 3, 30]);
    }

    #[test]
    fn step_larger_than_the_field_keeps_the_start() {
        assert_eq!(ok("*/90 * * * *").minutes, vec![0]);
        assert_eq!(ok("10/2147483647 * * * *").minutes, vec![10]);
        // NCrontab reads the step as a 32-bit signed number.
        let text = "10/2147483648 * * * *";
        let e = err(text);
        assert_eq!(e.message, "the step `2147483648` is too large");
        assert_eq!(spanned(text, &e), "2147483648");
    }

    #[test]
    fn month_and_weekday_names() {
        let c = ok("0 0 * Jan,mar,DEC Mon-Fri");
        assert_eq!(c.months, vec![1, 3, 12]);
        assert_eq!(c.days_of_week, vec![1, 2, 3, 4, 5]);

        let c = ok("0 0 * january-March sunday,Saturday");
        assert_eq!(c.months, vec![1, 2, 3]);
        assert_eq!(c.days_of_week, vec![0, 6]);

        let c = ok("0 0 * Sept,Jun,Jul Tues,thurs");
        assert_eq!(c.months, vec![6, 7, 9]);
        assert_eq!(c.days_of_week, vec![2, 4]);

        // Any prefix of one name, as NCrontab matches them.
        let c = ok("0 0 * Fe,AU,D,Jan-Mar M,W,th,F,SA");
        assert_eq!(c.months, vec![1, 2, 3, 8, 12]);
        assert_eq!(c.days_of_week, vec![1, 3, 4, 5, 6]);
        let c = ok("20 * * january,FeB,Mar,april,May,JuNE,July,Augu,SEPT-October,Nov,DECEM *");
        assert_eq!(c.months, range(1, 12));

        let c = ok("0 0 * Mar,May,1-2 Sun-Tue/2");
        assert_eq!(c.months, vec![1, 2, 3, 5]);
        assert_eq!(c.days_of_week, vec![0, 2]);
    }

    #[test]
    fn ambiguous_name_prefixes_are_rejected() {
        let text = "0 0 * Ju *";
        let e = err(text);
        assert_eq!(e.message, "`Ju` could be June or July");
        assert_eq!(spanned(text, &e), "Ju");
        assert_eq!(
            e.help.as_deref(),
            Some("write more of the name, e.g. `Jun` or `Jul`; Azure would take the first, June")
        );
        assert_eq!(err("0 0 * ma *").message, "`ma` could be March or May");
        assert_eq!(
            err("0 0 * J *").message,
            "`J` could be January, June or July"
        );
        assert_eq!(err("0 0 * * S").message, "`S` could be Sunday or Saturday");
        assert_eq!(
            err("0 0 * * Mon-T").message,
            "`T` could be Tuesday or Thursday"
        );
    }

    #[test]
    fn signed_steps_are_rejected() {
        for text in ["*/-2 * * * *", "*/+2 * * * *"] {
            let e = err(text);
            assert!(e.message.ends_with("is not a valid step"), "{}", e.message);
            assert!(e.help.unwrap().contains("below 1 as 1"));
        }
    }

    #[test]
    fn names_are_rejected_where_they_do_not_belong() {
        let text = "0 0 * Mo *";
        let e = err(text);
        assert_eq!(spanned(text, &e), "Mo");
        assert!(e.message.contains("is not a valid month"), "{}", e.message);

        let text = "0 0 * * Janu";
        let e = err(text);
        assert_eq!(spanned(text, &e), "Janu");
        assert!(
            e.message.contains("is not a valid weekday"),
            "{}",
            e.message
        );
        assert_eq!(
            e.help.as_deref(),
            Some("month names go in the fourth field")
        );

        let text = "0 Mon * * *";
        let e = err(text);
        assert_eq!(
            e.message,
            "`Mon` is not a valid hour; the hour field allows numbers 0 to 23"
        );
        assert_eq!(
            e.help.as_deref(),
            Some("weekday names go in the fifth field")
        );
    }

    #[test]
    fn unix_time_round_trips_through_the_calendar() {
        for t in [
            0,
            951_782_400,
            1_796_270_400,
            -86_400,
            4_102_444_800 + 59 * 60,
        ] {
            assert_eq!(DateTime::from_unix(t).to_unix(), t - t.rem_euclid(60));
        }
        assert_eq!(
            DateTime::from_unix(951_782_400),
            DateTime::new(2000, 2, 29, 0, 0).unwrap()
        );
    }

    #[test]
    fn matches_basic_fields() {
        let c = ok("30 2 * * *");
        assert!(c.matches(30, 2, 17, 6, 3));
        assert!(!c.matches(31, 2, 17, 6, 3));
        assert!(!c.matches(30, 3, 17, 6, 3));

        let c = ok("0 9 * Jan-Mar Mon-Fri");
        assert!(c.matches(0, 9, 10, 2, 1));
        assert!(!c.matches(0, 9, 10, 4, 1), "April is excluded");
        assert!(!c.matches(0, 9, 10, 2, 0), "Sunday is excluded");
        assert!(
            !c.matches(0, 9, 10, 2, 7),
            "out-of-range weekday never matches"
        );
    }

    #[test]
    fn matches_day_of_month_and_weekday_when_both_restricted() {
        // 04:30 on the 1st and 15th when it is a Friday (not Vixie's "or").
        let c = ok("30 4 1,15 * 5");
        assert!(c.matches(30, 4, 1, 3, 5), "the 1st, a Friday");
        assert!(c.matches(30, 4, 15, 3, 5), "the 15th, a Friday");
        assert!(!c.matches(30, 4, 1, 3, 2), "the 1st, a Tuesday");
        assert!(!c.matches(30, 4, 15, 3, 0), "the 15th, a Sunday");
        assert!(!c.matches(30, 4, 8, 3, 5), "the 8th, a Friday");
    }

    #[test]
    fn matches_day_fields_together_when_one_is_a_star() {
        let c = ok("0 0 * * 5");
        assert!(c.matches(0, 0, 8, 3, 5));
        assert!(!c.matches(0, 0, 1, 3, 4));

        let c = ok("0 0 13 * *");
        assert!(c.matches(0, 0, 13, 3, 2));
        assert!(!c.matches(0, 0, 12, 3, 2));

        // A stepped star still counts as unrestricted: both must match.
        let c = ok("0 0 */2 * 5");
        assert!(c.matches(0, 0, 3, 3, 5));
        assert!(!c.matches(0, 0, 4, 3, 5), "even day");
        assert!(!c.matches(0, 0, 3, 3, 4), "not a Friday");
    }

    fn at(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> DateTime {
        DateTime::new(year, month, day, hour, minute).expect("a valid minute")
    }

    fn next(text: &str, t: DateTime) -> Option<DateTime> {
        ok(text).next_after(t)
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(at(2003, 9, 1, 0, 0).weekday(), 1, "a Monday");
        assert_eq!(at(2044, 2, 29, 0, 0).weekday(), 1, "a Monday");
        assert_eq!(at(2000, 1, 1, 0, 0).weekday(), 6, "a Saturday");
        assert_eq!(DateTime::new(2023, 2, 29, 0, 0), None);
        assert!(DateTime::new(2024, 2, 29, 0, 0).is_some());
        assert_eq!(DateTime::new(1900, 2, 29, 0, 0), None);
        assert_eq!(DateTime::new(2026, 4, 31, 0, 0), None);
        assert_eq!(DateTime::new(2026, 1, 1, 24, 0), None);
        assert_eq!(at(2026, 3, 7, 9, 5).to_string(), "2026-03-07 09:05");
    }

    #[test]
    fn next_after_intersects_the_day_fields_as_ncrontab_does() {
        // NCrontab's own test cases.
        let c = "45 16 1 * Mon";
        assert_eq!(next(c, at(2003, 1, 1, 0, 0)), Some(at(2003, 9, 1, 16, 45)));
        assert_eq!(next(c, at(2003, 1, 1, 12, 0)), Some(at(2003, 9, 1, 16, 45)));
        assert_eq!(
            next(c, at(2003, 9, 1, 23, 45)),
            Some(at(2003, 12, 1, 16, 45))
        );
        // Friday the 13th only.
        assert_eq!(
            next("0 0 13 * Fri", at(2026, 1, 1, 0, 0)),
            Some(at(2026, 2, 13, 0, 0))
        );
        assert_eq!(
            next("0 0 13 * Fri", at(2026, 2, 13, 0, 0)),
            Some(at(2026, 3, 13, 0, 0))
        );
        assert_eq!(
            next("0 0 13 * Fri", at(2026, 3, 13, 0, 0)),
            Some(at(2026, 11, 13, 0, 0))
        );
    }

    #[test]
    fn next_after_first_monday_of_the_month() {
        let c = "0 6 1-7 * Mon";
        assert_eq!(next(c, at(2026, 12, 2, 0, 0)), Some(at(2026, 12, 7, 6, 0)));
        assert_eq!(next(c, at(2026, 12, 7, 6, 0)), Some(at(2027, 1, 4, 6, 0)));
    }

    #[test]
    fn next_after_daily() {
        let c = "0 3 * * *";
        assert_eq!(next(c, at(2026, 5, 10, 2, 59)), Some(at(2026, 5, 10, 3, 0)));
        assert_eq!(
            next(c, at(2026, 5, 10, 3, 0)),
            Some(at(2026, 5, 11, 3, 0)),
            "strictly after"
        );
        assert_eq!(next(c, at(2026, 12, 31, 3, 0)), Some(at(2027, 1, 1, 3, 0)));
        assert_eq!(
            next(c, at(2024, 2, 28, 23, 59)),
            Some(at(2024, 2, 29, 3, 0))
        );
        assert_eq!(next(c, at(2023, 2, 28, 4, 0)), Some(at(2023, 3, 1, 3, 0)));
        assert_eq!(
            next("* * * * *", at(2026, 12, 31, 23, 59)),
            Some(at(2027, 1, 1, 0, 0))
        );
    }

    #[test]
    fn next_after_working_hours() {
        let c = "*/15 9-17 * * Mon-Fri";
        // Wednesday 2026-12-02.
        assert_eq!(next(c, at(2026, 12, 2, 8, 0)), Some(at(2026, 12, 2, 9, 0)));
        assert_eq!(next(c, at(2026, 12, 2, 9, 0)), Some(at(2026, 12, 2, 9, 15)));
        assert_eq!(
            next(c, at(2026, 12, 2, 9, 46)),
            Some(at(2026, 12, 2, 10, 0))
        );
        assert_eq!(
            next(c, at(2026, 12, 2, 17, 44)),
            Some(at(2026, 12, 2, 17, 45))
        );
        assert_eq!(
            next(c, at(2026, 12, 2, 17, 45)),
            Some(at(2026, 12, 3, 9, 0))
        );
        // Friday evening to Monday morning.
        assert_eq!(
            next(c, at(2026, 12, 4, 17, 45)),
            Some(at(2026, 12, 7, 9, 0))
        );
        assert_eq!(next(c, at(2026, 12, 5, 12, 0)), Some(at(2026, 12, 7, 9, 0)));
    }

    #[test]
    fn next_after_leap_days() {
        let c = "0 0 29 2 *";
        assert_eq!(next(c, at(2026, 1, 1, 0, 0)), Some(at(2028, 2, 29, 0, 0)));
        assert_eq!(next(c, at(2028, 2, 29, 0, 0)), Some(at(2032, 2, 29, 0, 0)));
        // 2100 is not a leap year, 2000 is.
        assert_eq!(next(c, at(2096, 3, 1, 0, 0)), Some(at(2104, 2, 29, 0, 0)));
        assert_eq!(next(c, at(1996, 3, 1, 0, 0)), Some(at(2000, 2, 29, 0, 0)));

        // February 29 on a Monday: 2044, 2072, then 40 years to 2112.
        let c = "0 0 29 2 Mon";
        assert_eq!(next(c, at(2026, 12, 2, 0, 0)), Some(at(2044, 2, 29, 0, 0)));
        assert_eq!(next(c, at(2044, 2, 29, 0, 0)), Some(at(2072, 2, 29, 0, 0)));
        assert_eq!(next(c, at(2072, 2, 29, 0, 0)), Some(at(2112, 2, 29, 0, 0)));
        // NCrontab's test: from 9000-01-01 the next is 9008-02-29.
        assert_eq!(next(c, at(9000, 1, 1, 0, 0)), Some(at(9008, 2, 29, 0, 0)));
    }

    #[test]
    fn next_after_month_ends() {
        let c = "0 0 31 * *";
        assert_eq!(next(c, at(2026, 1, 31, 0, 0)), Some(at(2026, 3, 31, 0, 0)));
        assert_eq!(next(c, at(2026, 7, 31, 0, 0)), Some(at(2026, 8, 31, 0, 0)));
        assert_eq!(next(c, at(2026, 8, 31, 0, 0)), Some(at(2026, 10, 31, 0, 0)));
        // NCrontab's sequence for `0 0 15,30,31 * *` from 2000-01-31.
        let c = "0 0 15,30,31 * *";
        let mut t = at(2000, 1, 31, 0, 0);
        let mut seen = Vec::new();
        for _ in 0..5 {
            t = next(c, t).expect("fires");
            seen.push(t.to_string());
        }
        assert_eq!(
            seen,
            [
                "2000-02-15 00:00",
                "2000-03-15 00:00",
                "2000-03-30 00:00",
                "2000-03-31 00:00",
                "2000-04-15 00:00"
            ]
        );
        assert_eq!(
            next("59 23 30 4 *", at(2026, 4, 30, 23, 58)),
            Some(at(2026, 4, 30, 23, 59))
        );
        assert_eq!(
            next("59 23 30 4 *", at(2026, 4, 30, 23, 59)),
            Some(at(2027, 4, 30, 23, 59))
        );
    }

    #[test]
    fn next_after_matches_a_minute_by_minute_search() {
        // The fast walk agrees with checking every minute over a few months.
        for text in [
            "7,37 */5 1-3,28-31 * Tue,Sat",
            "0 0 */10 Feb,Mar Sun",
            "*/20 23 29 * *",
        ] {
            let c = ok(text);
            let mut t = at(2027, 12, 25, 0, 0);
            let mut expected = t;
            for _ in 0..6 {
                let got = c.next_after(t).expect("fires");
                loop {
                    expected = step_minute(expected);
                    if c.matches(
                        expected.minute,
                        expected.hour,
                        expected.day,
                        expected.month,
                        expected.weekday(),
                    ) {
                        break;
                    }
                }
                assert_eq!(got, expected, "{text} after {t}");
                t = got;
            }
        }
    }

    fn step_minute(t: DateTime) -> DateTime {
        let (y, mo, d, h, mi) = (t.year, t.month, t.day, t.hour, t.minute);
        DateTime::new(y, mo, d, h, mi + 1)
            .or_else(|| DateTime::new(y, mo, d, h + 1, 0))
            .or_else(|| DateTime::new(y, mo, d + 1, 0, 0))
            .or_else(|| DateTime::new(y, mo + 1, 1, 0, 0))
            .unwrap_or_else(|| at(y + 1, 1, 1, 0, 0))
    }

    #[test]
    fn never_firing_schedules() {
        for text in [
            "0 3 31 2 *",
            "0 0 30 2 *",
            "0 0 30,31 Feb Mon",
            "0 0 31 4,6,9,11 *",
            "0 0 31 Apr-Jun/2 *",
        ] {
            let c = ok(text);
            assert!(c.never_fires().is_some(), "{text}");
            assert_eq!(c.next_after(at(2026, 1, 1, 0, 0)), None, "{text}");
            assert_eq!(c.next_after(at(-3, 6, 1, 0, 0)), None, "{text}");
        }
        let never = |text: &str| ok(text).never_fires().expect("never fires");
        assert_eq!(
            never("0 3 31 2 *"),
            NeverFires {
                reason: "day 31 never occurs in February".into(),
                months: "February".into(),
                last_day: 28
            }
        );
        assert_eq!(
            never("0 0 30,31 2 *").reason,
            "days 30 and 31 never occur in February"
        );
        assert_eq!(
            never("0 0 31 4,6,9,11 *"),
            NeverFires {
                reason: "day 31 never occurs in April, June, September or November".into(),
                months: "each of those months".into(),
                last_day: 30
            }
        );
        assert_eq!(never("0 0 31 2,4 *").last_day, 28);

        for text in [
            "0 0 29 2 Mon",
            "0 0 31 1-4 *",
            "0 0 30 2,4 *",
            "0 0 1 * Mon",
        ] {
            assert_eq!(ok(text).never_fires(), None, "{text}");
            assert!(
                ok(text).next_after(at(2026, 1, 1, 0, 0)).is_some(),
                "{text}"
            );
        }
    }

    #[test]
    fn next_after_stops_at_the_last_representable_year() {
        let last = at(i32::MAX, 12, 31, 23, 59);
        assert_eq!(next("* * * * *", last), None);
        assert_eq!(next("* * * * *", at(i32::MAX, 12, 31, 23, 58)), Some(last));
    }

    #[test]
    fn wrong_field_counts() {
        let text = "0 0 3 * * *";
        let e = err(text);
        assert_eq!(
            e.message,
            "a cron schedule has 5 fields (minute hour day month weekday), this one has 6"
        );
        assert_eq!(
            e.help.as_deref(),
            Some("Azure schedules have no seconds field; drop the first field")
        );
        assert_eq!((e.start, e.end), (0, text.len()));

        let e = err("0 3 * *");
        assert!(e.message.ends_with("this one has 4"), "{}", e.message);
        assert!(e.help.is_some());

        let e = err("0 0 3 * * ? 2025");
        assert!(e.message.ends_with("this one has 7"), "{}", e.message);
        assert!(e.help.unwrap().contains("year"));
    }

    #[test]
    fn empty_schedule() {
        for text in ["", "   ", "\t\n"] {
            let e = err(text);
            assert_eq!(e.message, "the cron schedule is empty");
            assert_eq!((e.start, e.end), (0, text.len()));
        }
    }

    #[test]
    fn shortcuts_are_explained() {
        let text = " @daily";
        let e = err(text);
        assert_eq!(
            e.message,
            "Azure schedules do not support shortcuts like `@daily`"
        );
        assert_eq!(spanned(text, &e), "@daily");
        assert_eq!(
            e.help.as_deref(),
            Some("write the five fields instead: `0 0 * * *`")
        );
        assert!(err("@weekly").help.unwrap().contains("`0 0 * * 0`"));
    }

    #[test]
    fn out_of_range_values() {
        let cases = [
            (
                "60 * * * *",
                "60",
                "the minute field allows 0 to 59, not 60",
            ),
            ("0 24 * * *", "24", "the hour field allows 0 to 23, not 24"),
            ("0 0 0 * *", "0", "the day field allows 1 to 31, not 0"),
            ("0 0 32 * *", "32", "the day field allows 1 to 31, not 32"),
            ("0 0 * 13 *", "13", "the month field allows 1 to 12, not 13"),
            ("0 0 * 0 *", "0", "the month field allows 1 to 12, not 0"),
            ("0 0 * * 7", "7", "the weekday field allows 0 to 6, not 7"),
            ("0 0 * * 1-7", "7", "the weekday field allows 0 to 6, not 7"),
        ];
        for (text, token, message) in cases {
            let e = err(text);
            assert_eq!(e.message, message, "for `{text}`");
            assert_eq!(spanned(text, &e), token, "for `{text}`");
        }
        assert_eq!(
            err("0 24 * * *").help.as_deref(),
            Some("midnight is hour 0")
        );
        assert!(err("0 0 * * 7").help.unwrap().contains("Sunday is 0"));
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        let text = "0 99999999999999999999 * * *";
        let e = err(text);
        assert_eq!(
            e.message,
            "the hour field allows 0 to 23, not 99999999999999999999"
        );
        assert_eq!(spanned(text, &e), "99999999999999999999");

        let long = format!("{} * * * *", "9".repeat(500));
        let e = err(&long);
        assert!(e.message.len() < 100, "{}", e.message);
        assert!(e.message.ends_with('…'));
        assert_eq!((e.start, e.end), (0, 500));

        let text = "*/99999999999999999999 * * * *";
        let e = err(text);
        assert_eq!(e.message, "the step `99999999999999999999` is too large");
        assert_eq!(spanned(text, &e), "99999999999999999999");
    }

    #[test]
    fn zero_step() {
        let text = "*/0 * * * *";
        let e = err(text);
        assert_eq!(e.message, "a step of 0 never advances");
        assert_eq!(spanned(text, &e), "0");
        assert!(e.help.is_some());
        assert_eq!(err("0 1-5/00 * * *").message, "a step of 0 never advances");
    }

    #[test]
    fn bad_steps() {
        let text = "*/ * * * *";
        let e = err(text);
        assert_eq!(e.message, "the step after `/` is missing");
        assert_eq!(spanned(text, &e), "/");

        let text = "*/x * * * *";
        let e = err(text);
        assert_eq!(e.message, "`x` is not a valid step");
        assert_eq!(spanned(text, &e), "x");

        let text = "*/2/3 * * * *";
        let e = err(text);
        assert_eq!(e.message, "`*/2/3` has more than one `/` step");
        assert_eq!((e.start, e.end), (3, 4));

        let text = "/5 * * * *";
        let e = err(text);
        assert_eq!(e.message, "the step `/5` has nothing before the `/`");
        assert_eq!(spanned(text, &e), "/5");
    }

    #[test]
    fn backwards_ranges() {
        let text = "0 0 * * 5-3";
        let e = err(text);
        assert_eq!(e.message, "range 5-3 runs backwards");
        assert_eq!(spanned(text, &e), "5-3");
        assert_eq!(
            e.help.as_deref(),
            Some(
                "Azure's cron does not wrap around: it would swap the ends and read `3-5`; \
                 write that, or split the range in two to wrap around: `5-6,0-3`"
            )
        );

        let text = "0 0 * * Fri-Mon";
        let e = err(text);
        assert_eq!(e.message, "range Fri-Mon runs backwards");
        let help = e.help.unwrap();
        assert!(help.contains("`Mon-Fri`"), "{help}");
        assert!(help.contains("`Fri-Sat,Sun-Mon`"), "{help}");

        // NCrontab reads `Mon-Sun` as Sunday and Monday only.
        let e = err("0 0 * * Mon-Sun");
        assert!(e.help.unwrap().contains("`Sun-Mon`"));
        let e = err("0 0 * * 5-1/2");
        assert_eq!(e.message, "range 5-1 runs backwards");

        let e = err("0 22-2 * * *");
        assert!(e.help.unwrap().contains("`22-23,0-2`"));
    }

    #[test]
    fn malformed_ranges() {
        let text = "0 -5 * * *";
        let e = err(text);
        assert_eq!(e.message, "the range `-5` has no start value");
        assert_eq!(spanned(text, &e), "-5");

        let text = "0 5- * * *";
        let e = err(text);
        assert_eq!(e.message, "the range `5-` has no end value");

        let text = "0 1-2-3 * * *";
        let e = err(text);
        assert_eq!(e.message, "`1-2-3` has more than one `-`");
        assert_eq!((e.start, e.end), (5, 6));

        let text = "0 *-5 * * *";
        let e = err(text);
        assert_eq!(e.message, "`*` cannot be part of a range");
        assert_eq!(spanned(text, &e), "*");
    }

    #[test]
    fn empty_entries_point_at_the_comma() {
        let text = "1,,3 * * * *";
        let e = err(text);
        assert_eq!(e.message, "the minute field has an empty entry");
        assert_eq!((e.start, e.end), (2, 3));

        let text = "0 1, * * *";
        let e = err(text);
        assert_eq!(e.message, "the hour field has an empty entry");
        assert_eq!((e.start, e.end), (3, 4));

        let text = "0 0 ,1 * *";
        let e = err(text);
        assert_eq!(e.message, "the day field has an empty entry");
        assert_eq!((e.start, e.end), (4, 5));
    }

    #[test]
    fn not_a_number() {
        let text = "0 0 1 * abc";
        let e = err(text);
        assert_eq!(
            e.message,
            "`abc` is not a valid weekday; use 0 to 6 (Sunday is 0) or a name such as Mon or Monday"
        );
        assert_eq!(spanned(text, &e), "abc");

        let text = "1.5 * * * *";
        let e = err(text);
        assert_eq!(spanned(text, &e), "1.5");
    }

    #[test]
    fn quartz_syntax_gets_a_hint() {
        let e = err("0 0 ? * Mon");
        assert!(e.help.unwrap().contains("`?`"));
        let e = err("0 0 L * *");
        assert!(e.help.unwrap().contains("`L`"));
        let e = err("0 0 15W * *");
        assert!(e.help.unwrap().contains("`W`"));
        let e = err("0 0 * * 5#3");
        assert!(e.help.unwrap().contains("`#`"));
    }

    #[test]
    fn non_ascii_text_does_not_panic() {
        let text = "0 0 * * Lündi";
        let e = err(text);
        assert_eq!(spanned(text, &e), "Lündi");

        let text = "0\u{3000}0 * * *"; // an ideographic space is not a separator
        let e = err(text);
        assert_eq!(spanned(text, &e), "\u{3000}");
        assert!(e.message.ends_with("U+3000"), "{}", e.message);

        for text in [
            "é",
            "0 0 * * é-ü",
            "0 0 * ü/é *",
            "ü,é * * * *",
            "0 0 * * 日曜日",
            "💥 💥 💥 💥 💥",
            "0 0 * * Mon-💥",
            "*/💥 * * * *",
        ] {
            let e = err(text);
            assert!(e.start <= e.end && e.end <= text.len(), "{text}: {e:?}");
            assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
        }
    }

    #[test]
    fn never_panics_on_arbitrary_short_inputs() {
        let alphabet = [
            "0",
            "7",
            "59",
            "*",
            "/",
            "-",
            ",",
            " ",
            "Mon",
            "ä",
            "99999999999",
        ];
        let mut text = String::new();
        // Deterministic pseudo-random walk over combinations.
        let mut seed: u32 = 12345;
        for _ in 0..20_000 {
            text.clear();
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let len = (seed >> 16) % 14;
            for _ in 0..len {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                text.push_str(alphabet[((seed >> 16) as usize) % alphabet.len()]);
            }
            match parse_cron(&text) {
                Ok(c) => {
                    for set in [
                        &c.minutes,
                        &c.hours,
                        &c.days_of_month,
                        &c.months,
                        &c.days_of_week,
                    ] {
                        assert!(set.windows(2).all(|w| w[0] < w[1]), "{text}");
                    }
                }
                Err(e) => {
                    assert!(e.start <= e.end && e.end <= text.len(), "{text}: {e:?}");
                    assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
                    assert!(!e.message.is_empty());
                }
            }
        }
    }
}
