//! Which column type changes can lose data.
//!
//! A change is safe when every value of the old type has an exact value in the new one
//! (widening); anything else is possibly lossy, including every change the guard cannot
//! judge (a type outside rmig's vocabulary). The database may reject a narrowing instead of
//! truncating, but the guard does not rely on that: SQLite enforces no lengths at all, and a
//! PostgreSQL `USING` expression can cut values on purpose.

use crate::ops::ColumnType;

/// Why changing a column from `from` to `to` may lose data; None when every value survives.
pub(crate) fn lossy_change(from: &ColumnType, to: &ColumnType) -> Option<String> {
    if equivalent(from, to) || is_unbounded_text(to) {
        // Every value has a text form that keeps it whole, so unbounded text loses nothing.
        return None;
    }
    let (old, new) = (from.to_string(), to.to_string());
    if let (Some(from_number), Some(to_number)) = (Number::of(from), Number::of(to)) {
        return number_change(from_number, to_number, &old, &new);
    }
    use ColumnType::*;
    match (from, to) {
        (Text | Varchar { length: None }, Varchar { length: Some(length) }) => Some(format!(
            "narrows {old} to {new}: values longer than {length} characters would be cut or rejected"
        )),
        (Varchar { length: Some(old_length) }, Varchar { length: Some(length) }) => {
            (length < old_length).then(|| {
                format!(
                    "shortens {old} to {new}: values longer than {length} characters would be cut or rejected"
                )
            })
        }
        (Timestamp { timezone: false }, Timestamp { timezone: true }) => None,
        (Timestamp { timezone: true }, Timestamp { timezone: false }) => Some(format!(
            "changes {old} to {new}: the time zone of each value is dropped"
        )),
        (Date, Timestamp { .. }) => None,
        (Timestamp { .. }, Date) => Some(format!(
            "changes {old} to {new}: the time of day of each value is dropped"
        )),
        (Jsonb, Json) => None,
        (Json, Jsonb) => Some(format!(
            "changes {old} to {new}: jsonb keeps only the last of duplicate keys"
        )),
        (Enum { values: old_values, .. }, Enum { values: new_values, .. }) => {
            let dropped: Vec<&str> = old_values
                .iter()
                .filter(|value| !new_values.contains(value))
                .map(String::as_str)
                .collect();
            (!dropped.is_empty()).then(|| {
                format!(
                    "changes {old} to {new}, which lacks the value(s) {}: rows holding them cannot convert",
                    dropped.join(", ")
                )
            })
        }
        (Array(old_element), Array(new_element)) => lossy_change(old_element, new_element)
            .map(|reason| format!("changes {old} to {new}; its elements: {reason}")),
        (Sql(_), _) | (_, Sql(_)) => Some(format!(
            "changes {old} to {new}: the guard cannot compare a type outside rmig's vocabulary, so values may not survive"
        )),
        _ => Some(format!(
            "changes the type family from {old} to {new}: values that do not convert would be lost or rejected"
        )),
    }
}

/// Whether two types hold the same values: equal, both unbounded text, or the same verbatim
/// SQL spelled with different case or spacing.
pub(crate) fn equivalent(a: &ColumnType, b: &ColumnType) -> bool {
    match (a, b) {
        (ColumnType::Sql(a), ColumnType::Sql(b)) => normalized_sql(a) == normalized_sql(b),
        _ => a == b || (is_unbounded_text(a) && is_unbounded_text(b)),
    }
}

