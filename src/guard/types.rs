//! Which column type changes can lose data.
//!
//! A change is safe when every value of the old type has an exact value in the new one
//! (widening); anything else is possibly lossy, including every change the guard cannot
//! judge (a type outside rmig's vocabulary). The database may reject a narrowing instead of
//! truncating, but the guard does not rely on that: SQLite enforces no lengths at all, and a
//! PostgreSQL `USING` expression can cut values on purpose.
//!
//! What a type holds depends on the database: on SQLite every integer type is a 64-bit
//! INTEGER and REAL is a double, so the same change can be safe on one and lossy on the
//! other. Verbatim `sql_type`s are read as PostgreSQL spells them (`int4`,
//! `character varying(20)`) before comparing, so that a psql spelling compares with the
//! vocabulary.

use std::borrow::Cow;

use crate::dialect::Dialect;
use crate::ops::ColumnType;

/// Why changing a column from `from` to `to` on `dialect` may lose data; None when every value
/// survives. An unknown dialect (None) takes the union: the change is lossy when it is lossy
/// on any dialect.
pub(crate) fn lossy_change(
    from: &ColumnType,
    to: &ColumnType,
    dialect: Option<Dialect>,
) -> Option<String> {
    match dialect {
        Some(dialect) => lossy_on(from, to, dialect),
        None => [Dialect::Postgresql, Dialect::Sqlite]
            .into_iter()
            .find_map(|dialect| lossy_on(from, to, dialect)),
    }
}

fn lossy_on(from: &ColumnType, to: &ColumnType, dialect: Dialect) -> Option<String> {
    // Messages name the types as the revision spells them; comparisons use what they mean.
    let (old, new) = (from.to_string(), to.to_string());
    let (from, to) = (comparable(from), comparable(to));
    if equivalent(&from, &to) {
        return None;
    }
    let from_number = Number::of(&from, dialect);
    if is_unbounded_text(&to) {
        // Every value has a text form that keeps it whole, except SQLite's floats: its
        // REAL-to-TEXT conversion prints 15 significant digits, and a double needs 17. A
        // fractional numeric is stored as a REAL there too.
        let float_on_sqlite = match from_number {
            Some(Number::Float { .. }) => true,
            Some(Number::Decimal {
                integer_digits,
                scale,
            }) => !matches!((integer_digits, scale), (Some(i), Some(s)) if s == 0 || i + s <= 15),
            _ => false,
        };
        return match (float_on_sqlite, dialect) {
            (true, Dialect::Sqlite) => Some(format!(
                "converts {old} to {new}: on SQLite the text keeps only 15 significant digits of each float"
            )),
            _ => None,
        };
    }
    if let (Some(from_number), Some(to_number)) = (from_number, Number::of(&to, dialect)) {
        return number_change(from_number, to_number, dialect, &old, &new);
    }
    use ColumnType::*;
    match (from.as_ref(), to.as_ref()) {
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
        (Array(old_element), Array(new_element)) => lossy_on(old_element, new_element, dialect)
            .map(|reason| format!("changes {old} to {new}; its elements: {reason}")),
        (Sql(_), _) | (_, Sql(_)) => Some(format!(
            "changes {old} to {new}: the guard cannot compare a type outside rmig's vocabulary, so values may not survive"
        )),
        _ => Some(format!(
            "changes the type family from {old} to {new}: values that do not convert would be lost or rejected"
        )),
    }
}

/// Whether two types hold the same values: equal once read as the vocabulary, both unbounded
/// text, or the same verbatim SQL spelled with different case or spacing.
pub(crate) fn equivalent(a: &ColumnType, b: &ColumnType) -> bool {
    let (a, b) = (comparable(a), comparable(b));
    match (a.as_ref(), b.as_ref()) {
        (ColumnType::Sql(a), ColumnType::Sql(b)) => normalized_sql(a) == normalized_sql(b),
        (a, b) => a == b || (is_unbounded_text(a) && is_unbounded_text(b)),
    }
}

