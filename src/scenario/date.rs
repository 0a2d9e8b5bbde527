//! Calendar dates in scenario files.
//!
//! TOML has a native date type (`date = 2013-04-15`), which is what users write; quoted
//! strings (`"2013-04-15"`) are accepted too so that `--set` values and JSON round-trips work.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A civil (time-zone free) calendar date, as used throughout scenarios and outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub jiff::civil::Date);

impl Date {
    /// Builds a date from year, month and day; `None` if it does not exist.
    pub fn new(year: i16, month: i8, day: i8) -> Option<Date> {
        jiff::civil::Date::new(year, month, day).ok().map(Date)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        text.trim().parse::<jiff::civil::Date>().ok().map(Date)
    }

    /// Whole days from `self` to `other` (negative if `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        let span = self.0.until(other.0).unwrap_or_default();
        // `until` on civil dates defaults to days as the largest unit.
        i64::from(span.get_days())
    }

    /// The date `days` days later (saturating at the calendar's limits).
    pub fn plus_days(self, days: i64) -> Date {
        let span = jiff::Span::new().days(days.clamp(-7_000_000, 7_000_000));
        let limit = if days < 0 {
            jiff::civil::Date::MIN
        } else {
            jiff::civil::Date::MAX
        };
        Date(self.0.checked_add(span).unwrap_or(limit))
    }

    /// Fractional year (e.g. 2013.29), used for plot axes.
    pub fn as_year_fraction(self) -> f64 {
        let start = jiff::civil::Date::new(self.0.year(), 1, 1).unwrap_or(self.0);
        let day = Date(start).days_until(self);
        f64::from(self.0.year()) + day as f64 / f64::from(self.0.days_in_year())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // As a TOML date when the serializer is TOML's, so effective scenarios stay idiomatic.
        let datetime = toml::value::Datetime {
            date: Some(toml::value::Date {
                year: self.0.year() as u16,
                month: self.0.month() as u8,
                day: self.0.day() as u8,
            }),
            time: None,
            offset: None,
        };
        datetime.serialize(serializer)
    }
}

const EXPECTED: &str = "a date like 2013-04-15 (unquoted TOML date or quoted string)";

/// Years a scenario date may have: those a TOML date can write.
const YEARS: std::ops::RangeInclusive<i16> = 0..=9999;

/// `date` if its year is one TOML can write, so effective scenarios stay valid TOML.
fn in_toml_years<E: de::Error>(date: Date) -> Result<Date, E> {
    if YEARS.contains(&date.0.year()) {
        Ok(date)
    } else {
        Err(E::custom(format!(
            "`{date}` is outside the calendar, expected a date from 0000-01-01 to 9999-12-31"
        )))
    }
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Date;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Date, E> {
        Date::parse(text)
            .ok_or_else(|| E::custom(format!("`{text}` is not a valid date, expected {EXPECTED}")))
            .and_then(in_toml_years)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Date, A::Error> {
        let datetime =
            toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
        match (datetime.date, datetime.time, datetime.offset) {
            (Some(d), None, None) => Date::new(d.year as i16, d.month as i8, d.day as i8)
                .ok_or_else(|| {
                    de::Error::custom(format!(
                        "`{datetime}` is not a valid date, expected {EXPECTED}"
                    ))
                }),
            _ => Err(de::Error::custom(format!(
                "`{datetime}` has a time of day, expected {EXPECTED}"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        deserializer.deserialize_any(DateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_toml_dates_and_strings() {
        #[derive(Deserialize)]
        struct Doc {
            a: Date,
            b: Date,
        }
        let doc: Doc = toml::from_str("a = 2013-04-15\nb = \"2014-03-18\"").unwrap();
        assert_eq!(doc.a, Date::new(2013, 4, 15).unwrap());
        assert_eq!(doc.b, Date::new(2014, 3, 18).unwrap());
    }

    #[test]
    fn rejects_times_and_garbage() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            a: Date,
        }
        assert!(toml::from_str::<Doc>("a = 2013-04-15T10:00:00").is_err());
        let err = toml::from_str::<Doc>("a = \"April\"").unwrap_err();
        assert!(err.to_string().contains("not a valid date"), "{err}");
        assert!(toml::from_str::<Doc>("a = 2013-02-30").is_err());
    }

    #[test]
    fn dates_stay_within_what_toml_can_write() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            a: Date,
        }
        let err = toml::from_str::<Doc>("a = \"-000001-01-01\"").unwrap_err();
        assert!(err.to_string().contains("outside the calendar"), "{err}");
        assert!(toml::from_str::<Doc>("a = 0000-01-01").is_ok());
        let last = Date::new(9999, 12, 31).unwrap();
        assert_eq!(last.plus_days(7), last, "saturates at the calendar's end");
    }

    #[test]
    fn day_arithmetic() {
        let a = Date::new(2013, 4, 15).unwrap();
        assert_eq!(a.plus_days(14), Date::new(2013, 4, 29).unwrap());
        assert_eq!(a.days_until(Date::new(2014, 4, 15).unwrap()), 365);
        assert_eq!(Date::new(2014, 4, 15).unwrap().days_until(a), -365);
    }
}
