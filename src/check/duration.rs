//! Durations as written in the .release language.
//!
//! A duration is a single token made of one or more `<number><unit>` parts,
//! such as `3d`, `30m`, `1h30m`, `90s`, `2h` or `1d12h`. The units are `d`
//! (days), `h` (hours), `m` (minutes) and `s` (seconds); each may appear at
//! most once, and they must come from largest to smallest. Numbers are whole
//! decimal numbers and are not bounded per unit, so `90m` is as valid as
//! `1h30m`.
//!
//! [`parse_duration`] turns the token into a [`Duration`] (a number of
//! seconds) or a [`DurationError`] whose byte span points at the offending
//! number or unit. [`Duration`]'s `Display` prints the canonical form, e.g.
//! `1d12h`, `30m` or `0s`.

use std::fmt;

/// A length of time, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Duration {
    pub seconds: u64,
}

impl Duration {
    /// The number of minutes, rounding any partial minute up.
    pub fn minutes_ceil(self) -> u64 {
        self.seconds.div_ceil(60)
    }

    /// The number of minutes, or `None` if this is not a whole number of minutes.
    pub fn whole_minutes(self) -> Option<u64> {
        self.seconds.is_multiple_of(60).then_some(self.seconds / 60)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seconds == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.seconds;
        for unit in Unit::ALL {
            let n = rest / unit.seconds();
            rest %= unit.seconds();
            if n > 0 {
                write!(f, "{n}{}", unit.letter())?;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_duration(text)
    }
}

/// A problem in a duration; `start..end` are byte offsets into its text.
pub type DurationError = super::located::LocatedError;

const UNITS_HELP: &str =
    "durations use d (days), h (hours), m (minutes) and s (seconds), e.g. 30m or 1h30m";

/// Units from largest to smallest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Day,
    Hour,
    Minute,
    Second,
}

impl Unit {
    const ALL: [Unit; 4] = [Unit::Day, Unit::Hour, Unit::Minute, Unit::Second];

    fn from_text(text: &str) -> Option<Unit> {
        match text {
            "d" => Some(Unit::Day),
            "h" => Some(Unit::Hour),
            "m" => Some(Unit::Minute),
            "s" => Some(Unit::Second),
            _ => None,
        }
    }

    fn letter(self) -> char {
        match self {
            Unit::Day => 'd',
            Unit::Hour => 'h',
            Unit::Minute => 'm',
            Unit::Second => 's',
        }
    }

    fn seconds(self) -> u64 {
        match self {
            Unit::Day => 86_400,
            Unit::Hour => 3_600,
            Unit::Minute => 60,
            Unit::Second => 1,
        }
    }
}

/// Parse a duration token such as `30m` or `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if text.is_empty() {
        return Err(DurationError::new("the duration is empty", 0, 0).help(UNITS_HELP));
    }
    if let Some((i, c)) = text.char_indices().find(|(_, c)| c.is_whitespace()) {
        return Err(
            DurationError::new("a duration cannot contain spaces", i, i + c.len_utf8())
                .help("write the parts together, e.g. 1h30m"),
        );
    }

    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut previous: Option<Unit> = None;

    while i < len {
        let num_start = i;
        while i < len && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let num_end = i;
        // The unit is everything up to the next digit. ASCII digits are always
        // char boundaries, so the slice below is valid UTF-8.
        while i < len && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        let (unit_start, unit_end) = (num_end, i);
        let number = &text[num_start..num_end];
        let unit_text = &text[unit_start..unit_end];

        if number.is_empty() {
            return Err(missing_number(text, unit_start, unit_end));
        }
        if unit_text.is_empty() {
            return Err(DurationError::new(
                format!("the number `{}` has no unit", shown(number)),
                num_start,
                num_end,
            )
            .help(format!(
                "add a unit, e.g. {0}s for seconds or {0}m for minutes",
                shown(number)
            )));
        }
        if unit_text.starts_with(['.', ',']) {
            // Include the fractional digits in the span.
            let mut frac_end = unit_start + 1;
            while frac_end < len && bytes[frac_end].is_ascii_digit() {
                frac_end += 1;
            }
            return Err(DurationError::new(
                "durations take whole numbers, not fractions",
                num_start,
                frac_end,
            )
            .help("split it into smaller units, e.g. 1h30m rather than 1.5h"));
        }
        let Some(unit) = Unit::from_text(unit_text) else {
            return Err(unknown_unit(unit_text, unit_start, unit_end));
        };
        if let Some(prev) = previous {
            if unit == prev {
                return Err(DurationError::new(
                    format!("the unit `{}` appears more than once", unit.letter()),
                    unit_start,
                    unit_end,
                )
                .help("give each unit once, e.g. 1h30m"));
            }
            if unit < prev {
                return Err(DurationError::new(
                    format!(
                        "`{}` comes after `{}`; units go from largest to smallest",
                        unit.letter(),
                        prev.letter()
                    ),
                    unit_start,
                    unit_end,
                )
                .help("write days, then hours, then minutes, then seconds, e.g. 1d12h or 1h30m"));
            }
        }
        previous = Some(unit);

        let too_long = || {
            DurationError::new("this duration is too long", num_start, unit_end)
                .help("durations must fit in 2^64 - 1 seconds")
        };
        let value = parse_digits(number).ok_or_else(too_long)?;
        let seconds = value.checked_mul(unit.seconds()).ok_or_else(too_long)?;
        total = total.checked_add(seconds).ok_or_else(too_long)?;
    }
    Ok(Duration { seconds: total })
}