/// The type as the guard compares it: a verbatim type read as PostgreSQL spells it, and
/// `citext` as text, as it holds every text value (only comparisons ignore case).
fn comparable(type_: &ColumnType) -> Cow<'_, ColumnType> {
    match type_ {
        ColumnType::Sql(sql) if normalized_sql(sql) == "citext" => Cow::Owned(ColumnType::Text),
        ColumnType::Sql(sql) => Cow::Owned(ColumnType::from_postgres_spelling(sql)),
        other => Cow::Borrowed(other),
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
    fn of(type_: &ColumnType, dialect: Dialect) -> Option<Number> {
        match (type_, dialect) {
            // SQLite stores every integer type as a 64-bit INTEGER, whatever the declaration.
            (ColumnType::SmallInt | ColumnType::Integer, Dialect::Sqlite) => {
                Some(Number::Integer { max_digits: 19 })
            }
            // And every float as a double.
            (ColumnType::Real, Dialect::Sqlite) => Some(Number::Float { exact_digits: 15 }),
            (ColumnType::SmallInt, _) => Some(Number::Integer { max_digits: 5 }),
            (ColumnType::Integer, _) => Some(Number::Integer { max_digits: 10 }),
            (ColumnType::BigInt, _) => Some(Number::Integer { max_digits: 19 }),
            (ColumnType::Numeric { precision, scale }, _) => Some(Number::Decimal {
                integer_digits: precision.map(|p| p.saturating_sub(scale.unwrap_or(0))),
                scale: precision.map(|_| scale.unwrap_or(0)),
            }),
            // 2^24 and 2^53: every integer below them is exact.
            (ColumnType::Real, _) => Some(Number::Float { exact_digits: 7 }),
            (ColumnType::Double, _) => Some(Number::Float { exact_digits: 15 }),
            _ => None,
        }
    }
}

