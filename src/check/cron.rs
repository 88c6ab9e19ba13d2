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
//! Each field is a comma-separated list of entries; an entry is `*`, a value
//! (`5`), a range (`1-3`, `Mon-Fri`), optionally followed by a step (`*/4`,
//! `1-5/2`, or `5/15`, which means `5-<max>/15`). Names are matched without
//! regard to case and may be the three-letter abbreviation, the full name, or
//! any prefix of the full name at least three letters long (`Sept`, `Tues`),
//! as NCrontab accepts them. Weekday 7 is rejected: NCrontab only knows 0-6.
//!
//! [`parse_cron`] turns the text into a [`Cron`] holding, per field, the sorted
//! set of values it allows, or a [`CronError`] whose message is written for a
//! release engineer and whose byte span points at the offending field or token.
//! [`Cron::matches`] answers whether a given minute falls on the schedule.

/// A problem in a cron expression; `start..end` are byte offsets into its text.
pub type CronError = super::located::LocatedError;

/// A parsed schedule: for each field the sorted set of allowed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    pub minutes: Vec<u8>,
    pub hours: Vec<u8>,
    pub days_of_month: Vec<u8>,
    pub months: Vec<u8>,
    /// Sunday is 0, Saturday is 6.
    pub days_of_week: Vec<u8>,
    /// True when both the day-of-month and the weekday field are restricted
    /// (neither starts with `*`): then a day matches when *either* field
    /// matches, as in classic cron. Otherwise both must match.
    pub days_either: bool,
}

impl Cron {
    /// Whether the schedule fires at this minute. `weekday` uses Sunday = 0;
    /// values outside a field's range never match.
    pub fn matches(&self, minute: u8, hour: u8, day: u8, month: u8, weekday: u8) -> bool {
        let has = |set: &[u8], value: u8| set.binary_search(&value).is_ok();
        if !(has(&self.minutes, minute) && has(&self.hours, hour) && has(&self.months, month)) {
            return false;
        }
        let dom = has(&self.days_of_month, day);
        let dow = has(&self.days_of_week, weekday);
        if self.days_either {
            dom || dow
        } else {
            dom && dow
        }
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
pub(crate) const WEEKDAYS: [&str; 7] = [
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
    let fields = split_fields(text);
    if fields.is_empty() {
        return Err(CronError::new("the cron schedule is empty", 0, text.len())
            .help("write five fields: minute hour day month weekday, e.g. `0 3 * * Mon-Fri`"));
    }
    if fields.len() != 5 {
        return Err(field_count_error(text, &fields));
    }

    let mut masks = [0u64; 5];
    for ((field, &(start, end)), mask) in Field::ALL.iter().zip(&fields).zip(&mut masks) {
        *mask = parse_field(*field, text, start, end)?;
    }
    let starred = |(start, end): (usize, usize)| text[start..end].starts_with('*');
    let to_vec = |mask: u64| -> Vec<u8> { (0u8..64).filter(|v| mask & (1 << v) != 0).collect() };

    Ok(Cron {
        minutes: to_vec(masks[0]),
        hours: to_vec(masks[1]),
        days_of_month: to_vec(masks[2]),
        months: to_vec(masks[3]),
        days_of_week: to_vec(masks[4]),
        days_either: !starred(fields[2]) && !starred(fields[4]),
    })
}

/// Byte spans of the whitespace-separated fields.
fn split_fields(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
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
                "ranges cannot wrap around; write the smaller value first, \
                 or split it in two: `{}`",
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
        .help("a step is a whole number, e.g. `*/15` for every 15th value"));
    }
    match parse_digits(tok) {
        Some(0) => Err(CronError::new("a step of 0 never advances", slash + 1, end)
            .help("use a step of 1 or more, e.g. `*/5`")),
        Some(step) => Ok(step),
        None => Err(CronError::new(
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
    if let Some(v) = lookup_name(field, tok) {
        return Ok(v);
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
    } else if field != Field::Month && lookup_name(Field::Month, tok).is_some() {
        Some("month names go in the fourth field".into())
    } else if field != Field::Weekday && lookup_name(Field::Weekday, tok).is_some() {
        Some("weekday names go in the fifth field".into())
    } else {
        None
    };
    Err(match help {
        Some(help) => err.help(help),
        None => err,
    })
}

/// Match a month or weekday name: any prefix of the full name at least three
/// letters long, ignoring case.
fn lookup_name(field: Field, tok: &str) -> Option<u8> {
    if tok.len() < 3 || !tok.is_ascii() {
        return None;
    }
    field
        .names()
        .iter()
        .position(|name| name.len() >= tok.len() && name[..tok.len()].eq_ignore_ascii_case(tok))
        .map(|i| field.min() + i as u8)
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
        assert!(!c.days_either);
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
    fn whitespace_between_fields_is_flexible() {
        assert_eq!(ok("  0\t3   * *  1 \n"), ok("0 3 * * 1"));
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
        assert_eq!(ok("10/4000000000 * * * *").minutes, vec![10]);
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

        let c = ok("0 0 * Mar,May,1-2 Sun-Tue/2");
        assert_eq!(c.months, vec![1, 2, 3, 5]);
        assert_eq!(c.days_of_week, vec![0, 2]);
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
    fn days_either_only_when_both_day_fields_are_restricted() {
        assert!(ok("0 0 1,15 * Fri").days_either);
        assert!(!ok("0 0 1,15 * *").days_either);
        assert!(!ok("0 0 * * Fri").days_either);
        assert!(!ok("0 0 */2 * Fri").days_either);
        assert!(!ok("0 0 1 * */2").days_either);
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
    fn matches_day_of_month_or_weekday_when_both_restricted() {
        // 04:30 on the 1st and 15th, plus every Friday.
        let c = ok("30 4 1,15 * 5");
        assert!(c.matches(30, 4, 1, 3, 2), "the 1st, a Tuesday");
        assert!(c.matches(30, 4, 15, 3, 0), "the 15th, a Sunday");
        assert!(c.matches(30, 4, 8, 3, 5), "the 8th, a Friday");
        assert!(!c.matches(30, 4, 8, 3, 4), "the 8th, a Thursday");
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
        assert!(e.help.unwrap().contains("`5-6,0-3`"));

        let text = "0 0 * * Fri-Mon";
        let e = err(text);
        assert_eq!(e.message, "range Fri-Mon runs backwards");
        assert!(e.help.unwrap().contains("`Fri-Sat,Sun-Mon`"));

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

        let text = "0\u{3000}0 * * *"; // ideographic space separates fields
        assert_eq!(ok(text).hours, vec![0]);

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