fn missing_number(text: &str, start: usize, end: usize) -> DurationError {
    let unit_text = &text[start..end];
    if start == 0 && unit_text.starts_with('-') {
        return DurationError::new("a duration cannot be negative", 0, 1).help(UNITS_HELP);
    }
    if Unit::from_text(unit_text).is_some() {
        return DurationError::new(
            format!("the unit `{unit_text}` has no number before it"),
            start,
            end,
        )
        .help(format!("put the amount first, e.g. 30{unit_text}"));
    }
    DurationError::new(
        format!("expected a number, found `{}`", shown(unit_text)),
        start,
        end,
    )
    .help(UNITS_HELP)
}

fn unknown_unit(unit_text: &str, start: usize, end: usize) -> DurationError {
    let lower = unit_text.to_ascii_lowercase();
    let help = if Unit::from_text(&lower).is_some() {
        format!("units are lower-case: write `{lower}`")
    } else {
        UNITS_HELP.to_string()
    };
    DurationError::new(format!("unknown unit `{}`", shown(unit_text)), start, end).help(help)
}

fn parse_digits(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |acc, b| {
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// The text as shown in a message, shortened if it is very long.
fn shown(text: &str) -> String {
    const LIMIT: usize = 24;
    if text.chars().count() > LIMIT {
        let mut s: String = text.chars().take(LIMIT).collect();
        s.push('…');
        s
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        match parse_duration(text) {
            Ok(d) => d.seconds,
            Err(e) => panic!("`{text}` should parse, got {e:?}"),
        }
    }

    fn err(text: &str) -> DurationError {
        match parse_duration(text) {
            Ok(d) => panic!("`{text}` should fail, got {d:?}"),
            Err(e) => e,
        }
    }

    fn spanned<'a>(text: &'a str, e: &DurationError) -> &'a str {
        &text[e.start..e.end]
    }

    #[test]
    fn valid_durations() {
        assert_eq!(secs("3d"), 3 * 86_400);
        assert_eq!(secs("30m"), 1_800);
        assert_eq!(secs("1h30m"), 5_400);
        assert_eq!(secs("90s"), 90);
        assert_eq!(secs("2h"), 7_200);
        assert_eq!(secs("1d12h"), 129_600);
        assert_eq!(secs("1d2h3m4s"), 86_400 + 7_200 + 180 + 4);
        assert_eq!(secs("0s"), 0);
        assert_eq!(secs("0m"), 0);
        assert_eq!(secs("90m"), 5_400);
        assert_eq!(secs("007m"), 420);
        assert_eq!(secs("1d30s"), 86_430);
    }

    #[test]
    fn from_str_matches_parse() {
        assert_eq!("1h30m".parse::<Duration>(), parse_duration("1h30m"));
    }

    #[test]
    fn ordering_compares_lengths() {
        let d = |t: &str| parse_duration(t).unwrap();
        assert!(d("59m") < d("1h"));
        assert_eq!(d("60m"), d("1h"));
        assert!(d("1d") > d("23h59m59s"));
    }

    #[test]
    fn minutes() {
        let d = |seconds| Duration { seconds };
        assert_eq!(d(0).minutes_ceil(), 0);
        assert_eq!(d(1).minutes_ceil(), 1);
        assert_eq!(d(60).minutes_ceil(), 1);
        assert_eq!(d(61).minutes_ceil(), 2);
        assert_eq!(d(u64::MAX).minutes_ceil(), u64::MAX / 60 + 1);
        assert_eq!(d(0).whole_minutes(), Some(0));
        assert_eq!(d(5_400).whole_minutes(), Some(90));
        assert_eq!(d(90).whole_minutes(), None);
        assert_eq!(parse_duration("1d").unwrap().whole_minutes(), Some(1_440));
    }

    #[test]
    fn display_is_canonical() {
        let show = |t: &str| parse_duration(t).unwrap().to_string();
        assert_eq!(show("1d12h"), "1d12h");
        assert_eq!(show("36h"), "1d12h");
        assert_eq!(show("30m"), "30m");
        assert_eq!(show("90m"), "1h30m");
        assert_eq!(show("90s"), "1m30s");
        assert_eq!(show("0s"), "0s");
        assert_eq!(show("0d0h"), "0s");
        assert_eq!(show("1d1s"), "1d1s");
        assert_eq!(
            Duration { seconds: u64::MAX }.to_string(),
            "213503982334601d7h15s"
        );
        // Display round-trips through the parser.
        for seconds in [
            0,
            1,
            59,
            60,
            3_599,
            3_600,
            86_399,
            86_400,
            1_000_000,
            u64::MAX,
        ] {
            let d = Duration { seconds };
            assert_eq!(parse_duration(&d.to_string()), Ok(d));
        }
    }

    #[test]
    fn unknown_unit() {
        let text = "3x";
        let e = err(text);
        assert_eq!(e.message, "unknown unit `x`");
        assert_eq!(
            e.help.as_deref(),
            Some(
                "durations use d (days), h (hours), m (minutes) and s (seconds), e.g. 30m or 1h30m"
            )
        );
        assert_eq!(spanned(text, &e), "x");

        let text = "1h30min";
        let e = err(text);
        assert_eq!(e.message, "unknown unit `min`");
        assert_eq!(spanned(text, &e), "min");

        let text = "2H";
        let e = err(text);
        assert_eq!(e.message, "unknown unit `H`");
        assert_eq!(e.help.as_deref(), Some("units are lower-case: write `h`"));
    }

    #[test]
    fn repeated_unit() {
        let text = "1h2h";
        let e = err(text);
        assert_eq!(e.message, "the unit `h` appears more than once");
        assert_eq!((e.start, e.end), (3, 4));
    }

    #[test]
    fn out_of_order_units() {
        let text = "30m1h";
        let e = err(text);
        assert_eq!(
            e.message,
            "`h` comes after `m`; units go from largest to smallest"
        );
        assert_eq!((e.start, e.end), (4, 5));
        assert!(e.help.is_some());
        assert_eq!(
            err("1s1d").message,
            "`d` comes after `s`; units go from largest to smallest"
        );
    }

    #[test]
    fn missing_number() {
        let text = "h";
        let e = err(text);
        assert_eq!(e.message, "the unit `h` has no number before it");
        assert_eq!((e.start, e.end), (0, 1));

        let text = "1hm";
        let e = err(text);
        assert_eq!(e.message, "unknown unit `hm`");
        assert_eq!(spanned(text, &e), "hm");

        let e = err("abc");
        assert_eq!(e.message, "expected a number, found `abc`");

        let e = err("-5m");
        assert_eq!(e.message, "a duration cannot be negative");
        assert_eq!((e.start, e.end), (0, 1));
    }

    #[test]
    fn number_without_unit() {
        let text = "1h30";
        let e = err(text);
        assert_eq!(e.message, "the number `30` has no unit");
        assert_eq!(spanned(text, &e), "30");
        assert_eq!(
            e.help.as_deref(),
            Some("add a unit, e.g. 30s for seconds or 30m for minutes")
        );
    }

    #[test]
    fn empty() {
        let e = err("");
        assert_eq!(e.message, "the duration is empty");
        assert_eq!((e.start, e.end), (0, 0));
    }

    #[test]
    fn spaces_and_fractions() {
        let text = "1h 30m";
        let e = err(text);
        assert_eq!(e.message, "a duration cannot contain spaces");
        assert_eq!((e.start, e.end), (2, 3));

        let text = "1.5h";
        let e = err(text);
        assert_eq!(e.message, "durations take whole numbers, not fractions");
        assert_eq!(spanned(text, &e), "1.5");
        assert_eq!(spanned("1.h", &err("1.h")), "1.");
    }

    #[test]
    fn overflow() {
        let text = "99999999999999999999s";
        let e = err(text);
        assert_eq!(e.message, "this duration is too long");
        assert_eq!(spanned(text, &e), text);

        // Fits in u64 as a number, but not once multiplied into seconds.
        let text = "213503982334602d";
        assert_eq!(err(text).message, "this duration is too long");

        // Each part fits; the sum does not.
        let text = "213503982334601d8h";
        let e = err(text);
        assert_eq!(e.message, "this duration is too long");
        assert_eq!(spanned(text, &e), "8h");

        assert_eq!(secs("18446744073709551615s"), u64::MAX);
    }

    #[test]
    fn non_ascii_does_not_panic() {
        for text in ["3é", "é3m", "1h½", "３m", "1h💥2m", "💥", "1ｈ"] {
            let e = err(text);
            assert!(e.start <= e.end && e.end <= text.len(), "{text}: {e:?}");
            assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
        }
        let text = "3é";
        assert_eq!(err(text).message, "unknown unit `é`");
        assert_eq!(spanned(text, &err(text)), "é");
    }
}