fn normalized_sql(sql: &str) -> String {
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

fn is_unbounded_text(type_: &ColumnType) -> bool {
    matches!(
        type_,
        ColumnType::Text | ColumnType::Varchar { length: None }
    )
}

/// A numeric type by what it can hold exactly, so that conversions compare by digits.
#[derive(Debug, Clone, Copy)]
enum Number {
    /// An integer type holding every integer of up to `digits` decimal digits (and some of
    /// `digits + 1`: smallint reaches 32767, so 5 digits but not all of them).
    Integer { max_digits: u32 },
    /// `numeric(p,s)`: `p - s` digits before the point, `s` after; None is unbounded.
    Decimal {
        integer_digits: Option<u32>,
        scale: Option<u32>,
    },
    /// A binary float, exact for every integer of up to `exact_digits` decimal digits.
    Float { exact_digits: u32 },
}

impl Number {
    fn of(type_: &ColumnType) -> Option<Number> {
        match type_ {
            ColumnType::SmallInt => Some(Number::Integer { max_digits: 5 }),
            ColumnType::Integer => Some(Number::Integer { max_digits: 10 }),
            ColumnType::BigInt => Some(Number::Integer { max_digits: 19 }),
            ColumnType::Numeric { precision, scale } => Some(Number::Decimal {
                integer_digits: precision.map(|p| p.saturating_sub(scale.unwrap_or(0))),
                scale: precision.map(|_| scale.unwrap_or(0)),
            }),
            // 2^24 and 2^53: every integer below them is exact.
            ColumnType::Real => Some(Number::Float { exact_digits: 7 }),
            ColumnType::Double => Some(Number::Float { exact_digits: 15 }),
            _ => None,
        }
    }
}

fn number_change(from: Number, to: Number, old: &str, new: &str) -> Option<String> {
    let narrows = || {
        Some(format!("narrows {old} to {new}: values outside {new}'s range or precision would be lost or rejected"))
    };
    match (from, to) {
        (Number::Integer { max_digits: a }, Number::Integer { max_digits: b }) => {
            if b >= a {
                None
            } else {
                narrows()
            }
        }
        (
            Number::Integer { max_digits },
            Number::Decimal {
                integer_digits, ..
            },
        ) => match integer_digits {
            None => None,
            Some(digits) if digits >= max_digits => None,
            Some(_) => narrows(),
        },
        (Number::Integer { max_digits }, Number::Float { exact_digits }) => {
            if max_digits <= exact_digits {
                None
            } else {
                Some(format!("converts {old} to {new}: large integers lose their last digits"))
            }
        }
        (
            Number::Decimal {
                integer_digits: from_digits,
                scale: from_scale,
            },
            Number::Decimal {
                integer_digits: to_digits,
                scale: to_scale,
            },
        ) => match (from_digits.zip(from_scale), to_digits.zip(to_scale)) {
            (_, None) => None,
            (None, Some(_)) => narrows(),
            (Some((a_digits, a_scale)), Some((b_digits, b_scale))) => {
                if b_digits >= a_digits && b_scale >= a_scale {
                    None
                } else {
                    narrows()
                }
            }
        },
        (
            Number::Decimal {
                integer_digits: Some(digits),
                scale: Some(0),
            },
            Number::Integer { max_digits },
        ) => {
            // numeric(p) holds up to p digits; the integer type must hold all of them.
            if digits < max_digits {
                None
            } else {
                narrows()
            }
        }
        (
            Number::Decimal {
                integer_digits: Some(digits),
                scale: Some(0),
            },
            Number::Float { exact_digits },
        ) => {
            if digits <= exact_digits {
                None
            } else {
                Some(format!("converts {old} to {new}: large values lose their last digits"))
            }
        }
        (Number::Decimal { .. }, Number::Integer { .. } | Number::Float { .. }) => Some(format!(
            "converts {old} to {new}: fractional digits would be rounded away"
        )),
        (Number::Float { exact_digits: a }, Number::Float { exact_digits: b }) => {
            if b >= a {
                None
            } else {
                narrows()
            }
        }
        (Number::Float { .. }, Number::Integer { .. } | Number::Decimal { .. }) => {
            Some(format!(
                "converts floating-point {old} to {new}: fractions, infinities and out-of-range values would be rounded or rejected"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(precision: u32, scale: u32) -> ColumnType {
        ColumnType::Numeric {
            precision: Some(precision),
            scale: Some(scale),
        }
    }

    #[test]
    fn integer_widening_is_safe_and_narrowing_is_not() {
        use ColumnType::*;
        assert_eq!(lossy_change(&SmallInt, &Integer), None);
        assert_eq!(lossy_change(&Integer, &BigInt), None);
        assert_eq!(
            lossy_change(&BigInt, &Integer).as_deref(),
            Some("narrows bigint to integer: values outside integer's range or precision would be lost or rejected")
        );
        assert!(lossy_change(&Integer, &SmallInt).is_some());
    }

    #[test]
    fn numeric_compares_integer_digits_and_scale() {
        use ColumnType::*;
        assert_eq!(lossy_change(&numeric(10, 2), &numeric(12, 2)), None);
        assert_eq!(lossy_change(&numeric(10, 2), &numeric(11, 3)), None);
        assert!(lossy_change(&numeric(10, 2), &numeric(8, 2)).is_some());
        assert!(lossy_change(&numeric(10, 2), &numeric(10, 3)).is_some());
        assert!(lossy_change(&numeric(10, 2), &numeric(10, 1)).is_some());
        let unbounded = Numeric {
            precision: None,
            scale: None,
        };
        assert_eq!(lossy_change(&numeric(10, 2), &unbounded), None);
        assert!(lossy_change(&unbounded, &numeric(30, 10)).is_some());
        assert_eq!(lossy_change(&Integer, &numeric(10, 0)), None);
        assert!(lossy_change(&Integer, &numeric(9, 0)).is_some());
        assert_eq!(lossy_change(&numeric(9, 0), &Integer), None);
        assert!(lossy_change(&numeric(10, 0), &Integer).is_some());
        assert!(lossy_change(&numeric(4, 2), &BigInt)
            .unwrap()
            .contains("fractional digits"));
    }

    #[test]
    fn floats_hold_small_integers_exactly_but_not_large_ones() {
        use ColumnType::*;
        assert_eq!(lossy_change(&SmallInt, &Real), None);
        assert!(lossy_change(&Integer, &Real).is_some());
        assert_eq!(lossy_change(&Integer, &Double), None);
        assert!(lossy_change(&BigInt, &Double).is_some());
        assert_eq!(lossy_change(&Real, &Double), None);
        assert!(lossy_change(&Double, &Real).is_some());
        assert!(lossy_change(&Double, &BigInt).is_some());
    }

    #[test]
    fn text_lengths() {
        use ColumnType::*;
        let varchar = |length| Varchar {
            length: Some(length),
        };
        assert_eq!(lossy_change(&varchar(10), &varchar(20)), None);
        assert_eq!(lossy_change(&varchar(10), &Text), None);
        assert_eq!(lossy_change(&Varchar { length: None }, &Text), None);
        assert_eq!(lossy_change(&Text, &Varchar { length: None }), None);
        assert_eq!(
            lossy_change(&varchar(20), &varchar(10)).as_deref(),
            Some("shortens varchar(20) to varchar(10): values longer than 10 characters would be cut or rejected")
        );
        assert!(lossy_change(&Text, &varchar(255)).is_some());
    }

    #[test]
    fn anything_to_unbounded_text_keeps_its_values() {
        use ColumnType::*;
        assert_eq!(lossy_change(&Integer, &Text), None);
        assert_eq!(lossy_change(&Uuid, &Varchar { length: None }), None);
        assert_eq!(lossy_change(&Sql("citext".into()), &Text), None);
        assert!(lossy_change(&Text, &Integer)
            .unwrap()
            .contains("type family from text to integer"));
        assert!(lossy_change(&Integer, &Varchar { length: Some(5) }).is_some());
    }

    #[test]
    fn enums_arrays_and_verbatim_types() {
        use ColumnType::*;
        let mood = |values: &[&str]| Enum {
            name: "mood".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        assert_eq!(lossy_change(&mood(&["a"]), &mood(&["a", "b"])), None);
        assert!(lossy_change(&mood(&["a", "b"]), &mood(&["a"]))
            .unwrap()
            .contains("lacks the value(s) b"));
        assert_eq!(
            lossy_change(&Array(Box::new(Integer)), &Array(Box::new(BigInt))),
            None
        );
        assert!(lossy_change(&Array(Box::new(BigInt)), &Array(Box::new(Integer))).is_some());
        assert_eq!(
            lossy_change(&Sql("CITEXT".into()), &Sql("citext".into())),
            None
        );
        assert!(lossy_change(&Sql("citext".into()), &Sql("inet".into())).is_some());
        assert!(lossy_change(&Integer, &Sql("int4".into())).is_some());
    }

    #[test]
    fn time_and_json_changes() {
        use ColumnType::*;
        let plain = Timestamp { timezone: false };
        let zoned = Timestamp { timezone: true };
        assert_eq!(lossy_change(&plain, &zoned), None);
        assert!(lossy_change(&zoned, &plain).is_some());
        assert_eq!(lossy_change(&Date, &plain), None);
        assert!(lossy_change(&plain, &Date).is_some());
        assert_eq!(lossy_change(&Jsonb, &Json), None);
        assert!(lossy_change(&Json, &Jsonb).is_some());
    }
}