fn number_change(
    from: Number,
    to: Number,
    dialect: Dialect,
    old: &str,
    new: &str,
) -> Option<String> {
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
            match (max_digits <= exact_digits, dialect) {
                (true, _) => None,
                (false, Dialect::Sqlite) => Some(format!(
                    "converts {old} to {new}: on SQLite an integer holds 19 digits and a float 15, so large integers lose their last digits"
                )),
                (false, Dialect::Postgresql | Dialect::Mysql) => Some(format!(
                    "converts {old} to {new}: large integers lose their last digits"
                )),
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

    fn pg(from: &ColumnType, to: &ColumnType) -> Option<String> {
        lossy_change(from, to, Some(Dialect::Postgresql))
    }

    fn sqlite(from: &ColumnType, to: &ColumnType) -> Option<String> {
        lossy_change(from, to, Some(Dialect::Sqlite))
    }

    fn unknown(from: &ColumnType, to: &ColumnType) -> Option<String> {
        lossy_change(from, to, None)
    }

    fn sql(text: &str) -> ColumnType {
        ColumnType::Sql(text.into())
    }

    fn numeric(precision: u32, scale: u32) -> ColumnType {
        ColumnType::Numeric {
            precision: Some(precision),
            scale: Some(scale),
        }
    }

    #[test]
    fn integer_widening_is_safe_and_narrowing_is_not() {
        use ColumnType::*;
        assert_eq!(pg(&SmallInt, &Integer), None);
        assert_eq!(pg(&Integer, &BigInt), None);
        assert_eq!(
            pg(&BigInt, &Integer).as_deref(),
            Some("narrows bigint to integer: values outside integer's range or precision would be lost or rejected")
        );
        assert!(pg(&Integer, &SmallInt).is_some());
    }

    #[test]
    fn numeric_compares_integer_digits_and_scale() {
        use ColumnType::*;
        assert_eq!(pg(&numeric(10, 2), &numeric(12, 2)), None);
        assert_eq!(pg(&numeric(10, 2), &numeric(11, 3)), None);
        assert!(pg(&numeric(10, 2), &numeric(8, 2)).is_some());
        assert!(pg(&numeric(10, 2), &numeric(10, 3)).is_some());
        assert!(pg(&numeric(10, 2), &numeric(10, 1)).is_some());
        let unbounded = Numeric {
            precision: None,
            scale: None,
        };
        assert_eq!(pg(&numeric(10, 2), &unbounded), None);
        assert!(pg(&unbounded, &numeric(30, 10)).is_some());
        assert_eq!(pg(&Integer, &numeric(10, 0)), None);
        assert!(pg(&Integer, &numeric(9, 0)).is_some());
        assert_eq!(pg(&numeric(9, 0), &Integer), None);
        assert!(pg(&numeric(10, 0), &Integer).is_some());
        assert!(pg(&numeric(4, 2), &BigInt)
            .unwrap()
            .contains("fractional digits"));
    }

    #[test]
    fn floats_hold_small_integers_exactly_but_not_large_ones() {
        use ColumnType::*;
        assert_eq!(pg(&SmallInt, &Real), None);
        assert!(pg(&Integer, &Real).is_some());
        assert_eq!(pg(&Integer, &Double), None);
        assert!(pg(&BigInt, &Double).is_some());
        assert_eq!(pg(&Real, &Double), None);
        assert!(pg(&Double, &Real).is_some());
        assert!(pg(&Double, &BigInt).is_some());
    }

    #[test]
    fn text_lengths() {
        use ColumnType::*;
        let varchar = |length| Varchar {
            length: Some(length),
        };
        assert_eq!(pg(&varchar(10), &varchar(20)), None);
        assert_eq!(pg(&varchar(10), &Text), None);
        assert_eq!(pg(&Varchar { length: None }, &Text), None);
        assert_eq!(pg(&Text, &Varchar { length: None }), None);
        assert_eq!(
            pg(&varchar(20), &varchar(10)).as_deref(),
            Some("shortens varchar(20) to varchar(10): values longer than 10 characters would be cut or rejected")
        );
        assert!(pg(&Text, &varchar(255)).is_some());
    }

    #[test]
    fn anything_to_unbounded_text_keeps_its_values() {
        use ColumnType::*;
        assert_eq!(pg(&Integer, &Text), None);
        assert_eq!(pg(&Uuid, &Varchar { length: None }), None);
        assert_eq!(pg(&Sql("citext".into()), &Text), None);
        assert!(pg(&Text, &Integer)
            .unwrap()
            .contains("type family from text to integer"));
        assert!(pg(&Integer, &Varchar { length: Some(5) }).is_some());
    }

    #[test]
    fn enums_arrays_and_verbatim_types() {
        use ColumnType::*;
        let mood = |values: &[&str]| Enum {
            name: "mood".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        assert_eq!(pg(&mood(&["a"]), &mood(&["a", "b"])), None);
        assert!(pg(&mood(&["a", "b"]), &mood(&["a"]))
            .unwrap()
            .contains("lacks the value(s) b"));
        assert_eq!(
            pg(&Array(Box::new(Integer)), &Array(Box::new(BigInt))),
            None
        );
        assert!(pg(&Array(Box::new(BigInt)), &Array(Box::new(Integer))).is_some());
        assert_eq!(pg(&Sql("CITEXT".into()), &Sql("citext".into())), None);
        assert!(pg(&Sql("citext".into()), &Sql("inet".into())).is_some());
    }

    #[test]
    fn time_and_json_changes() {
        use ColumnType::*;
        let plain = Timestamp { timezone: false };
        let zoned = Timestamp { timezone: true };
        assert_eq!(pg(&plain, &zoned), None);
        assert!(pg(&zoned, &plain).is_some());
        assert_eq!(pg(&Date, &plain), None);
        assert!(pg(&plain, &Date).is_some());
        assert_eq!(pg(&Jsonb, &Json), None);
        assert!(pg(&Json, &Jsonb).is_some());
    }

    #[test]
    fn sqlite_integers_are_64_bit_and_its_floats_doubles() {
        use ColumnType::*;
        // `integer` holds 19 digits on SQLite, more than a double keeps exactly.
        assert_eq!(pg(&Integer, &Double), None);
        assert_eq!(
            sqlite(&Integer, &Double).as_deref(),
            Some("converts integer to double: on SQLite an integer holds 19 digits and a float 15, so large integers lose their last digits")
        );
        assert!(sqlite(&BigInt, &Double).is_some());
        assert!(sqlite(&BigInt, &Real).is_some());
        assert!(sqlite(&SmallInt, &Real).is_some());
        // REAL is a double on SQLite, so real and double hold the same values there.
        assert_eq!(sqlite(&Double, &Real), None);
        assert!(pg(&Double, &Real).is_some());
        // Every integer type is the same INTEGER on SQLite.
        assert_eq!(sqlite(&BigInt, &SmallInt), None);
        assert!(pg(&BigInt, &SmallInt).is_some());
    }

    #[test]
    fn floats_to_text_keep_their_digits_on_postgresql_only() {
        use ColumnType::*;
        // PostgreSQL 12+ prints floats so that they read back exactly.
        assert_eq!(pg(&Double, &Text), None);
        assert_eq!(pg(&Real, &Varchar { length: None }), None);
        assert_eq!(
            sqlite(&Double, &Text).as_deref(),
            Some("converts double to text: on SQLite the text keeps only 15 significant digits of each float")
        );
        assert!(sqlite(&Real, &sql("citext")).is_some());
        assert_eq!(sqlite(&Integer, &Text), None);
        assert_eq!(sqlite(&numeric(10, 2), &Text), None);
    }

    #[test]
    fn an_unknown_dialect_is_lossy_where_any_dialect_is() {
        use ColumnType::*;
        assert!(unknown(&Integer, &Double).is_some());
        assert!(unknown(&Double, &Text).is_some());
        assert!(unknown(&Double, &Real).is_some());
        assert!(unknown(&BigInt, &Integer).is_some());
        assert_eq!(unknown(&Integer, &BigInt), None);
        assert_eq!(unknown(&Real, &Double), None);
        assert_eq!(unknown(&Integer, &Text), None);
    }

    #[test]
    fn citext_holds_every_text_value() {
        use ColumnType::*;
        for citext in ["citext", "CITEXT", " CiText "] {
            for dialect in [Some(Dialect::Postgresql), Some(Dialect::Sqlite), None] {
                let citext = sql(citext);
                let varchar = Varchar { length: Some(20) };
                assert_eq!(
                    lossy_change(&varchar, &citext, dialect),
                    None,
                    "{dialect:?}"
                );
                assert_eq!(lossy_change(&Text, &citext, dialect), None, "{dialect:?}");
                assert_eq!(lossy_change(&citext, &Text, dialect), None, "{dialect:?}");
                assert!(lossy_change(&citext, &varchar, dialect)
                    .unwrap()
                    .contains("to varchar(20): values longer than 20 characters"));
            }
        }
        assert!(equivalent(&sql("citext"), &Text));
    }

    #[test]
    fn postgresql_spellings_compare_as_the_vocabulary() {
        use ColumnType::*;
        let varchar = |length| Varchar {
            length: Some(length),
        };
        assert_eq!(pg(&sql("character varying(20)"), &varchar(50)), None);
        assert!(pg(&sql("character varying(50)"), &varchar(20))
            .unwrap()
            .contains("shortens character varying(50) to varchar(20)"));
        assert_eq!(pg(&sql("int4"), &BigInt), None);
        assert_eq!(pg(&Integer, &sql("int4")), None);
        assert!(pg(&sql("int8"), &Integer).is_some());
        assert_eq!(pg(&sql("int4"), &sql("int8")), None);
        assert_eq!(pg(&Real, &sql("double precision")), None);
        assert_eq!(pg(&sql("numeric(10, 2)"), &numeric(12, 2)), None);
        assert!(pg(&sql("NUMERIC(10,2)"), &numeric(10, 1)).is_some());
        assert_eq!(
            pg(
                &sql("timestamp without time zone"),
                &sql("timestamp with time zone")
            ),
            None
        );
        assert!(pg(
            &sql("timestamp with time zone"),
            &Timestamp { timezone: false }
        )
        .is_some());
        assert_eq!(pg(&sql("integer[]"), &Array(Box::new(BigInt))), None);
        assert!(sqlite(&sql("int4"), &Double).is_some());
        assert!(equivalent(&sql("int4"), &Integer));
    }
}
